"""The inner loop of BM25 scoring: one term's posting list added into a query's array of scores.

Both kernels compute, for each posting, Whoosh's ``bm25()`` expression with
the same float64 operations in the same order (``bench/bm25_kernel_choice.py``
checks they agree to the bit):

    scores[doc] += idf * ((tf * (K1 + 1)) / (tf + norm[doc]))   [* boost]

where ``norm[doc] = K1 * ((1 - B) + B * fl / avgfl)`` is precomputed per
segment and field.

* :func:`numpy_add_term` -- always there.  About eight passes over the posting
  list with temporaries: measured at ~20 ns per posting.
* :func:`compiled_add_term` -- the same loop compiled by numba (optional
  dependency, ``pip install 'hsearch[fast]'``): one pass, ~1.2 ns per posting,
  17x faster on the postings of a 100k-article query (bench/README.md,
  "Where the time goes").  Importing numba and loading the cached machine code
  costs about a second, so only engines that answer many queries
  (``SearchSettings(preload=True)``: the server, batch runs, evaluation,
  benchmarks) use it; a one-shot ``hsearch query`` keeps numpy.  It releases
  the GIL, so hybrid's BM25 thread runs beside query encoding.  Without numba,
  everything works on numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

AddTerm = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float, float], None]


def numpy_add_term(scores: np.ndarray, docs: np.ndarray, weights: np.ndarray, norm: np.ndarray,
                   idf: float, k1: float, boost: float) -> None:
    tf = weights.astype(np.float64)
    part = idf * ((tf * (k1 + 1)) / (tf + norm[docs]))
    if boost != 1.0:
        part *= boost
    scores[docs] += part  # a posting list holds each document once


@lru_cache(maxsize=1)
def compiled_add_term() -> AddTerm | None:
    """The numba kernel, compiled (or loaded from numba's cache) for the sidecars' dtypes; None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def add_term(scores, docs, weights, norm, idf, k1, boost):  # type: ignore[no-untyped-def]
        for i in range(docs.shape[0]):
            doc = docs[i]
            tf = np.float64(weights[i])
            part = idf * ((tf * (k1 + 1)) / (tf + norm[doc]))
            if boost != 1.0:
                part *= boost
            scores[doc] += part

    scores, norm, docs = np.zeros(1), np.ones(1), np.zeros(1, dtype=np.uint32)
    for dtype in (np.uint16, np.float32):  # the two weight dtypes a sidecar may hold
        add_term(scores, docs, np.ones(1, dtype=dtype), norm, 1.0, 1.2, 1.0)
    return add_term  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def compiled_holding() -> Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None:
    """Which of a few documents each of several terms holds, by binary search in each term's postings, compiled
    (the relevance decision's word coverage asks it of every query); None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def holding(docs, starts, ends, wanted):  # type: ignore[no-untyped-def]
        # term t's postings are docs[starts[t]:ends[t]] (ascending); wanted: document numbers, ascending
        held = np.zeros((starts.shape[0], wanted.shape[0]), dtype=np.bool_)
        for t in range(starts.shape[0]):
            lo = starts[t]
            for i in range(wanted.shape[0]):
                doc = wanted[i]
                hi = ends[t]
                while lo < hi:
                    mid = (lo + hi) // 2
                    if np.int64(docs[mid]) < doc:
                        lo = mid + 1
                    else:
                        hi = mid
                held[t, i] = lo < ends[t] and np.int64(docs[lo]) == doc
        return held

    one = np.zeros(1, dtype=np.int64)
    holding(np.zeros(1, dtype=np.uint32), one, one + 1, one)  # compiled (or loaded) now
    return holding  # type: ignore[no-any-return]
