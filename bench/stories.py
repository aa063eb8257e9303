"""Story clusters: quality on a syndicated corpus, false merges on real distinct articles, and costs.

    python -m bench.stories --data ../shared/data            # about 5 minutes on 2 busy cores

1. **Syndicated corpus** (:mod:`bench.syndicate`): originals are the seed
   story, the 107 FLORES Wikinews articles of ``seeds/``, the two Kursk test
   stories and every XQuAD Hindi paragraph (240 paragraphs of 48 Wikipedia
   articles: paragraphs of one article are on one topic, the hardest
   must-not-merge pairs here); each original gets 0-9 outlets' copies (seeded).
   Pairwise precision and recall of the clustering, for each containment
   threshold and LSH banding.
2. **False merges on real distinct articles**: seeds/, XQuAD paragraphs and
   the FLORES Wikivoyage/Wikibooks documents (sentences grouped by URL), all
   real and all different: every merge is a false one.  Also the bench
   corpus of :mod:`bench.corpus`, which reuses runs of sentences by
   construction, so it over-merges and is not a fair test (reported apart).
3. **Indexing cost** per 1,000 bench-corpus articles: ``hsearch index --model
   none`` whole, and the story clustering alone (analysis, MinHash, LSH).
4. **LSH memory**: datasketch's ``MinHashLSH`` against :class:`~hsearch.index.stories.BandIndex`
   on the same 64x2 banding, built from 10,000 stored signatures (random: the
   size of the tables does not depend on the text).
5. **Query cost** of collapsing: p50/p95 of ``SearchEngine.search_page``
   (BM25) over the 500 bench queries on an index of the syndicated corpus
   and 10,000 bench articles, against the ranking cut at k without collapse.
6. **datasketch or rensa**: MinHash and LSH speed of both on 1,000 real bodies
   (rensa is in the ``bench`` extra; its columns are empty without it).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from itertools import combinations
from pathlib import Path
from typing import Any

from hsearch.index.articles import parse_date
from hsearch.index.stories import DEFAULT_STORY_SETTINGS, StoryClusters, StorySettings, shingles

from .corpus import load_articles, load_queries
from .syndicate import syndicate
from .timing import machine, machine_line, md_table, summary_ms, versions, write_results
from hsearch.search.hydration import hydrate
from hsearch.search.request import SearchRequest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
KURSK = REPO / "tests" / "fixtures" / "kursk-stories.jsonl"
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
BANDINGS = ((32, 4), (42, 3), (64, 2))  # (bands, rows) of 128 MinHash values
SEED = 20250813

Record = dict[str, Any]


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds`` (wall clock, ``time.perf_counter``)."""

    seconds = 0.0

    def __enter__(self) -> Timer:
        self._began = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._began


def _jsonl(path: Path) -> list[Record]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_articles() -> list[Record]:
    records = [{"id": r["id"], "title": r["title"], "body": r["body"]} for r in _jsonl(SEEDS / "wikinews-flores-hi.jsonl")]
    for txt in sorted(SEEDS.glob("*.txt")):
        lines = txt.read_text(encoding="utf-8").splitlines()
        records.append({"id": txt.stem, "title": lines[0].strip(), "body": "\n".join(lines[1:]).strip()})
    return records


def xquad_articles(data: Path) -> list[Record]:
    return [{"id": r["id"], "title": r["title"], "body": r["body"]} for r in _jsonl(data / "xquad-hi-corpus.jsonl")]


def flores_documents(data: Path) -> list[Record]:
    """FLORES-200 dev Wikivoyage and Wikibooks rows, one document per source URL (Wikinews is in seeds/)."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in _jsonl(data / "parallel-en-hi-dev.jsonl"):
        if row.get("src", "").startswith("flores") and row.get("domain") in ("wikivoyage", "wikibooks"):
            grouped[row["url"]].append(row["hi"].strip())
    return [{"id": f"flores-doc-{i}", "title": "", "body": " ".join(sentences)}
            for i, (_, sentences) in enumerate(sorted(grouped.items()))]


def syndicated_corpus(data: Path) -> tuple[list[Record], dict[str, str]]:
    """Originals with dates and 0-9 copies each; returns the records and each record's true story."""
    rng = random.Random(SEED)
    originals = seed_articles() + _jsonl(KURSK) + xquad_articles(data)
    records, truth = [], {}
    for original in originals:
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        original = {**original, "date": original.get("date") or day}
        records.append(original)
        truth[original["id"]] = original["id"]
        for copy in syndicate(original, rng.choice((0, 0, 1, 2, 3, 5, 9)), seed=SEED):
            records.append(copy)
            truth[copy["id"]] = original["id"]
    return records, truth


