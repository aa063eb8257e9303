"""BM25's two scoring paths, side by side per segment, at real and at replicated (larger) segment sizes.

    python -m bench.bm25_paths --size 100000 --data ../shared/data --index DIR --copies 1,4,10,20

The array scorer (:mod:`hsearch.search.array_scorer`) ranks a segment either
with one score per document (the *dense* array: what it did before issue 23)
or at the query's *candidates* only (MaxScore over the sidecar's per-term
bounds).  This times both on every benchmark query, per segment, interleaved
(minimum of 3 runs each), with the compiled kernel as the engine uses it, and
reports them by segment size and by the query's postings per document.

**Replicated segments.**  No 1M-article index can be built on this machine in
the time at hand, so larger segments are *made* from the real ones: a segment
of ``c`` copies holds each real document ``c`` times (document ``d`` of copy
``r`` is ``d + r * size``), so every posting list is the real one repeated
``c`` times, field lengths are tiled, and the per-term bounds are unchanged;
idf and average lengths are the real index's (a collection of ``c`` copies has
the same to within ``log(c*df+1)`` vs ``log(c*(df+1))``).  What it models is
the cost of scoring a segment ``c`` times larger with the same text
statistics: the ranking work, not the text's variety (the bench corpus
repeats its sentences already).  Only the posting lists the queries touch are
built (lazily).  Memory per query (``--memory``): the peak of Python's traced
allocations (numpy's arrays included) during one ranking.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq

from . import corpus as bench_corpus
from .timing import RESULTS, machine, machine_line, md_table, write_results

SHARE_BANDS = (0.0, 0.05, 0.2, 0.5, 1.0, 2.0, float("inf"))


@dataclass(frozen=True)
class _Replicated:
    """A field's postings as if its segment held ``copies`` copies of every document."""

    base: Any  # bm25_sidecar.FieldPostings
    copies: int
    size: int
    cache: dict[int, tuple[np.ndarray, np.ndarray]]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    @property
    def length_bytes(self) -> np.ndarray:
        key = -1
        if key not in self.cache:
            self.cache[key] = (np.tile(self.base.length_bytes, self.copies), np.zeros(0))
        return self.cache[key][0]

    def find(self, term: bytes) -> int:
        return self.base.find(term)  # type: ignore[no-any-return]

    def postings(self, term: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        i = self.find(term)
        return None if i < 0 else self.postings_at(i)

    def postings_at(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if i not in self.cache:
            docs, weights = self.base.postings_at(i)
            self.cache[i] = (np.concatenate([docs + np.uint32(r * self.size) for r in range(self.copies)]),
                             np.tile(weights, self.copies))
        return self.cache[i]


def replicated(seg: Any, copies: int) -> Any:
    """The segment ``seg`` (an array scorer's ``_Segment``) as ``copies`` copies of itself."""
    from hsearch.index.bm25_sidecar import Sidecar
    from hsearch.search.array_scorer import _Segment

    if copies == 1:
        return seg
    sidecar = seg.sidecar
    fields = {name: _Replicated(field, copies, seg.size, {}) for name, field in sidecar.fields.items()}
    fake = Sidecar(f"{seg.segment_id}x{copies}", seg.size * copies, fields, sidecar.id_blob, sidecar.id_offsets, {})
    live = None if seg.live is None else np.tile(seg.live, copies)
    return _Segment(seg.searcher, 0, seg.size * copies, fake.segment_id, fake, live)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_corpus.add_index_arguments(parser)
    parser.add_argument("--copies", default="1", help="segment sizes to time, as copies of the real segments")
    parser.add_argument("--queries", type=int, default=None)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--kernel", choices=("compiled", "numpy"), default="compiled",
                        help="compiled: numba's kernels, as engines run (candidates: the compiled MaxScore walk); "
                             "numpy: as a one-shot query runs (candidates: the numpy MaxScore)")
    parser.add_argument("--variants", action="store_true",
                        help="time the operator forms of bench.bm25_exact (+must, AND, phrase...) instead of the "
                             "queries as typed")
    parser.add_argument("--memory", action="store_true", help="also the peak allocation per query of each path")
    parser.add_argument("--out", type=Path, default=RESULTS / "bm25-candidates")
    args = parser.parse_args(argv)

    from hsearch.search import array_scorer as A
    from hsearch.search.fulltext import FullTextSearcher

    index_dir = bench_corpus.index_of(args)
    searcher = FullTextSearcher(index_dir, length_tables=True, compiled=args.kernel == "compiled")
    scorer = searcher._arrays
    texts = [q.text for q in bench_corpus.load_queries(args.data, seed=args.seed)[: args.queries]]
    if args.variants:
        from .bm25_exact import variants

        texts = [text for typed in texts for kind, text in
                 variants(typed, list(dict.fromkeys(t.text for t in searcher.analyzer(typed, mode="query"))))
                 if kind != "plain"]
    queries = [searcher.parse(text) for text in texts]
    queries = [q for q in queries if q is not wq.NullQuery]
    started = machine()
    rows: list[dict[str, Any]] = []
    for copies in [int(c) for c in args.copies.split(",")]:
        for real in scorer._segments:
            seg = replicated(real, copies)
            for q in queries:
                postings = sum(len(found[0]) for term in q.leaves()
                               if type(term) is wq.Term and term.fieldname in seg.sidecar.fields
                               and (found := scorer._term_postings(term, seg)) is not None)
                times: dict[str, list[float]] = {"dense": [], "candidates": []}
                results = {}
                for _ in range(3):
                    for path in ("dense", "candidates"):
                        A.PATH = path
                        began = time.perf_counter()
                        local, scores = scorer._top(q, seg, None, seg.live, args.k)
                        times[path].append(time.perf_counter() - began)
                        results[path] = (local.tolist(), scores.tolist())
                if results["dense"] != results["candidates"]:
                    print(f"paths differ on {q} (copies {copies})", file=sys.stderr)
                    return 1
                row = {"copies": copies, "segment": seg.size, "postings_per_doc": postings / seg.size,
                       "dense_ms": min(times["dense"]) * 1e3, "candidates_ms": min(times["candidates"]) * 1e3}
                if args.memory:
                    for path in ("dense", "candidates"):
                        A.PATH = path
                        tracemalloc.start()
                        scorer._top(q, seg, None, seg.live, args.k)
                        row[f"{path}_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
                        tracemalloc.stop()
                rows.append(row)
                if copies > 1:  # the next query's lists are built before its timing, like this one's
                    for field in seg.sidecar.fields.values():
                        field.cache.clear()
            print(f"copies {copies}, segment {seg.size:,}: done", file=sys.stderr, flush=True)

    table = []
    for copies in sorted({r["copies"] for r in rows}):
        for lo, hi in itertools.pairwise(SHARE_BANDS):
            band = [r for r in rows if r["copies"] == copies and lo <= r["postings_per_doc"] < hi]
            if not band:
                continue
            dense = np.array([r["dense_ms"] for r in band])
            cand = np.array([r["candidates_ms"] for r in band])
            line = [f"{np.mean([r['segment'] for r in band]):,.0f}", f"{lo:g}-{hi:g}", str(len(band)),
                    f"{np.median(dense):.3f}", f"{np.median(cand):.3f}", f"{np.median(cand / dense):.2f}",
                    f"{np.mean(cand < dense):.0%}"]
            if args.memory:
                line += [f"{np.median([r['dense_peak_mb'] for r in band]):.2f}",
                         f"{np.median([r['candidates_peak_mb'] for r in band]):.2f}"]
            table.append(line)
    header = ["segment (docs)", "postings/doc", "n", "dense p50 ms", "candidates p50 ms", "cand/dense p50",
              "candidates faster"] + (["dense peak MB", "cand peak MB"] if args.memory else [])
    command = "python -m bench.bm25_paths " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([f"# BM25 per segment: dense array vs candidates (`{command}`)", "",
                      (f"{len(queries)} queries, k={args.k}, {args.kernel} kernel; per (query, segment), min of 3 "
                       "interleaved runs. Copies > 1: replicated segments (see bench/bm25_paths.py)."), "",
                      *md_table(header, table), "", f"Machine: {machine_line(started)}", ""])
    print(text)
    name = f"bm25_paths-{args.size}-c{args.copies.replace(',', '_')}-{args.kernel}" + ("-variants" if args.variants else "")
    write_results(name, {"machine": started, "rows": rows, "command": command}, text, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
