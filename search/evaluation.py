"""Retrieval quality with trec_eval's own measures (through pytrec_eval).

pytrec_eval wraps trec_eval's C code, so the numbers are the ones IR papers
report; hand-rolled nDCG formulas drift (gain, log base, ties).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hsearch.index.errors import HsearchError

# measure label -> (trec_eval measure, result key, run cut-off)
MEASURES: dict[str, tuple[str, str, int | None]] = {
    "nDCG@10": ("ndcg_cut", "ndcg_cut_10", None),
    "MRR@10": ("recip_rank", "recip_rank", 10),
    "Recall@10": ("recall", "recall_10", None),
    "Recall@100": ("recall", "recall_100", None),
}
RUN_DEPTH = 100

Run = dict[str, list[tuple[str, float]]]


def _pytrec_eval():  # type: ignore[no-untyped-def]
    try:
        import pytrec_eval
    except ImportError:
        raise HsearchError("evaluation needs pytrec_eval: pip install 'hsearch[eval]'") from None
    return pytrec_eval


def evaluate(run: Run, qrels: dict[str, dict[str, int]], measures: Sequence[str] = tuple(MEASURES)) -> dict[str, float]:
    """Score a run (ranked ids per query) against qrels.

    Scores are replaced by rank-derived values: trec_eval re-sorts by score and
    breaks ties by doc id, which would silently reorder tied fused scores.
    """
    pytrec_eval = _pytrec_eval()
    judged = {qid: docs for qid, docs in qrels.items() if any(rel > 0 for rel in docs.values())}
    totals = {label: 0.0 for label in measures}
    for label in measures:
        measure, key, cutoff = MEASURES[label]
        by_rank = {
            qid: {doc: float(len(ranked) - i) for i, (doc, _) in enumerate(ranked[:cutoff] if cutoff else ranked)}
            for qid, ranked in run.items() if qid in judged and ranked
        }
        evaluator = pytrec_eval.RelevanceEvaluator(judged, {measure})
        per_query = evaluator.evaluate(by_rank)
        totals[label] = sum(values[key] for values in per_query.values()) / max(len(judged), 1)
    return totals


def run_topics(rank: Callable[[str], list[tuple[str, float]]], topics: Sequence[tuple[str, str]]) -> Run:
    """Apply one ranking function to every topic."""
    return {qid: rank(query) for qid, query in topics}