def as_tuples(records: list[Record]) -> list[tuple[str, str, Any, str]]:
    return [(r["id"], r["body"], parse_date(r["date"]) if r.get("date") else None, "") for r in records]


def pairs_of(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for g in groups for p in combinations(g, 2)}  # type: ignore[misc]


def pairwise(clusters: StoryClusters, truth: dict[str, str]) -> dict[str, float]:
    predicted = pairs_of(list(clusters.stories().values()))
    gold_groups: dict[str, list[str]] = defaultdict(list)
    for article_id, story in truth.items():
        gold_groups[story].append(article_id)
    gold = pairs_of(list(gold_groups.values()))
    hit = len(predicted & gold)
    precision = hit / len(predicted) if predicted else 1.0
    recall = hit / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted_pairs": len(predicted),
            "gold_pairs": len(gold), "false_pairs": len(predicted - gold)}


def sweep(records: list[Record], truth: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    tuples = as_tuples(records)
    for bands, rows_per_band in BANDINGS:
        for threshold in THRESHOLDS:
            settings = replace(DEFAULT_STORY_SETTINGS, bands=bands, rows=rows_per_band, containment=threshold)
            with Timer() as timer:
                clusters = StoryClusters.build(tuples, settings)
            rows.append({"bands": bands, "rows": rows_per_band, "containment": threshold,
                         "seconds": timer.seconds, "checked_per_article": clusters.checked / len(tuples),
                         **pairwise(clusters, truth)})
            print(f"  b={bands} r={rows_per_band} t={threshold}: P={rows[-1]['precision']:.4f} "
                  f"R={rows[-1]['recall']:.4f} ({timer.seconds:.1f} s)", flush=True)
    return rows


def false_merges(name: str, records: list[Record], settings: StorySettings) -> dict[str, Any]:
    clusters = StoryClusters.build(as_tuples(records), settings)
    merged = [ids for ids in clusters.stories().values() if len(ids) > 1]
    n = len(records)
    examples = [ids[:4] for ids in sorted(merged, key=len, reverse=True)[:5]]
    return {"corpus": name, "articles": n, "merged_pairs": len(pairs_of(merged)), "all_pairs": n * (n - 1) // 2,
            "bands": settings.bands, "rows": settings.rows, "containment": settings.containment,
            "checked_per_article": clusters.checked / max(n, 1),
            "articles_in_merged_stories": sum(len(ids) for ids in merged), "stories": len(clusters.stories()),
            "examples": examples}


def indexing_cost(data: Path, size: int) -> dict[str, Any]:
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths

    from .corpus import corpus_path

    articles = load_articles(size, data)
    records = [(a.id, a.body, a.date, "") for a in articles]
    with Timer() as analysis:
        sets = [shingles(body) for _, body, _, _ in records]
    clusters = StoryClusters()
    with Timer() as hashing:
        for own in sets:
            clusters.signature(own)  # the MinHash step alone
    with Timer() as build:
        built = StoryClusters.build(records)
    with tempfile.TemporaryDirectory() as folder:
        with Timer() as whole:
            index_paths(Path(folder) / "index", [corpus_path(size, data)], IndexSettings(model="none"))
        path = Path(folder) / "stories.npz"
        built.save(path, 0)
        with Timer() as reload:
            StoryClusters.load(path)._index()  # noqa: SLF001  (what a writer pays before its first add)
        size_mb = path.stat().st_size / 2**20
    per_k = 1000 / size
    return {"articles": size, "index_model_none_s_per_1k": whole.seconds * per_k,
            "stories_s_per_1k": build.seconds * per_k, "analysis_s_per_1k": analysis.seconds * per_k,
            "minhash_s_per_1k": hashing.seconds * per_k, "reload_lsh_s_per_1k": reload.seconds * per_k,
            "stories_file_mb_per_1k": size_mb * per_k}


def lsh_memory(count: int = 10_000, traced: int = 3_000) -> list[dict[str, Any]]:
    """Build time on ``count`` signatures; memory held, per article, from a tracemalloc run on ``traced``."""
    import tracemalloc

    import numpy as np
    from datasketch import MinHash, MinHashLSH

    from hsearch.index.stories import BandIndex, _Member

    settings = DEFAULT_STORY_SETTINGS
    signatures = np.random.default_rng(SEED).integers(0, 2**32 - 2, size=(count, settings.num_perm), dtype=np.uint32)
    members = {f"a{i:07d}": _Member("", 0, "", signatures[i]) for i in range(count)}

    def sketch(signature: np.ndarray) -> MinHash:
        return MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme=settings.scheme,
                       hashvalues=signature.astype(np.uint64))

    def ours(chosen: dict[str, _Member]) -> BandIndex:
        return BandIndex.build(chosen, settings.bands, settings.rows)

    def theirs(chosen: dict[str, _Member]) -> MinHashLSH:
        lsh = MinHashLSH(num_perm=settings.num_perm, params=(settings.bands, settings.rows))
        with lsh.insertion_session() as session:
            for article_id, member in chosen.items():
                session.insert(article_id, sketch(member.signature))
        return lsh

    few = dict(list(members.items())[:traced])
    rows = []
    for name, build in (("BandIndex (hsearch)", ours), ("datasketch MinHashLSH", theirs)):
        with Timer() as timer:
            built = build(members)
        tracemalloc.start()
        kept = build(few)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del kept
        rows.append({"lsh": name, "articles": count, "build_s": timer.seconds, "kb_per_article": held / traced / 1024})
        probe = members["a0000001"].signature
        found = built.query(probe) if isinstance(built, BandIndex) else set(built.query(sketch(probe)))
        assert found == {"a0000001"}
    return rows


