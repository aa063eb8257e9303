"""Finding articles' document numbers by id: Whoosh's id postings against the sidecars' id hashes.

    python -m bench.id_lookup --size 100000 --data ../shared/data [--index DIR]

The relevance decision asks, for each candidate of a semantic or hybrid
query, which query words it holds (``FullTextSearcher.matched_terms``); it
first needs the candidates' document numbers.  Before, each came from
``searcher.document_number(id=...)`` (a term look-up in Whoosh's id field,
one per article); now from :meth:`ArrayScorer.numbers_of` (sidecar format 4:
every segment's ids hashed and sorted, one vectorized search per segment,
each hit's bytes compared).  For batches of random live ids (and a tenth of
ids no article has) this times both on the open index, checks they agree,
and reports medians of the batches.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from . import corpus as bench_corpus
from .timing import RESULTS, machine, machine_line, md_table, write_results

BATCHES = 30
SIZES = (50, 200, 1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_corpus.add_index_arguments(parser)
    parser.add_argument("--out", type=Path, default=RESULTS / "scale-issue23")
    args = parser.parse_args(argv)

    from hsearch.search.fulltext import FullTextSearcher

    index_dir = bench_corpus.index_of(args)
    searcher = FullTextSearcher(index_dir)
    scorer = searcher._arrays
    if scorer.numbers_of(["warm"]) is None:
        print(f"{index_dir}: a segment has no sidecar of this format; run hsearch verify --repair", file=sys.stderr)
        return 1
    rng = random.Random(args.seed)
    started = machine()
    rows: list[list[Any]] = []
    payload: dict[str, Any] = {"machine": started, "articles": searcher.doc_count,
                               "segments": len(scorer._segments), "batches": {}}
    for size in SIZES:
        whoosh, sidecar = [], []
        for _ in range(BATCHES):
            ids = [f"bench-{rng.randrange(args.size):06d}" for _ in range(size - size // 10)]
            ids += [f"absent-{rng.randrange(10**6)}" for _ in range(size // 10)]
            began = time.perf_counter()
            old = {i: n for i in ids if (n := searcher._searcher.document_number(id=i)) is not None}
            whoosh.append(time.perf_counter() - began)
            began = time.perf_counter()
            new = scorer.numbers_of(ids)
            sidecar.append(time.perf_counter() - began)
            if new != old:
                print(f"{size} ids: the two look-ups differ", file=sys.stderr)
                return 1
        w, s = statistics.median(whoosh) * 1e3, statistics.median(sidecar) * 1e3
        payload["batches"][size] = {"whoosh_ms": w, "sidecar_ms": s}
        rows.append([f"{size:,}", f"{w:.2f}", f"{s:.2f}", f"{w / s:.0f}x"])
    command = "python -m bench.id_lookup " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([f"# Document numbers by id (`{command}`)", "",
                      (f"{searcher.doc_count:,} articles in {len(scorer._segments)} segments; median of {BATCHES} "
                       "batches (a tenth of each batch's ids are absent), milliseconds; the two agree on every "
                       "batch."), "",
                      *md_table(["ids", "Whoosh document_number, one by one", "sidecar id hashes", "ratio"], rows),
                      "", f"Machine: {machine_line(started)}", ""])
    print(text)
    write_results(f"id_lookup-{args.size}", payload, text, args.out)
    searcher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
