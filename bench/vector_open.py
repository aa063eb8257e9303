"""What opening the vector side costs a fresh process: format 1 (one ``vectors.npz``) against generations.

    python -m bench.vector_open --data ../shared/data --passages 37170 371818

For each size a store is made from the real passage embeddings of the bench
corpus (beyond what is embedded, rows are real vectors plus seeded noise of
norm 0.3, re-normalized, as ``bench.corpus`` does for the 100k latency index:
right for timing, never for quality), saved in both formats with the search
hsearch picks at that size (``auto``: exact up to 200,000 passages, IVF
beyond).  Then, in a new Python process each time (page cache warm, as for
``hsearch query`` run twice), the store is opened and one query is answered:
the seconds until the answer and the process's resident memory after it, split
into anonymous memory (the process's own) and file-backed pages (shared page
cache, given back under pressure).  Median of ``--repeat`` runs.
Writes ``bench/results/vector_open.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .corpus import NOISE, embedded_count, load_embeddings
from .timing import machine, machine_line, md_table, write_results

CHILD = r"""
import json, sys, time
began = time.perf_counter()
from pathlib import Path
import numpy as np
from hsearch.index.vectors import VectorStore
kind, path, dim = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
query = np.load(sys.argv[4])
imported = time.perf_counter()
if kind == "before":  # what hsearch did before generations: read the zip, deserialize FAISS, map rows in Python
    import faiss
    with np.load(path, allow_pickle=False) as data:
        index = faiss.deserialize_index(data["faiss"])
        pids, owners = list(data["pids"].tolist()), data["owners"].tolist()
        digests, nprobe = data["digests"].tolist(), int(data["nprobe"])
    owner_of = dict(zip(pids, owners))
    opened = time.perf_counter()
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = nprobe
    scores, ids = index.search(query.reshape(1, -1), 64)
    hits = list(dict.fromkeys(owner_of[i] for i in ids[0].tolist() if i >= 0))[:10]
else:
    store = VectorStore.load(path, dim) if kind == "generation" else VectorStore.load_legacy(path, dim)
    opened = time.perf_counter()
    hits = store.search(query, 10)
done = time.perf_counter()
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
kb = lambda key: int(status[key].split()[0]) if key in status else 0
print(json.dumps({"open_s": opened - imported, "first_search_s": done - opened, "total_s": done - began,
                  "rss_mb": kb("VmRSS") / 1024, "anon_mb": kb("RssAnon") / 1024, "file_mb": kb("RssFile") / 1024,
                  "hits": len(hits)}))
"""

BASELINE = r"""
import json, time
began = time.perf_counter()
import numpy as np
from hsearch.index.vectors import VectorStore
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
kb = lambda key: int(status[key].split()[0]) if key in status else 0
print(json.dumps({"total_s": time.perf_counter() - began, "rss_mb": kb("VmRSS") / 1024,
                  "anon_mb": kb("RssAnon") / 1024, "file_mb": kb("RssFile") / 1024}))