def _string_shingles(body: str, size: int = DEFAULT_STORY_SETTINGS.shingle_size) -> set[str]:
    """Shingles as strings, the input both MinHash libraries take (hsearch hashes them to 64 bits itself)."""
    from hsearch.index.analysis import analyze

    terms = analyze(body)
    return {" ".join(terms[i:i + size]) for i in range(max(1, len(terms) - size + 1))} if terms else set()


def library_speeds(data: Path, count: int = 1000) -> dict[str, float]:
    """datasketch against rensa (when installed) on ``count`` bodies of 12 real sentences (FLORES/TICO hi)."""
    import numpy as np

    rows = [r["hi"] for r in _jsonl(data / "parallel-en-hi-dev.jsonl")]
    rng = random.Random(SEED)
    bodies = [" ".join(rng.sample(rows, 12)) for _ in range(count)]
    found: dict[str, float] = {}
    with Timer() as analysis:
        sets = [sorted(_string_shingles(body)) for body in bodies]
    found["analysis_s"] = analysis.seconds
    found["mean_shingles"] = float(np.mean([len(s) for s in sets]))
    from datasketch import MinHash, MinHashLSH

    settings = DEFAULT_STORY_SETTINGS
    with Timer() as hashing:
        sketches = []
        for own in sets:
            sketch = MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme=settings.scheme)
            sketch.update_batch([x.encode("utf-8") for x in own])
            sketches.append(sketch)
    lsh = MinHashLSH(num_perm=settings.num_perm, params=(settings.bands, settings.rows))
    with Timer() as inserting:
        for i, sketch in enumerate(sketches):
            lsh.insert(str(i), sketch)
    with Timer() as querying:
        for sketch in sketches:
            lsh.query(sketch)
    found |= {"datasketch_minhash_s": hashing.seconds, "datasketch_lsh_insert_s": inserting.seconds,
              "datasketch_lsh_query_s": querying.seconds}
    try:
        import rensa
    except ImportError:
        return found
    with Timer() as hashing:
        ours = []
        for own in sets:
            sketch = rensa.RMinHash(settings.num_perm, settings.seed)
            sketch.update(own)
            ours.append(sketch)
    index = rensa.RMinHashLSH(0.5, settings.num_perm, settings.bands)
    with Timer() as inserting:
        for i, sketch in enumerate(ours):
            index.insert(i, sketch)
    with Timer() as querying:
        for sketch in ours:
            index.query(sketch)
    found |= {"rensa_minhash_s": hashing.seconds, "rensa_lsh_insert_s": inserting.seconds,
              "rensa_lsh_query_s": querying.seconds}
    return found


