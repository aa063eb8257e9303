"""Check that hsearch's fast BM25 path ranks exactly as exhaustive scoring does.

    python -m bench.bm25_exact --size 100000 --data ../shared/data

:mod:`hsearch.search.bm25f` matches ORs through an array and lets Whoosh prune the
top k by upper bounds; a wrong bound silently drops documents (it did: see
``SummedArrayUnionMatcher``).  This runs every benchmark query at k = 1 and
k = 10 through ``FullTextSearcher.search`` and compares the scores with
Whoosh scoring every matching document (``optimize=False``, no pruning).  Ties
may order differently, so the score lists are compared, not the ids.  It is a
correctness check on corpora too big for the test suite, not a timing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import corpus as bench_corpus
from .latency import choose_vectors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10000, help="articles (a cached bench index; built if missing)")
    parser.add_argument("--data", type=Path, default=None, help="../shared/data; without it the corpus is built from seeds/")
    parser.add_argument("--seed", type=int, default=bench_corpus.DEFAULT_SEED)
    args = parser.parse_args(argv)

    from hsearch.search.engine import SearchEngine

    # the index bench.latency uses at this size (its full-text side is the same whatever the vectors)
    vectors = choose_vectors("auto", args.size, args.data, args.seed)
    index_dir, _ = bench_corpus.bench_index(args.size, args.data, args.seed, vectors=vectors)
    queries = bench_corpus.load_queries(args.data, seed=args.seed)
    differences = 0
    with SearchEngine(index_dir) as engine:
        fulltext = engine.fulltext
        searcher = fulltext._searcher  # the exhaustive reference needs Whoosh's own search call
        for query in queries:
            parsed = fulltext.parse(query.text)
            exhaustive = [round(hit.score, 6) for hit in searcher.search(parsed, limit=None, optimize=False)]
            for k in (1, 10):
                fast = [round(score, 6) for _, score in fulltext.search(parsed, k)]
                if fast != exhaustive[:k]:
                    differences += 1
                    print(f"k={k} {query.qid} {query.text!r}: fast {fast[:3]} exhaustive {exhaustive[:3]}")
    print(f"{args.size:,} articles, {len(queries)} queries at k=1 and k=10: {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
