"""Serving a sharded index: latency and throughput over 1, 2 and 4 shards, and the ingress's own cost.

    python -m bench.sharded --corpus ../shared/data/xquad-hi-corpus.jsonl --queries ../shared/data/xquad-hi-queries.jsonl

One index is built from the corpus (and the sample archive in ``seeds/``),
then split into 1, 2 and 4 shards (its vectors reused, nothing re-embedded).
Each shard count is served three ways, the same queries in each:

* ``one index``: :class:`SearchEngine` (the baseline);
* ``in-process``: :class:`ShardedEngine` with every shard in this process;
* ``ray serve``: the shards as Ray Serve deployments (1 replica each) on a
  private local cluster of ``--cpus`` CPUs, the ingress in this process.

Latency is per query, one client, after a warm-up; throughput is queries per
second with ``--clients`` threads (each its own ingress engine).  The
ingress's own cost is the query's time outside the fan-out calls (planning,
embedding, merging, fusion, floor, collapsing, paging, snippets).  On one
machine with 2 cores, shards add work and cannot add cores: this measures
overhead, not speed-up.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hsearch.index import shards as shard_set
from hsearch.index.encoders import encoder_for_name
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.request import SearchRequest
from hsearch.search.sharded import ShardedEngine, local_clients

REPO = Path(__file__).resolve().parent.parent


class TimedEngine(ShardedEngine):
    """An ingress that adds up the time its queries spend waiting for shards."""

    waited = 0.0

    def _fan_out(self, method: str, args_of: Any) -> dict[int, Any]:
        started = time.perf_counter()
        try:
            return super()._fan_out(method, args_of)
        finally:
            self.waited += time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def latencies(engine: Any, queries: list[str], mode: str) -> dict[str, float]:
    for text in queries[:5]:
        engine.search(SearchRequest.of(text, mode=mode))
    times = []
    waited_before = getattr(engine, "waited", 0.0)
    for text in queries:
        started = time.perf_counter()
        engine.search(SearchRequest.of(text, mode=mode))
        times.append(time.perf_counter() - started)
    result = {"p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * percentile(times, 0.95)}
    if hasattr(engine, "waited"):
        result["ingress_ms"] = 1000 * (sum(times) - (engine.waited - waited_before)) / len(times)
    return result


def throughput(engines: list[Any], queries: list[str], mode: str) -> float:
    done = [0]
    lock = threading.Lock()

    def client(engine: Any) -> None:
        for text in queries:
            engine.search(SearchRequest.of(text, mode=mode))
            with lock:
                done[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--count", type=int, default=60, help="queries per measurement")
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "sharded")
    args = parser.parse_args()
    queries = [json.loads(line)["query_hi"] for line in args.queries.read_text(encoding="utf-8").splitlines()
               if line.strip()][: args.count]
    work = Path(tempfile.mkdtemp(prefix="hsearch-sharded-"))
    encoder = encoder_for_name("e5-small")
    index_paths(work / "one", [args.corpus, REPO / "seeds"], IndexSettings(), encoder=encoder)
    for count in args.shards:
        shard_set.split_index(work / "one", work / f"s{count}", count)
    settings = SearchSettings(preload=True)
    rows: list[dict[str, Any]] = []
    modes = ("bm25", "hybrid")
    with SearchEngine(work / "one", settings) as one:
        for mode in modes:
            engines = [SearchEngine(work / "one", settings) for _ in range(args.clients)]
            rows.append({"setup": "one index", "shards": 1, "mode": mode, **latencies(one, queries, mode),
                         "qps": throughput(engines, queries, mode)})
            for engine in engines:
                engine.close()
    for count in args.shards:
        clients = local_clients(work / f"s{count}", settings)
        with TimedEngine(work / f"s{count}", clients, settings) as engine:
            for mode in modes:
                extra = [ShardedEngine(work / f"s{count}", clients, settings) for _ in range(args.clients)]
                rows.append({"setup": "in-process", "shards": count, "mode": mode,
                             **latencies(engine, queries, mode), "qps": throughput(extra, queries, mode)})
        for client in clients:
            client.close()
    from ray import serve

    from hsearch.index.ray_embedding import RayCluster, RaySettings
    from hsearch.search.serve_ray import ServeSettings, deploy_shards, remove_shards

    with RayCluster(RaySettings(local_cpus=args.cpus)):
        try:
            for count in args.shards:
                clients = deploy_shards(work / f"s{count}", ServeSettings(replicas=1, cpus_per_replica=0.25))
                with TimedEngine(work / f"s{count}", clients, settings) as engine:
                    for mode in modes:
                        extra = [ShardedEngine(work / f"s{count}", clients, settings) for _ in range(args.clients)]
                        rows.append({"setup": "ray serve", "shards": count, "mode": mode,
                                     **latencies(engine, queries, mode), "qps": throughput(extra, queries, mode)})
                remove_shards(work / f"s{count}")
        finally:
            serve.shutdown()
    articles = shard_set.load(work / f"s{args.shards[0]}").articles
    machine = f"{platform.processor() or platform.machine()}, {args.cpus} CPUs shared with other work"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"articles": articles, "queries": len(queries),
                                                        "machine": machine, "rows": rows}, indent=2))
    lines = [f"# Sharded serving: {articles} articles, {len(queries)} XQuAD Hindi queries, one client "
             f"(throughput: {args.clients} clients)", "",
             f"Machine: {machine}; {time.strftime('%Y-%m-%d')}.  `python -m bench.sharded --corpus {args.corpus} "
             f"--queries {args.queries}`", "",
             "| setup | shards | mode | p50 ms | p95 ms | ingress ms/query | queries/s |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        ingress = f"{row['ingress_ms']:.1f}" if "ingress_ms" in row else "-"
        lines.append(f"| {row['setup']} | {row['shards']} | {row['mode']} | {row['p50_ms']:.1f} | "
                     f"{row['p95_ms']:.1f} | {ingress} | {row['qps']:.1f} |")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