def query_cost(data: Path, records: list[Record], bench_size: int) -> dict[str, Any]:
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths
    from hsearch.search.collapse import PageRequest, arrange
    from hsearch.search.engine import SearchEngine, SearchSettings

    from .corpus import corpus_path

    queries = [q.text for q in load_queries(data)]
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "syndicated.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        index_dir = Path(folder) / "index"
        index_paths(index_dir, [source, corpus_path(bench_size, data)], IndexSettings(model="none"))
        timings: dict[str, list[float]] = defaultdict(list)
        collapsed_away = 0
        with SearchEngine(index_dir, SearchSettings(mode="bm25", preload=True)) as engine:
            articles = engine.fulltext.doc_count
            for text in queries[:20]:  # warm the length tables and caches
                engine.search(SearchRequest.of(text))
            for text in queries:
                calls = {
                    "ranking cut at k=10, no collapse (the old search)":
                        lambda: hydrate(engine.snapshot(), engine.rank(text, depth=10), PageRequest(collapse=False)),
                    "pool of 100, no collapse": lambda: engine.search(SearchRequest.of(text, page=PageRequest(collapse=False))),
                    "pool of 100, collapsed (default)": lambda: engine.search(SearchRequest.of(text)),
                    "pool of 100, collapsed, newest first": lambda: engine.search(SearchRequest.of(text, page=PageRequest(sort="date"))),
                }
                for name, call in calls.items():
                    began = time.perf_counter()
                    page = call()
                    timings[name].append(time.perf_counter() - began)
                    assert len(page.hits) <= 10
                ranking = engine.rank(text, depth=100)
                began = time.perf_counter()
                arranged = arrange(ranking.ranked, PageRequest(), story_of=engine.stories.stories,
                                   date_of=lambda ids: {})
                timings["arrange() alone (story lookup + collapse)"].append(time.perf_counter() - began)
                collapsed_away += len(ranking.ranked) - arranged.total
    return {"articles": articles, "queries": len(queries), "copies_folded_per_query": collapsed_away / len(queries),
            "timings": {name: summary_ms(values) for name, values in timings.items()}}


