"""Where a warm BM25 query's time goes on the array path: cProfile over the benchmark queries.

    python -m bench.bm25_profile --size 100000 --data ../shared/data

Opens ``FullTextSearcher(compiled=True)`` on the cached full-text-only bench
index, runs every query once to warm it (each term's first idf lookup, page
faults of the memory-mapped sidecar), then prints the warm pass's percentiles
and the functions that took most of a profiled second pass.  Not a timing for
tables (``bench.latency`` is); a guide to what to optimise next.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time
from pathlib import Path

from . import corpus as bench_corpus


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=bench_corpus.DEFAULT_SEED)
    parser.add_argument("--numpy", action="store_true", help="the numpy kernel instead of numba")
    args = parser.parse_args(argv)

    from hsearch.search.fulltext import FullTextSearcher

    index_dir, _ = bench_corpus.bench_index(args.size, args.data, args.seed, vectors="none")
    searcher = FullTextSearcher(index_dir, compiled=not args.numpy, length_tables=True)
    parsed = [searcher.parse(q.text) for q in bench_corpus.load_queries(args.data, seed=args.seed)]
    for q in parsed:
        searcher.search(q, 10)
    times = []
    for q in parsed:
        began = time.perf_counter()
        searcher.search(q, 10)
        times.append(time.perf_counter() - began)
    times.sort()
    n = len(times)
    print(f"{args.size:,} articles, {n} queries, warm: p50 {times[n // 2] * 1e3:.2f} ms, p95 "
          f"{times[int(n * 0.95)] * 1e3:.2f} ms, min {times[0] * 1e3:.2f} ms; load average {os.getloadavg()}")
    profile = cProfile.Profile()
    profile.enable()
    for q in parsed:
        searcher.search(q, 10)
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(14)


if __name__ == "__main__":
    main()
