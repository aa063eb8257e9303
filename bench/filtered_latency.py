"""Hybrid with a filter against hybrid without one, on the same queries in the same run.

    python -m bench.filtered_latency --size 100000 --data ../shared/data

Issue 23 asks that a filtered hybrid query stay within 1.2x of the unfiltered
one at 100k articles, for a filter that holds half the archive and for a
one-month date range.  The bench corpus spreads its articles evenly over ten
years and ten sources, so "half the archive" is the date range 2020-2024 (no
source holds half); one source (a tenth) is timed beside them.  Each query is
asked under every filter in turn, the order rotating from query to query, on
one engine opened as ``hsearch serve`` opens it (``preload``); the first
queries warm it up and are not counted.  Filter masks and id sets are kept
per snapshot (a filter asked again is a look-up), so this is the steady state
of a server whose readers use a few filters; ``bench.filter_masks`` times a
filter's first use.  The index is the cached bench index with reused vectors:
right for timing, never for quality.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from . import corpus as bench_corpus
from .timing import RESULTS, machine, machine_line, md_table, summary_ms, write_results

WARM_UP = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=bench_corpus.DEFAULT_SEED)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--out", type=Path, default=RESULTS / "scale-issue23")
    args = parser.parse_args(argv)

    import time

    from hsearch.search.engine import SearchEngine, SearchSettings
    from hsearch.search.filters import Filters

    index_dir, build = bench_corpus.bench_index(args.size, args.data, args.seed, vectors="reuse")
    source = bench_corpus.SOURCES[0]
    filters = {"none": Filters(),
               "half the archive (2020-2024)": Filters.parse(date_from="2020-01-01", date_to="2024-12-31"),
               "one month (2020-08)": Filters.parse(date_from="2020-08-01", date_to="2020-08-31"),
               f"one source ({source}, a tenth)": Filters(source=source)}
    queries = [q.text for q in bench_corpus.load_queries(args.data)][:args.queries + WARM_UP]
    started = machine()
    times: dict[str, list[float]] = {name: [] for name in filters}
    hits: dict[str, list[int]] = {name: [] for name in filters}
    names = list(filters)
    with SearchEngine(index_dir, SearchSettings(mode="hybrid", preload=True)) as engine:
        for i, text in enumerate(queries):
            for name in names[i % len(names):] + names[:i % len(names)]:
                began = time.perf_counter()
                ranking = engine.rank(text, mode="hybrid", depth=10, filters=filters[name])
                elapsed = time.perf_counter() - began
                if i >= WARM_UP:
                    times[name].append(elapsed)
                    hits[name].append(len(ranking.ranked))
    ended = machine()
    base = summary_ms(times["none"])
    rows, payload = [], {"machine": started, "load_after": ended["load_avg"], "build": build, "results": {}}
    for name in names:
        summary = summary_ms(times[name])
        ratio = summary["p50_ms"] / base["p50_ms"] if base["p50_ms"] else 0.0
        payload["results"][name] = {**summary, "ratio_p50": ratio, "mean_hits": statistics.mean(hits[name])}
        rows.append([name, f"{summary['p50_ms']:.2f}", f"{summary['p95_ms']:.2f}", f"{ratio:.2f}",
                     f"{statistics.mean(hits[name]):.1f}"])
    load_after = ", ".join(f"{x:.2f}" for x in ended["load_avg"])
    text = "\n".join([
        f"# Hybrid with and without a filter, {args.size:,} articles", "",
        f"`python -m bench.filtered_latency --size {args.size} --data {args.data} --queries {args.queries}`", "",
        f"{len(times['none'])} queries (after {WARM_UP} to warm up), each under every filter in turn; "
        "`SearchEngine.rank` in hybrid mode, depth 10, query encoding included. "
        f"Vectors: {build.get('vectors')} ({build.get('embedded_articles', 0):,} articles embedded, the rest "
        "reused with noise: timing only). See the module's docstring for what the filters stand for.", "",
        *md_table(["filter", "p50 ms", "p95 ms", "p50 / unfiltered", "results per query"], rows), "",
        f"Machine: {machine_line(started)}; after the run {load_after}.", ""])
    write_results(f"filtered_latency-{args.size}", payload, text, args.out)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