def render(result: dict[str, Any]) -> str:
    chosen = result["chosen"]
    lines = ["# Story clusters: quality and cost", "",
             f"- command: `{result['command']}`",
             f"- machine: {machine_line(result['machine'])}; load average after the run "
             f"{', '.join(map(str, result['load_after']))}",
             f"- versions: {', '.join(f'{k} {v}' for k, v in result['versions'].items())}",
             f"- syndicated corpus: {result['syndicated']['articles']} articles = {result['syndicated']['originals']} "
             f"originals (seeds/ 108, Kursk test stories 2, XQuAD hi 240) + {result['syndicated']['copies']} copies "
             "made by bench/syndicate.py (seeded: new headline, dropped/swapped paragraphs, dateline and footer, "
             "edited sentences, date +0-2 days). Text: FLORES-200 dev (CC BY-SA 4.0), XQuAD (CC BY-SA 4.0), "
             "the seed article.",
             "", "## Pairwise precision and recall on the syndicated corpus", "",
             "A pair is two articles in one story; precision = predicted pairs that are true, recall = true pairs "
             "found. LSH banding (bands x rows of 128 MinHash values) proposes candidates; containment confirms.", ""]
    table = [(f"{r['bands']}x{r['rows']}", f"{r['containment']:.1f}", f"{r['precision']:.4f}", f"{r['recall']:.4f}",
              f"{r['f1']:.4f}", r["false_pairs"], f"{r['seconds']:.1f}") for r in result["sweep"]]
    lines += md_table(["LSH", "containment", "precision", "recall", "F1", "false pairs", "build s"], table)
    lines += ["", f"**Chosen: LSH {chosen['bands']}x{chosen['rows']}, containment {chosen['containment']}** "
              f"(precision {chosen['precision']:.4f}, recall {chosen['recall']:.4f}). {result['why']}", "",
              "## False merges on real distinct articles", "",
              "Every article here is a different real text, so every merged pair is a false merge "
              "(undated: no date window helps).", ""]
    rows = [(f["corpus"], f["articles"], f["merged_pairs"], f"{f['merged_pairs'] / max(f['all_pairs'], 1):.2e}",
             f["articles_in_merged_stories"], "; ".join(" + ".join(e) for e in f["examples"][:3]) or "-")
            for f in result["false_merges"]]
    lines += md_table(["corpus", "articles", "merged pairs", "of all pairs", "articles in merged stories",
                       "largest merged stories"], rows)
    lines += ["", "The bench corpus (bench/corpus.py) builds bodies from runs of consecutive pool sentences, "
              "so different articles share whole paragraphs: it over-merges by construction and is no test of "
              "false merges; it is listed to show what collapsing does on it.", "",
              "## Indexing cost", ""]
    cost = result["indexing"]
    lines += md_table(["per 1,000 bench articles", "seconds"], [
        ("`hsearch index --model none`, whole (stories included)", f"{cost['index_model_none_s_per_1k']:.2f}"),
        ("story clustering alone (StoryClusters.build)", f"{cost['stories_s_per_1k']:.2f}"),
        ("  of which: analysing bodies into shingles", f"{cost['analysis_s_per_1k']:.2f}"),
        ("  of which: MinHash signatures (datasketch)", f"{cost['minhash_s_per_1k']:.2f}"),
        ("reloading the LSH from stories.npz (a writer's first add)", f"{cost['reload_lsh_s_per_1k']:.2f}"),
    ])
    share = cost["stories_s_per_1k"] / cost["index_model_none_s_per_1k"]
    lines += ["", f"stories.npz: {cost['stories_file_mb_per_1k']:.2f} MiB per 1,000 articles "
              f"(measured on {cost['articles']:,}). In this run clustering is {share:.0%} of a full-text-only "
              "build (the body is analysed twice: by Whoosh and for the shingles). With the embedded model, "
              "embedding dominates: about 126 s per 1,000 articles at a load average near 1 "
              "(bench/results/indexing-10000.md), against a few seconds of clustering.", "",
              "## LSH memory and rebuild time", "",
              "What a writer holds while it adds articles: the LSH over every stored signature (64x2), built "
              "when the first article of a write is placed. Random signatures (the tables' size does not depend on "
              "the text); both find the probe.", ""]
    lines += md_table(["LSH", "build s, 10,000 articles", "KiB held per article (tracemalloc, 3,000)"],
                      [(r["lsh"], f"{r['build_s']:.2f}", f"{r['kb_per_article']:.2f}") for r in result["lsh"]])
    lines += ["", "## Query cost of collapsing", ""]
    q = result["query"]
    lines += [f"BM25, {q['queries']} bench queries (MIRACL hi + FLORES en) on {q['articles']:,} articles "
              f"(the syndicated corpus + bench articles); on average {q['copies_folded_per_query']:.1f} of the "
              "100 pooled results per query were folded under another copy.", ""]
    lines += md_table(["search", "p50 ms", "p95 ms", "mean ms"],
                      [(name, f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}", f"{s['mean_ms']:.1f}")
                       for name, s in q["timings"].items()])
    speeds = result["libraries"]
    lines += ["", "## datasketch or rensa", "",
              f"{speeds.get('mean_shingles', 0):.0f} shingles per body on average, 1,000 bodies of 12 real sentences:", ""]
    lines += md_table(["step", "datasketch 2.0 s", "rensa s"], [
        ("analysing the bodies (either way)", f"{speeds['analysis_s']:.2f}", f"{speeds['analysis_s']:.2f}"),
        ("MinHash signatures", f"{speeds['datasketch_minhash_s']:.2f}", f"{speeds.get('rensa_minhash_s', float('nan')):.2f}"),
        ("LSH insert", f"{speeds['datasketch_lsh_insert_s']:.2f}", f"{speeds.get('rensa_lsh_insert_s', float('nan')):.2f}"),
        ("LSH query", f"{speeds['datasketch_lsh_query_s']:.3f}", f"{speeds.get('rensa_lsh_query_s', float('nan')):.3f}"),
    ])
    lines += ["", result["library"], ""]
    return "\n".join(lines) + "\n"


