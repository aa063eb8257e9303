"""Collect, once, what the relevance decision reads for every dev query (the expensive part: embedding).

    python -m bench.relevance_collect --data ../shared/data

For every query of bench.relevance_sets it ranks both sides at depth 100 with
no floor and keeps, per candidate, what :mod:`hsearch.search.relevance` judges
from (cosine, share of the query's idf mass its words match, hubness), and per
query the whole-index background.  Written as JSON to the bench cache
(``relevance-signals.json``) so that bench.relevance_study can sweep rules
without searching again.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hsearch.index.settings import IndexSettings
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.evaluation import RUN_DEPTH
from hsearch.search.retrieval import word_groups

from .datasets import _jsonl, all_sets, cache_dir, cached_index
from .relevance_sets import ABSENT_TOPICS
from .romanized import first_words

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
OUT = "relevance-signals.json"


def record(engine: SearchEngine, query: str) -> dict[str, object]:
    ranking = engine.rank(query, mode="hybrid", depth=RUN_DEPTH, min_score=0, reference=True)
    signals = ranking.signals
    fulltext = engine.fulltext
    groups = word_groups(fulltext, ranking.terms, ranking.plan)
    matched = fulltext.matched_terms(ranking.terms, [d for d, _ in ranking.bm25])
    return {"q": query, "latin": ranking.latin, "romanized": ranking.plan.romanized, "upper": ranking.bm25_upper,
            "context": signals.context.as_dict() if signals else None,
            "bm25": ranking.bm25, "dense": ranking.dense,
            "coverage": dict(signals.coverage) if signals else {},
            "groups": [[dict(members), idf] for members, idf in groups],
            "matched": {d: sorted(t) for d, t in matched.items() if t},
            "hub": hubness(engine, [d for d, _ in ranking.dense]) if HUB else {}}


#: Generic news queries (no one topic): an article close to all of them is a "hub" (CSLS's r_d).
GENERIC = ("आज की ताज़ा खबर", "देश में क्या हुआ", "सरकार ने घोषणा की", "लोगों ने बताया", "पुलिस ने कहा",
           "मौसम का हाल", "खेल समाचार", "अंतरराष्ट्रीय समाचार", "विज्ञान की खोज", "स्वास्थ्य की जानकारी",
           "latest news today", "what happened in the country", "government announcement", "people said",
           "police statement", "weather report", "sports news", "world news", "science discovery", "health advice")
_generic: dict[int, object] = {}
HUB = False  # measured (bench/results/relevance.md): no gain; --hub collects it again


def hubness(engine: SearchEngine, ids: list[str]) -> dict[str, float]:
    """Each article's mean (over GENERIC) best-passage cosine: how close it is to any query."""
    import numpy as np

    semantic = engine.semantic
    if semantic is None:
        return {}
    key = id(engine)
    if key not in _generic:
        _generic[key] = np.stack([semantic.embed(q) for q in GENERIC])
    g = _generic[key]
    return {d: float((semantic.store.vectors_of(d) @ g.T).max(axis=0).mean()) for d in ids}


def absent_queries(engine: SearchEngine) -> list[str]:
    """The absent-topic queries none of whose words this index holds (expansion off)."""
    fulltext = engine.fulltext
    kept = []
    for query in ABSENT_TOPICS:
        words = [t.text for t in fulltext.analyzer(query, mode="query")]
        if words and all(fulltext.term_frequency(w) == 0 for w in words):
            kept.append(query)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--hub", action="store_true", help="also collect each candidate's hubness")
    parser.add_argument("--limit", type=int, default=0, help="at most this many queries per set (0: all)")
    args = parser.parse_args()
    global HUB
    HUB = args.hub
    out: dict[str, dict[str, object]] = {}
    settings = SearchSettings(preload=True)
    corpora: dict[str, Path] = {}
    for s in all_sets(args.data):
        name = s.name.split("-")[0] if s.name.startswith("xquad") else s.name
        corpora[name] = cached_index(s.corpus, name, IndexSettings())
        topics = s.topics[: args.limit or None]
        with SearchEngine(corpora[name], settings) as engine:
            out[s.name] = {"qrels": s.qrels, "runs": {qid: record(engine, q) for qid, q in topics}}
        print(s.name, len(topics), flush=True)
    rows = _jsonl(args.data / "romanized-hi-dev.jsonl")
    corpora["romanized"] = cached_index([{"id": r["id"], "title": "", "body": r["native"]} for r in rows],
                                        "romanized-hi-dev", IndexSettings())
    with SearchEngine(corpora["romanized"], settings) as engine:
        topics = [(r["id"], first_words(r["romanized"])) for r in rows][: args.limit or None]
        out["romanized-4"] = {"qrels": {r["id"]: {r["id"]: 1} for r in rows},
                              "runs": {qid: record(engine, q) for qid, q in topics}}
    print("romanized", flush=True)
    seeds = [{"id": d["id"], "title": d.get("title", ""), "body": d["body"]}
             for d in _jsonl(SEEDS / "wikinews-flores-hi.jsonl")]
    corpora["seeds"] = cached_index(seeds, "seeds-wikinews", IndexSettings())
    for name, index_dir in corpora.items():
        with SearchEngine(index_dir, settings) as engine:
            queries = absent_queries(engine)
            out[f"absent-{name}"] = {"qrels": {}, "runs": {q: record(engine, q) for q in queries}}
        print("absent", name, len(queries), flush=True)
    (cache_dir() / OUT).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
