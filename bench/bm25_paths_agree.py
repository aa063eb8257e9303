"""The array path and Whoosh's own search give the same depth-100 BM25 rankings on the evaluation sets.

    python -m bench.bm25_paths_agree --data ../shared/data

Hybrid fuses the top 100 of each side with pure functions (``search/fusion.py``),
so identical BM25 rankings at depth 100 (ids in order, scores to 1e-9) mean
hybrid's quality cannot have changed with the scoring sidecars.  Runs every
query of XQuAD-hi, XQuAD-en and the English-Hindi sentence pairs over the
cached evaluation indexes ``bench.quality`` uses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args(argv)

    from hsearch.index.settings import IndexSettings
    from hsearch.search.fulltext import FullTextSearcher

    from .datasets import all_sets, cached_index

    total = differing = 0
    for s in all_sets(args.data):
        index_dir = cached_index(s.corpus, s.name.split("-")[0] if s.name.startswith("xquad") else s.name,
                                 IndexSettings())
        arrays = FullTextSearcher(index_dir, compiled=True)
        for _, text in s.topics:
            parsed = arrays.parse(text)
            fast, slow = arrays.search(parsed, 100), arrays.exhaustive(parsed)[:100]
            total += 1
            if [i for i, _ in fast] != [i for i, _ in slow] or any(
                    abs(x - y) > 1e-9 * max(1.0, abs(y)) for (_, x), (_, y) in zip(fast, slow)):
                differing += 1
        print(f"{s.name}: {len(s.topics)} queries; differing rankings so far: {differing}")
    print(f"{total} queries, depth 100: {differing} rankings differ between the array path and Whoosh's search")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