LIBRARY_NOTE = (
    "rensa hashes several times faster, but its LSH "
    "takes only its own RMinHash objects, with no documented way to rebuild one from stored digests, so "
    "reopening an index would mean re-analysing every body. datasketch rebuilds a MinHash from stored hash "
    "values (documented, with an explicit permutation scheme), so hsearch uses it for the signatures, at the "
    "price of the difference in the MinHash row (about 1 s per 1,000 articles here; analysing the body is the "
    "larger cost either way). Its MinHashLSH, though, holds a Python dict entry per article and "
    "band (table above), too much to rebuild at every write of a large index, so the bands live in "
    "hsearch's BandIndex (sorted numpy arrays, the same candidates)."
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="../shared/data")
    parser.add_argument("--bench-size", type=int, default=10_000, help="bench-corpus articles for the query cost")
    parser.add_argument("--cost-size", type=int, default=2_000, help="bench-corpus articles for the indexing cost")
    parser.add_argument("--out", default="stories", help="results name under bench/results/")
    args = parser.parse_args(argv)
    started = machine()
    records, truth = syndicated_corpus(args.data)
    originals = len(set(truth.values()))
    print(f"syndicated corpus: {len(records)} articles, {originals} originals", flush=True)
    rows = sweep(records, truth)
    default = next(r for r in rows if (r["bands"], r["rows"], r["containment"]) ==
                   (DEFAULT_STORY_SETTINGS.bands, DEFAULT_STORY_SETTINGS.rows, DEFAULT_STORY_SETTINGS.containment))
    print("false merges", flush=True)
    distinct = [false_merges("seeds/ (Wikinews + seed story)", seed_articles(), DEFAULT_STORY_SETTINGS),
                false_merges("XQuAD hi paragraphs", xquad_articles(args.data), DEFAULT_STORY_SETTINGS),
                false_merges("FLORES Wikivoyage/Wikibooks documents", flores_documents(args.data), DEFAULT_STORY_SETTINGS)]
    everything = seed_articles() + xquad_articles(args.data) + flores_documents(args.data)
    distinct.append(false_merges("all of the above together", everything, DEFAULT_STORY_SETTINGS))
    bench_records = [{"id": a.id, "body": a.body, "date": a.date.date().isoformat() if a.date else None}
                     for a in load_articles(2000, args.data)]
    distinct.append(false_merges("bench corpus, 2,000 (over-merges by construction)", bench_records,
                                 DEFAULT_STORY_SETTINGS))
    print("indexing cost", flush=True)
    indexing = indexing_cost(args.data, args.cost_size)
    print("lsh memory", flush=True)
    lsh = lsh_memory()
    print("libraries", flush=True)
    libraries = library_speeds(args.data)
    print("query cost", flush=True)
    query = query_cost(args.data, records, args.bench_size)
    result = {
        "command": "python -m bench.stories --data ../shared/data" + (
            f" --bench-size {args.bench_size}" if args.bench_size != 10_000 else ""),
        "machine": started, "versions": versions("hsearch", "datasketch", "rensa", "whoosh-reloaded"),
        "syndicated": {"articles": len(records), "originals": originals, "copies": len(records) - originals},
        "sweep": rows, "chosen": default, "false_merges": distinct, "indexing": indexing, "lsh": lsh, "libraries": libraries, "query": query,
        "library": LIBRARY_NOTE, "why": WHY, "load_after": machine()["load_avg"],
    }
    json_path, md_path = write_results(args.out, result, render(result))
    print(f"wrote {md_path} and {json_path}")
    return result


WHY = ("With 64x2 banding the LSH proposes the trimmed copies that 42x3 and 32x4 miss (recall 0.9988 against "
       "0.9786 and 0.9330 at containment 0.5), and on real distinct articles it proposes almost no pairs at all, "
       "so the wider net costs nothing measurable. Recall is flat from containment 0.2 to 0.6 and precision is "
       "1.0 throughout on this corpus; 0.5 sits in the middle of that plateau, away from the drop above 0.7, and "
       "in a first run of this bench (a generator bug then cut copies down to a few shingles, mostly outlet "
       "boilerplate) it was the lowest threshold at which footers shared by one outlet's copies stopped merging "
       "different stories (64x2 precision 0.956 at 0.2-0.3, 0.974 at 0.4, 0.998 at 0.5, 1.0 at 0.6). It reads as "
       "'at least half of the shorter text is shared', a rule an editor can check by eye.")

if __name__ == "__main__":
    main()
