"""MaxScore, compiled, in windows of documents: the candidates of a sum of terms' top k without a score per document.

For a query that is a sum of terms (the plain query: each word in headline and
body), the array scorer needs only a *superset* of the top k (it then scores
those exactly, :mod:`hsearch.search.array_scorer`).  Each term's best possible
contribution (its *bound*, from the sidecar's largest weight and shortest
field) is known; once k documents are held, the terms whose bounds together
stay below the k-th score are *non-essential*: a document only they hold
cannot enter (Turtle and Flood's MaxScore, as Lucene and tantivy do).

The documents are taken in windows of :data:`WINDOW` (Lucene's
``MaxScoreBulkScorer`` does the same): the essential terms' postings of the
window are added into a small array of partial scores (term at a time: one
pass over each list, no merging of cursors), the documents they reached are
read back in order from a bit set, and the non-essential terms are searched
(galloping from their cursors) only at those documents, best bound first,
stopping as soon as the bounds left cannot lift the document to the k-th
score.  Which terms are essential is decided again at each window, as the
k-th score rises.  ``floor`` starts the k-th score at a score the caller
already holds (another segment's k-th best: a document below it cannot enter
the whole top k).

Scores here are for these decisions only (summed in another order than the
exact ones, so compared with a relative margin); every document that reached
the running k-th score (less the margin) when it was scored is returned, in
ascending order, and the caller keeps those at or above the final one.
Compiled by numba (the ``fast`` extra), like
:func:`hsearch.search.bm25_kernels.compiled_add_term`; without numba the
caller uses its numpy path.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np


#: Documents per window: the partial scores (8 bytes each) stay in the core's first-level cache.
WINDOW = 4096


@lru_cache(maxsize=1)
def compiled_maxscore() -> Callable[..., Any] | None:
    """The numba kernel (compiled, or loaded from numba's cache); None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def maxscore(docs, weights, fields, starts, ends, lengths, norms, scales, bounds, allowed, k, k1,  # type: ignore[no-untyped-def]
                 margin, floor, window):
        # docs, weights, lengths: one array per field (tuples); term t's postings are
        # docs/weights[fields[t]][starts[t]:ends[t]]; a document's length norm in field f is norms[f, lengths[f][doc]]
        # (a byte per document: 1 MB of a 500k segment's two fields stays in cache, their float norms did not);
        # terms arrive sorted by bound, smallest first
        n_terms = starts.shape[0]
        end_of_docs = np.int64(1) << 62
        prefix = np.cumsum(bounds)  # prefix[t] = bounds[0] + ... + bounds[t]
        pos = starts.copy()
        partial = np.zeros(window)
        reached = np.zeros((window + 63) // 64, dtype=np.uint64)  # a bit per document of the window
        order = np.empty(window, dtype=np.int64)
        # the lowest set bit of a word, by de Bruijn multiplication
        debruijn = np.uint64(0x03F79D71B4CB0A89)
        bit_of = np.zeros(64, dtype=np.int64)
        for b in range(64):
            bit_of[((np.uint64(1) << np.uint64(b)) * debruijn) >> np.uint64(58)] = b
        top = np.full(k, -np.inf)  # the k best scores so far (unordered); the threshold is their minimum
        held = 0
        threshold = floor
        out = np.empty(max(64, 4 * k), dtype=np.int64)
        out_scores = np.empty(out.shape[0])
        found = 0
        filtered = allowed.shape[0] > 0
        k1p = k1 + 1
        first = 0  # terms [0, first) are non-essential
        while True:
            cut = threshold * (1 - margin)
            while first < n_terms and prefix[first] < cut:
                first += 1
            low = end_of_docs  # the window starts at the first document an essential term holds
            for t in range(first, n_terms):
                if pos[t] < ends[t]:
                    low = min(low, np.int64(docs[fields[t]][pos[t]]))
            if low == end_of_docs:
                break
            high = low + window
            for t in range(first, n_terms):  # each essential term's postings of the window, added in
                f = fields[t]
                d = docs[f]
                w = weights[f]
                lf = lengths[f]
                scale = scales[t]
                p = pos[t]
                end = ends[t]
                while p < end:
                    doc = np.int64(d[p])
                    if doc >= high:
                        break
                    tf = np.float64(w[p])
                    at = doc - low
                    partial[at] += scale * ((tf * k1p) / (tf + norms[f, lf[doc]]))
                    reached[at >> 6] |= np.uint64(1) << np.uint64(at & 63)
                    p += 1
                pos[t] = p
            n_reached = 0
            for i in range(reached.shape[0]):  # the documents reached, in order
                word = reached[i]
                reached[i] = 0
                while word:
                    lowest = word & (~word + np.uint64(1))
                    order[n_reached] = (i << 6) + bit_of[(lowest * debruijn) >> np.uint64(58)]
                    n_reached += 1
                    word ^= lowest
            for x in range(n_reached):
                at = order[x]
                score = partial[at]
                partial[at] = 0.0
                doc = low + at
                if filtered and not allowed[doc]:
                    continue
                cut = threshold * (1 - margin)
                t = first - 1
                while t >= 0:
                    if score + prefix[t] < cut:
                        break
                    # gallop from the cursor to the first posting >= doc, then bisect (one function: numba
                    # caches a kernel that calls no other compiled function of this closure)
                    d = docs[fields[t]]
                    lo, end, step = pos[t], ends[t], 1
                    hi = lo
                    while hi < end and np.int64(d[hi]) < doc:
                        lo = hi + 1
                        hi += step
                        step *= 2
                    hi = min(hi, end)
                    while lo < hi:
                        mid = (lo + hi) // 2
                        if np.int64(d[mid]) < doc:
                            lo = mid + 1
                        else:
                            hi = mid
                    pos[t] = lo
                    if lo < end and np.int64(d[lo]) == doc:
                        tf = np.float64(weights[fields[t]][lo])
                        score += scales[t] * ((tf * k1p) / (tf + norms[fields[t], lengths[fields[t]][doc]]))
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
                        threshold = max(threshold, top.min())
                elif score > top.min():
                    top[np.argmin(top)] = score
                    threshold = max(threshold, top.min())
        cut = threshold * (1 - margin)
        keep = out_scores[:found] >= cut
        return out[:found][keep]

    one = np.zeros(1, dtype=np.int64)
    for dtype in (np.uint16, np.float32):  # compiled (or loaded) now for the sidecars' two weight dtypes and
        for fields in (1, 2):  # one field or two (headline and body): numba compiles per number of fields
            maxscore((np.zeros(1, dtype=np.uint32),) * fields, (np.ones(1, dtype=dtype),) * fields, one, one.copy(),
                     one + 1, (np.ones(1, dtype=np.uint8),) * fields, np.ones((fields, 256)), np.ones(1), np.ones(1),
                     np.zeros(0, dtype=bool), 1, 1.2, 1e-9, -np.inf, WINDOW)
    return maxscore  # type: ignore[no-any-return]
