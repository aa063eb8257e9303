"""MaxScore, document at a time, compiled: the candidates of a sum of terms' top k without a score per document.

For a query that is a sum of terms (the plain query: each word in headline and
body), the array scorer needs only a *superset* of the top k (it then scores
those exactly, :mod:`hsearch.search.array_scorer`).  This walks the terms'
sorted posting lists together, one document at a time (Turtle and Flood's
MaxScore, as Lucene and tantivy do): each term's best possible contribution
(its *bound*, from the sidecar's largest weight and shortest field) is known;
once k documents are held, the terms whose bounds together stay below the
k-th score are *non-essential*: a document only they hold cannot enter, so
only the other terms' lists are walked, and the non-essential ones are
searched (by galloping) at those documents, best bound first, stopping as soon
as the bounds left cannot lift the document to the k-th score.

Scores here are for these decisions only (summed in another order than the
exact ones, so compared with a relative margin); every document that reached
the running k-th score (less the margin) when it was scored is returned, and
the caller keeps those at or above the final one.  Compiled by numba (the
``fast`` extra), like :func:`hsearch.search.bm25_kernels.compiled_add_term`;
without numba the caller uses its numpy path.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np


@lru_cache(maxsize=1)
def compiled_maxscore() -> Callable[..., Any] | None:
    """The numba kernel (compiled, or loaded from numba's cache); None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def maxscore(docs, weights, starts, fields, norms, scales, bounds, allowed, k, k1, margin):  # type: ignore[no-untyped-def]
        # term t's postings are docs/weights[starts[t]:starts[t + 1]], its field's norms norms[fields[t]];
        # terms arrive sorted by bound, smallest first; prefix[t] = bounds[0] + ... + bounds[t]
        n_terms = starts.shape[0] - 1
        prefix = np.cumsum(bounds)
        pos = starts[:-1].copy()
        ends = starts[1:]
        top = np.full(k, -np.inf)  # the k best scores so far (unordered); the threshold is their minimum
        held = 0
        threshold = -np.inf
        out = np.empty(max(64, 4 * k), dtype=np.int64)
        out_scores = np.empty(out.shape[0])
        found = 0
        first = 0  # terms [0, first) are non-essential
        filtered = allowed.shape[0] > 0
        k1p = k1 + 1
        while True:
            doc = np.int64(-1)
            for t in range(first, n_terms):
                if pos[t] < ends[t]:
                    d = np.int64(docs[pos[t]])
                    if doc < 0 or d < doc:
                        doc = d
            if doc < 0:
                break
            score = 0.0
            for t in range(first, n_terms):
                p = pos[t]
                if p < ends[t] and np.int64(docs[p]) == doc:
                    tf = np.float64(weights[p])
                    score += scales[t] * ((tf * k1p) / (tf + norms[fields[t], doc]))
                    pos[t] = p + 1
            if filtered and not allowed[doc]:
                continue
            cut = threshold * (1 - margin)
            t = first - 1
            while t >= 0:
                if score + prefix[t] < cut:
                    break
                # gallop from the cursor to the first posting >= doc, then bisect (one function: numba
                # caches a kernel that calls no other compiled function of this closure)
                lo, end, step = pos[t], ends[t], 1
                hi = lo
                while hi < end and docs[hi] < doc:
                    lo = hi + 1
                    hi += step
                    step *= 2
                hi = min(hi, end)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if docs[mid] < doc:
                        lo = mid + 1
                    else:
                        hi = mid
                p = lo
                pos[t] = p
                if p < ends[t] and np.int64(docs[p]) == doc:
                    tf = np.float64(weights[p])
                    score += scales[t] * ((tf * k1p) / (tf + norms[fields[t], doc]))
                t -= 1
            if t >= 0 or score < cut:
                continue  # cannot reach the k-th score
            if found == out.shape[0]:
                grown = np.empty(2 * found, dtype=np.int64)
                grown[:found] = out
                out = grown
                grown_scores = np.empty(2 * found)
                grown_scores[:found] = out_scores
                out_scores = grown_scores
            out[found] = doc
            out_scores[found] = score
            found += 1
            if held < k:
                top[held] = score
                held += 1
                if held == k:
                    threshold = top.min()
            elif score > threshold:
                top[np.argmin(top)] = score
                threshold = top.min()
            if held == k:
                while first < n_terms and prefix[first] < threshold * (1 - margin):
                    first += 1
        cut = threshold * (1 - margin)
        keep = out_scores[:found] >= cut
        return out[:found][keep]

    docs, starts, fields = np.zeros(1, dtype=np.uint32), np.array([0, 1]), np.zeros(1, dtype=np.int64)
    for dtype in (np.uint16, np.float32):  # compiled (or loaded) now for the sidecars' two weight dtypes
        maxscore(docs, np.ones(1, dtype=dtype), starts, fields, np.ones((1, 1)), np.ones(1), np.ones(1),
                 np.zeros(0, dtype=bool), 1, 1.2, 1e-9)
    return maxscore  # type: ignore[no-any-return]
