"""How to take the top k of a mostly-zero score array: the choice in ``search/array_scorer.py``, measured.

    python -m bench.topk_choice

A BM25 query over N documents leaves a dense float64 array of N scores, most of
them 0 (the documents that match none of its words).  Times the ways of
taking its best k on arrays of 100k and 1M documents with 1%, 5% and 30%
matching: ``np.argpartition(scores, -k)`` and ``np.argpartition(-scores, k)``
over the whole array, and what the scorer does (``np.flatnonzero``, then a
partition of the candidates' scores, then an exact sort of those at or above
the k-th, which keeps Whoosh's tie order).  The fastest of 15 runs each: on
this shared machine a median mostly measures how often the process was
descheduled, the minimum what the operation costs.
"""

from __future__ import annotations

import os
import time

import numpy as np

from hsearch.search.array_scorer import top_k


def timed(fn, runs: int = 15) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times) * 1e3


def candidates_then_partition(scores: np.ndarray, k: int) -> np.ndarray:
    """What the array scorer does (:func:`hsearch.search.array_scorer.top_k`), timed on the same arrays."""
    return top_k(scores, None, None, k)


def main() -> None:
    rng = np.random.default_rng(7)
    print(f"load average {os.getloadavg()}")
    print("| documents | matching | k | argpartition(s, -k) ms | argpartition(-s, k) ms | nonzero + partition ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in (100_000, 1_000_000):
        for share in (0.01, 0.05, 0.3):
            scores = np.zeros(n)
            hit = rng.choice(n, int(n * share), replace=False)
            scores[hit] = rng.gamma(2.0, 3.0, len(hit))
            for k in (10, 100):
                a = timed(lambda: np.argpartition(scores, -k)[-k:])
                b = timed(lambda: np.argpartition(-scores, k)[:k])
                c = timed(lambda: candidates_then_partition(scores, k))
                print(f"| {n:,} | {share:.0%} | {k} | {a:.2f} | {b:.2f} | {c:.2f} |")


if __name__ == "__main__":
    main()
