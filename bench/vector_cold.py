"""A cold ``hsearch query`` on the same index in both vector formats, and re-indexing an unchanged file.

    python -m bench.vector_cold --size 10000 --data ../shared/data

The bench index of ``--size`` articles (real embeddings, :func:`bench.corpus.bench_index`)
is copied twice: as written (format 2, a memory-mapped generation) and
converted to format 1 (one ``vectors.npz``, what hsearch wrote before
generations, which this hsearch still reads).  Whole ``hsearch query``
processes are timed on both, the two formats alternating round by round so
that the machine's load falls on both alike (median of ``--runs`` per mode).
Then the corpus file is indexed again into the format-2 copy: every article is
already there unchanged, so nothing is embedded; the wall time and the
report are recorded.  Writes ``bench/results/vector_cold-<size>.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import corpus as bench_corpus
from .latency import cold_queries
from .timing import machine, machine_line, md_table, write_results


def to_format_1(index_dir: Path) -> None:
    """Rewrite an index's vectors as format 1 (``vectors.npz`` with an exact FAISS index), keeping every row."""
    import faiss

    from hsearch.index import layout
    from hsearch.index.vector_segments import open_store

    store = open_store(index_dir)
    vectors, owners = store.all_vectors(), store.row_owners()
    pids = np.asarray(store._pids, np.int64)
    digests = np.repeat(store._digests, np.diff(store._starts))
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(store.dim))
    flat.add_with_ids(np.ascontiguousarray(vectors), pids)
    np.savez(layout.legacy_vectors_path(index_dir), faiss=faiss.serialize_index(flat), pids=pids,
             owners=owners.astype(str), digests=digests.astype(str), next_id=np.int64(store._next_id),
             dim=np.int64(store.dim), ann=np.asarray("flat"), nprobe=np.int64(16))
    del store, vectors
    shutil.rmtree(layout.vectors_dir(index_dir))
    path = layout.manifest_path(index_dir)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format_version"], data["vector_generation"] = 1, 0
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--modes", nargs="+", default=["semantic", "hybrid"])
    args = parser.parse_args()
    index_dir, build = bench_corpus.bench_index(args.size, args.data, vectors="real")
    queries = bench_corpus.load_queries(args.data)
    info = machine()
    with tempfile.TemporaryDirectory(dir=bench_corpus.cache_dir()) as tmp:
        copies = {"format 2 (generation, mapped)": Path(tmp) / "generation", "format 1 (vectors.npz)": Path(tmp) / "npz"}
        for target in copies.values():
            shutil.copytree(index_dir, target)
        to_format_1(copies["format 1 (vectors.npz)"])
        times: dict[str, dict[str, list[float]]] = {name: {m: [] for m in args.modes} for name in copies}
        for _ in range(args.runs):
            for name, target in copies.items():
                result = cold_queries(target, queries, 1, args.modes)
                for mode in args.modes:
                    times[name][mode].append(result[mode]["median_s"])
        cold = {name: {mode: statistics.median(values) for mode, values in by_mode.items()}
                for name, by_mode in times.items()}
        print(json.dumps(cold, indent=1), flush=True)

        corpus_file = bench_corpus.corpus_path(args.size, args.data)
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "hsearch", "index", "-q", "--index",
                               str(copies["format 2 (generation, mapped)"]), str(corpus_file)],
                              capture_output=True, text=True, check=True)
        reindex_s = time.perf_counter() - began
        report = done.stdout.strip().splitlines()[-1]
        print(f"re-index of the unchanged corpus: {reindex_s:.1f} s: {report}", flush=True)

    rows = [[name, *[f"{cold[name][m]:.2f}" for m in args.modes]] for name in cold]
    markdown = "\n".join([
        f"# Cold `hsearch query` by vector format, and re-indexing an unchanged file ({args.size:,} articles)",
        "",
        f"`python -m bench.vector_cold --size {args.size} --data {args.data} --runs {args.runs}`",
        "",
        f"{build.get('passages', 0):,} passages, all real; `hsearch query TEXT --index DIR --mode M` as a fresh "
        f"process, median of {args.runs} per cell, the two copies alternating.",
        "",
        *md_table(["vectors", *[f"{m} s" for m in args.modes]], rows),
        "",
        f"`hsearch index -q --index DIR {corpus_file.name}` into the index that already holds every article "
        f"unchanged: {reindex_s:.1f} s (`{report}`).",
        "",
        f"Machine: {machine_line(info)}",
        "",
    ])
    payload = {"size": args.size, "build": build, "cold_median_s": cold, "cold_runs_s": times,
               "reindex_unchanged_s": reindex_s, "reindex_report": report, "machine": info}
    for path in write_results(f"vector_cold-{args.size}", payload, markdown):
        print(path)


if __name__ == "__main__":
    main()