"""


def make_rows(passages: int, data: Path, seed: int = 20240817) -> tuple[np.ndarray, np.ndarray]:
    """``passages`` rows (real first, then perturbed copies) and passages per article (~3.7)."""
    real, counts, _ = load_embeddings(embedded_count(data), data)
    rows = [real]
    rng = np.random.default_rng(seed)
    while sum(len(r) for r in rows) < passages:
        noise = rng.standard_normal(real.shape).astype(np.float32)
        noise *= NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
        copy = real + noise
        rows.append(copy / np.linalg.norm(copy, axis=1, keepdims=True))
    matrix = np.concatenate(rows)[:passages].astype(np.float32)
    repeats = -(-passages // int(counts.sum())) + 1
    sizes = np.tile(counts, repeats)
    ends = np.cumsum(sizes)
    sizes = sizes[: int(np.searchsorted(ends, passages)) + 1]
    sizes[-1] -= int(sizes.sum()) - passages
    return matrix, sizes[sizes > 0]


def write_both(matrix: np.ndarray, sizes: np.ndarray, folder: Path, ann: str = "auto",
               exact_limit: int = 200_000) -> dict[str, Path]:
    import faiss

    from hsearch.index.vectors import VectorStore

    store = VectorStore(matrix.shape[1])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for i in range(len(sizes)):
        store.add(f"article-{i:07d}", matrix[offsets[i]:offsets[i + 1]], "0123456789abcdef")
    store.choose_ann(ann, exact_limit)
    generation = folder / "vectors" / "g000001"
    generation.parent.mkdir(parents=True)
    store.save(generation)
    # format 1, as hsearch wrote it before generations: the FAISS index serialized into a zip
    pids = np.arange(len(matrix), dtype=np.int64)
    if store.ann != "flat":  # format 1 had IVF-Flat as its only approximate index
        nlist = max(16, min(int(4 * np.sqrt(len(matrix))), len(matrix) // 39))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(matrix.shape[1]), matrix.shape[1], nlist,
                                   faiss.METRIC_INNER_PRODUCT)
        index.train(matrix[np.random.default_rng(0).choice(len(matrix), nlist * 64, replace=False)])
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        nprobe = max(8, nlist // 16)
    else:
        index, nprobe = faiss.IndexIDMap2(faiss.IndexFlatIP(matrix.shape[1])), 16
    index.add_with_ids(matrix, pids)
    owners = np.repeat(np.asarray([f"article-{i:07d}" for i in range(len(sizes))]), sizes)
    legacy = folder / "vectors.npz"
    np.savez(legacy, faiss=faiss.serialize_index(index), pids=pids, owners=owners.astype(str),
             digests=np.full(len(matrix), "0123456789abcdef"), next_id=np.int64(len(matrix)),
             dim=np.int64(matrix.shape[1]), ann=np.asarray("ivf" if store.ann != "flat" else "flat"),
             nprobe=np.int64(nprobe))
    return {"generation": generation, "format 1 (vectors.npz)": legacy, "ann": Path(store.ann)}


def run_child(script: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--passages", type=int, nargs="+", default=[37_170, 371_818])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ann", default="auto", help="the search of the format-2 store (format 1: flat or IVF-Flat)")
    parser.add_argument("--name", default="vector_open", help="results file name")
    args = parser.parse_args()
    info = machine()
    baseline = [run_child(BASELINE) for _ in range(args.repeat)]
    base = {key: statistics.median(b[key] for b in baseline) for key in baseline[0]}
    results = []
    for passages in args.passages:
        matrix, sizes = make_rows(passages, args.data)
        query = matrix[len(matrix) // 3]
        with tempfile.TemporaryDirectory() as tmp:
            paths = write_both(matrix, sizes, Path(tmp), args.ann)
            np.save(Path(tmp) / "query.npy", query)
            ann = str(paths.pop("ann"))
            disk = {kind: sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
                    for kind, path in paths.items()}
            paths["format 1, read as before generations"] = paths["format 1 (vectors.npz)"]
            disk["format 1, read as before generations"] = disk["format 1 (vectors.npz)"]
            for kind, path in paths.items():
                child_kind = {"generation": "generation", "format 1 (vectors.npz)": "legacy"}.get(kind, "before")
                runs = [run_child(CHILD, child_kind, str(path), str(matrix.shape[1]), str(Path(tmp) / "query.npy"))
                        for _ in range(args.repeat)]
                row = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
                row.update(passages=passages, articles=len(sizes), format=kind, ann=ann, disk_mb=disk[kind] / 2**20)
                row["anon_over_base_mb"] = row["anon_mb"] - base["anon_mb"]
                results.append(row)
                print(json.dumps(row), flush=True)
        del matrix
    markdown = "\n".join([
        "# Opening the vector side in a fresh process",
        "",
        f"`python -m bench.vector_open --data {args.data} --passages {' '.join(map(str, args.passages))} "
        f"--ann {args.ann}`",
        "",
        "A new Python process opens the store and answers one query (page cache warm). Anonymous memory is the "
        f"process's own, above a process that only imports hsearch's vector module ({base['anon_mb']:.0f} MiB); "
        "file-backed pages are shared page cache. Beyond 37,170 passages the rows are real vectors plus noise "
        "(timing only).",
        "",
        *md_table(["passages", "search", "format", "open s", "first search s", "anonymous MiB over base",
                   "bytes/passage anonymous", "file-backed MiB", "disk MiB"],
                  [[f"{r['passages']:,}", r["ann"], r["format"], f"{r['open_s']:.3f}", f"{r['first_search_s']:.3f}",
                    f"{r['anon_over_base_mb']:.0f}", f"{r['anon_over_base_mb'] * 2**20 / r['passages']:.0f}",
                    f"{r['file_mb']:.0f}", f"{r['disk_mb']:.0f}"] for r in results]),
        "",
        f"Machine: {machine_line(info)}",
        "",
    ])
    for path in write_results(args.name, {"rows": results, "baseline": base, "machine": info}, markdown):
        print(path)


if __name__ == "__main__":
    main()
