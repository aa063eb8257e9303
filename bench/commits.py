"""What one commit costs as the archive grows: bytes written, seconds and writer memory per addition.

    python -m bench.commits --data ../shared/data --size 10000 --label after

For an index of ``--size`` articles (built once per label with ``--build-every``
articles per checkpoint: the build's own bytes written are the "long build"
figure), each of ``--adds`` (10, 100, 1,000 articles) is committed ``--repeat``
times in a row into a fresh copy of it, each commit in its own process, and for
each commit we record

* ``written``: bytes the process wrote through write(2) (``wchar`` of
  /proc/self/io: every file, temporary ones included), from opening the writer to
  the end of the commit;
* ``rewritten_share``: bytes of the index's files that are new or changed after
  the commit, over the index's size (what the issue's "rewrote 54% of the
  index" counts);
* ``seconds``: open + add + commit, and the commit alone; ``peak_rss``: the
  process's VmHWM.

Vectors are seeded random unit rows, one per ~520 characters of body (the
corpus's 3.8 passages an article): right for bytes and time, never for quality.
No encoder runs (a stand-in of 384 dims says so in the manifest).  ``--latency``
adds query latency with 1, 10 and 30 unmerged vector segments and a merge's cost
(the segmented store only).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hsearch.index.articles import Article
from hsearch.index.manifest import ModelSpec

from . import corpus as bench_corpus
from .datasets import cache_dir
from .timing import machine
from hsearch.index.writer import IndexRun

DIM = 384
SPEC = ModelSpec(kind="bench-stand-in", name="bench-stand-in-384", dim=DIM)


class StandIn:
    """An encoder that never encodes passages (the bench hands the writer its rows); queries are hashed."""

    spec = SPEC
    max_tokens = 256

    @property
    def dim(self) -> int:
        return DIM

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.stack([np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(DIM) for t in texts])
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("the bench gives the writer its vectors")

    def token_count(self, text: str) -> int:
        return len(text.split())


def rows_for(article: Article, seed: int) -> np.ndarray:
    count = max(1, round(len(article.body) / 520))
    rows = np.random.default_rng([seed, int.from_bytes(article.id.encode()[-6:], "little")]).standard_normal(
        (count, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class RowsEmbedder:
    def embed_batches(self, batches):  # type: ignore[no-untyped-def]
        for batch in batches:
            yield [rows_for(a, 0) for a in batch]

    def close(self) -> None:
        pass


def wchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def files_of(folder: Path) -> dict[str, tuple[int, int, int]]:
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            st = path.stat()
            found[str(path.relative_to(folder))] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return found


def rewritten(before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]) -> tuple[int, int]:
    """(bytes of files new or changed, bytes of the index) after a commit."""
    changed = sum(meta[1] for name, meta in after.items() if before.get(name) != meta)
    return changed, sum(meta[1] for meta in after.values())


def articles_of(path: Path, start: int, count: int) -> list[Article]:
    found = []
    with path.open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i >= start + count:
                break
            if i >= start and line.strip():
                found.append(bench_corpus.to_article(json.loads(line)))
    return found


def build(folder: Path, corpus: Path, every: int) -> dict:
    """The base index, through ``index_paths`` with a checkpoint every ``every`` articles."""
    from hsearch.index.checkpoints import CommitPolicy
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths

    shutil.rmtree(folder, ignore_errors=True)
    began, written = time.perf_counter(), wchar()
    report = index_paths(folder, [corpus], IndexSettings(model=SPEC.name), IndexRun(commits=CommitPolicy(every_articles=every)), encoder=StandIn(), embedder=lambda _: RowsEmbedder())
    return {"articles": report.total_articles, "commits": report.commits, "seconds": time.perf_counter() - began,
            "written": wchar() - written, "index_bytes": rewritten({}, files_of(folder))[1],
            "peak_rss": peak_rss()}


def one_commit(folder: Path, corpus: Path, start: int, count: int) -> dict:
    """Add articles ``start..start+count`` of the corpus in one writer and commit (run in its own process)."""
    from hsearch.index.writer import IndexWriter

    articles = articles_of(corpus, start, count)
    vectors = [rows_for(a, 0) for a in articles]
    before = files_of(folder)
    began, written = time.perf_counter(), wchar()
    with IndexWriter(folder, encoder=StandIn()) as writer:
        writer.add(articles, vectors)
        committing, before_commit = time.perf_counter(), wchar()
        writer.commit()
        ended = time.perf_counter()
    changed, total = rewritten(before, files_of(folder))
    return {"added": count, "seconds": ended - began, "commit_seconds": ended - committing,
            "written": wchar() - written, "commit_written": wchar() - before_commit,
            "rewritten_bytes": changed, "index_bytes": total, "rewritten_share": changed / total,
            "peak_rss": peak_rss()}


def child(*args: object) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.commits", *map(str, args)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def latency(folder: Path, corpus: Path, size: int, work: Path) -> dict:
    """Vector and hybrid query p50 with 1, 10 and 30 unmerged vector segments, and what merging them costs.

    Three copies of the base: merged into one segment, then 9 and 29 commits of 10 articles with merges
    off.  The engines are timed in rotation, query by query, so that load from other work on the
    machine falls on all three alike.
    """
    from hsearch.index import manifest as manifest_io
    from hsearch.index.segment_policy import MergePolicy
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import IndexWriter
    from hsearch.search.engine import SearchEngine

    from .timing import percentile

    queries = [q.text for q in bench_corpus.load_queries(DATA)][:200]
    results: dict = {}
    began = time.perf_counter()
    one = work.with_name(work.name + "-1")
    shutil.rmtree(one, ignore_errors=True)
    shutil.copytree(folder, one)
    results["merge_base"] = child("_merge", one)  # the base build's segments into one
    no_merges = IndexSettings(merge=MergePolicy(enabled=False))
    folders = {1: one}
    start = size
    for wanted in (10, 30):
        target = work.with_name(f"{work.name}-{wanted}")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(one, target)
        while len(manifest_io.load(target).segments) < wanted:
            with IndexWriter(target, no_merges, encoder=StandIn()) as writer:
                articles = articles_of(corpus, start, 10)
                writer.add(articles, [rows_for(a, 0) for a in articles])
                writer.commit()
            start += 10
        folders[wanted] = target
    engines = {n: SearchEngine(f, encoder=StandIn()) for n, f in folders.items()}
    try:
        took: dict[tuple[int, str], list[float]] = {(n, m): [] for n in engines for m in ("vectors", "hybrid")}
        for round_ in range(2):  # the first round warms every engine up
            for q in queries:
                vector = StandIn().encode_queries([q])[0]
                for n, engine in engines.items():
                    assert engine.semantic is not None
                    t = time.perf_counter()
                    engine.semantic.store.search(vector, 100)
                    middle = time.perf_counter()
                    engine.search(q, mode="hybrid")
                    ended = time.perf_counter()
                    if round_:
                        took[(n, "vectors")].append(middle - t)
                        took[(n, "hybrid")].append(ended - middle)
        for (n, mode), values in took.items():
            results.setdefault(f"segments_{n}", {})[mode] = {
                "p50_ms": 1000 * percentile(values, 0.5), "p90_ms": 1000 * percentile(values, 0.9)}
        for n, f in folders.items():
            results[f"segments_{n}"]["whoosh_segments"] = len(list((f / "fulltext").glob("*.seg")))
    finally:
        for engine in engines.values():
            engine.close()
    results["merge_30"] = child("_merge", folders[30])
    for f in folders.values():
        shutil.rmtree(f, ignore_errors=True)
    results["seconds"] = time.perf_counter() - began
    return results


def merge_child(folder: Path) -> dict:
    from hsearch.index.vector_segments import force_merge

    began, written = time.perf_counter(), wchar()
    info = force_merge(folder)
    return {**info, "seconds": time.perf_counter() - began, "written": wchar() - written, "peak_rss": peak_rss()}


DATA: Path | None = None


def main() -> None:
    global DATA
    if len(sys.argv) > 1 and sys.argv[1] == "_commit":
        print(json.dumps(one_commit(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_merge":
        print(json.dumps(merge_child(Path(sys.argv[2]))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_build":
        print(json.dumps(build(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--adds", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--build-every", type=int, default=1000, help="checkpoint every N articles in the base build")
    parser.add_argument("--label", required=True, help="before/after: names the cached base index and the result")
    parser.add_argument("--latency", action="store_true")
    parser.add_argument("--latency-only", action="store_true", help="only --latency, on the cached base index")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    DATA = args.data
    adds = [int(a) for a in args.adds.split(",")]
    corpus = bench_corpus.corpus_path(args.size + max(adds) * args.repeat + 400, args.data)
    base_corpus = bench_corpus.corpus_path(args.size, args.data)
    bench_corpus.load_articles(args.size + max(adds) * args.repeat + 400, args.data)
    bench_corpus.load_articles(args.size, args.data)
    root = cache_dir() / f"commits-{args.size}-{args.label}"
    base = root / "base"
    result: dict = {"size": args.size, "label": args.label, "machine": machine(), "corpus": corpus.name,
                    "command": " ".join(sys.argv)}
    if args.latency_only:
        result["latency"] = latency(base, corpus, args.size, root / "work-latency")
        print(json.dumps(result["latency"]), flush=True)
        out = args.out or Path(__file__).parent / "results" / f"commits-{args.size}-{args.label}-latency.json"
        out.write_text(json.dumps(result, indent=1))
        return
    result["build"] = child("_build", base, base_corpus, args.build_every)
    print(json.dumps(result["build"]), flush=True)
    result["commits"] = {}
    for add in adds:
        work = root / f"work-{add}"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(base, work)
        runs = []
        for r in range(args.repeat):
            runs.append(child("_commit", work, corpus, args.size + r * add, add))
            print(add, json.dumps(runs[-1]), flush=True)
        result["commits"][str(add)] = runs
        shutil.rmtree(work, ignore_errors=True)
    if args.latency:
        result["latency"] = latency(base, corpus, args.size, root / "work-latency")
        print(json.dumps(result["latency"]), flush=True)
    out = args.out or Path(__file__).parent / "results" / f"commits-{args.size}-{args.label}.json"
    out.write_text(json.dumps(result, indent=1))
    print(out)


if __name__ == "__main__":
    main()
