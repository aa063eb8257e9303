"""What a filter costs before the first query that uses it: its per-segment masks and the vector side's id set.

    python -m bench.filter_masks --size 100000 --data ../shared/data --index DIR

For a few filters (one source, one month, one year, a source within a year)
this times, on the open index and with nothing cached:

* **masks, Whoosh**: each segment's mask from Whoosh's own ``query.docs()``
  (what the array scorer did before issue 23: a date range walks the tiered
  numeric terms' postings one document at a time);
* **masks, sidecar**: :meth:`ArrayScorer._mask_of` (the date column compared
  at once, a term's postings read in blocks);
* **ids, one by one**: the vector side's id set from the masks, each id
  decoded on its own from the sidecar's table (before);
* **ids**: :meth:`ArrayScorer.ids_matching` as it is now (one decode per
  segment span, then kept: a second call costs a dictionary look-up).

Each figure is the median of 5 runs (caches cleared between them); the second
call's, a look-up, is the least of the 5.  Every
mask pair and id set is checked equal.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import corpus as bench_corpus
from .timing import RESULTS, machine, machine_line, md_table, write_results

RUNS = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_corpus.add_index_arguments(parser)
    parser.add_argument("--out", type=Path, default=RESULTS / "bm25-candidates")
    args = parser.parse_args(argv)

    from hsearch.search.filters import Filters
    from hsearch.search.fulltext import FullTextSearcher

    index_dir = bench_corpus.index_of(args)
    searcher = FullTextSearcher(index_dir)
    scorer = searcher._arrays
    source = bench_corpus.SOURCES[0]
    filters = {f"source {source}": Filters(source=source),
               "one month (2020-03)": Filters.parse(date_from="2020-03-01", date_to="2020-03-31"),
               "one year (2019)": Filters.parse(date_from="2019-01-01", date_to="2019-12-31"),
               "source within 2019": Filters.parse(date_from="2019-01-01", date_to="2019-12-31", source=source)}
    started = machine()
    rows: list[list[Any]] = []
    payload: dict[str, Any] = {"machine": started, "filters": {}}
    for name, chosen in filters.items():
        query = chosen.to_whoosh()
        times: dict[str, list[float]] = {"whoosh": [], "sidecar": [], "ids_each": [], "ids": [], "ids_again": []}
        for _ in range(RUNS):
            began = time.perf_counter()
            old = []
            for seg in scorer._segments:
                mask = np.zeros(seg.size, dtype=bool)
                mask[np.fromiter(query.docs(seg.searcher), dtype=np.int64)] = True
                old.append(mask)
            times["whoosh"].append(time.perf_counter() - began)
            began = time.perf_counter()
            new = [scorer._mask_of(seg, query) for seg in scorer._segments]
            times["sidecar"].append(time.perf_counter() - began)
            for seg, a, b in zip(scorer._segments, old, new):
                live = seg.live if seg.live is not None else True
                if not np.array_equal(a & live, b & live):
                    print(f"{name}: masks differ", file=sys.stderr)
                    return 1
            began = time.perf_counter()
            one_by_one: set[str] = set()
            for seg, mask in zip(scorer._segments, new):
                blob, offsets = seg.sidecar.id_blob, seg.sidecar.id_offsets
                one_by_one.update(blob[int(offsets[d]):int(offsets[d + 1])].tobytes().decode("utf-8")
                                  for d in np.flatnonzero(mask))
            times["ids_each"].append(time.perf_counter() - began)
            scorer._filters.clear()
            scorer._id_sets.clear()
            for seg, mask in zip(scorer._segments, new):  # the masks as the first query left them
                scorer._filters[(seg.segment_id, query)] = mask
            began = time.perf_counter()
            ids = scorer.ids_matching(query)
            times["ids"].append(time.perf_counter() - began)
            gc.collect()  # the first call's garbage is not the second call's cost
            began = time.perf_counter()
            again = scorer.ids_matching(query)
            times["ids_again"].append(time.perf_counter() - began)
            if ids != one_by_one or again is not ids:
                print(f"{name}: id sets differ", file=sys.stderr)
                return 1
            scorer._filters.clear()
            scorer._id_sets.clear()
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        med["ids_again"] = min(times["ids_again"]) * 1e3  # a look-up: its least time, free of other work's noise
        share = len(ids) / searcher.doc_count
        payload["filters"][name] = {"articles": len(ids), "ms": med}
        rows.append([name, f"{len(ids):,} ({share:.0%})", f"{med['whoosh']:.1f}", f"{med['sidecar']:.1f}",
                     f"{med['whoosh'] / med['sidecar']:.0f}x", f"{med['ids_each']:.1f}", f"{med['ids']:.1f}",
                     f"{med['ids_again'] * 1e3:.1f} µs"])
    command = "python -m bench.filter_masks " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([f"# Filters as masks, first use (`{command}`)", "",
                      (f"{searcher.doc_count:,} articles in {len(scorer._segments)} segments; median of {RUNS} "
                       "runs, milliseconds unless marked."), "",
                      *md_table(["filter", "articles", "masks, Whoosh docs()", "masks, sidecar", "ratio",
                                 "ids, one by one", "ids_matching", "ids_matching again (min)"], rows),
                      "", f"Machine: {machine_line(started)}", ""])
    print(text)
    write_results(f"filter_masks-{args.size}", payload, text, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
