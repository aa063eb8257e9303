"""Results as data for other programs: the response shapes, HTML snippets, TREC run lines.

One owner for each shape: :class:`HitResponse` is a result wherever it is
read -- the CLI's ``--json`` lines and the API's responses (and so its
OpenAPI description) are both made from it -- and :class:`ArticleResponse`
and :class:`Expansion` likewise.  No terminal or web framework here.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, Field

from hsearch.index.articles import iso_utc

from .expansion import ExpandedKind, QueryPlan
from .hydration import Hit
from .snippets import Snippet

TREC_TAG = "hsearch"
# Stored fields of an article beside its id, title and body; empty ones are null in JSON.
OPTIONAL_FIELDS = ("source", "category", "url")


def snippet_html(snippet: Snippet) -> str:
    """Escaped text with ``<mark>`` around matches, safe to insert into a page."""
    return "".join(
        f"<mark>{html.escape(s.text)}</mark>" if s.match else html.escape(s.text) for s in snippet
    )


def _iso(value: object) -> str | None:
    """Dates with their zone (``+00:00``): stored as naive UTC, they must not read as local time."""
    return iso_utc(value) if isinstance(value, datetime) else None


class SideScore(BaseModel):
    score: float | None = Field(description="This side's raw score (BM25, or cosine of the best passage).")
    rank: int | None = Field(description="Rank on this side alone; null when this side did not return the article.")


class StoryCopy(BaseModel):
    id: str
    source: str | None
    title: str
    date: str | None = Field(description="ISO 8601, UTC.")


class More(BaseModel):
    count: int = Field(description="Other copies of this result's story that collapsing folded under it "
                                   "(0 with collapse=false).")
    copies: list[StoryCopy] = Field(description="Those copies, best-ranked first.")


class HitResponse(BaseModel):
    """One result as the CLI's ``--json`` and the API give it."""

    rank: int
    id: str
    title: str
    title_html: str = Field(description="The title as HTML: escaped text with <mark> around the query's words.")
    date: str | None = Field(description="ISO 8601, UTC.")
    source: str | None
    category: str | None
    url: str | None
    score: float = Field(description="The score the results are ordered by. In hybrid mode it is fused per query by "
                                     "min-max scaling, so 0.0 is the query's weakest candidate, not a non-match; "
                                     "bm25 and cosine hold each side's raw score.")
    snippet: str = Field(description="HTML: escaped text with <mark> around the matched words, nothing else.")
    bm25: SideScore
    cosine: SideScore
    evidence: str | None = Field(default=None, description=(
        "Why the relevance decision let the article through: the share of the query's words (by idf weight) "
        "it matches, or its cosine against the floor (the query's background plus a margin); for a nearest "
        "article, why it fell short."))
    more: More

    @classmethod
    def of(cls, hit: Hit) -> HitResponse:
        return cls(
            rank=hit.rank, id=hit.id, title=hit.title, title_html=snippet_html(hit.title_marks), date=_iso(hit.date),
            source=hit.source or None, category=hit.category or None, url=hit.url or None,
            score=round(hit.score, 6), snippet=snippet_html(hit.snippet),
            bm25=SideScore(score=hit.bm25_score, rank=hit.bm25_rank),
            cosine=SideScore(score=hit.cosine, rank=hit.cosine_rank),
            evidence=hit.evidence,
            more=More(count=len(hit.copies), copies=[
                StoryCopy(id=c.id, source=c.source or None, title=c.title, date=_iso(c.date)) for c in hit.copies]),
        )


def hit_to_dict(hit: Hit) -> dict[str, object]:
    """A result as plain JSON-ready data (``--json``): :class:`HitResponse`'s shape."""
    return HitResponse.of(hit).model_dump()


class ArticleResponse(BaseModel):
    id: str
    title: str
    date: str | None
    source: str | None
    category: str | None
    url: str | None
    body: str
    title_html: str | None = Field(None, description="With q: the title as escaped HTML, the query's words in <mark>.")
    body_html: str | None = Field(None, description="With q: the body for reading, as escaped HTML, the query's words "
                                                    "in <mark>; line breaks kept, lines of the site's chrome (Related "
                                                    "posts, Loading..., footers its source repeats) left out.")

    @classmethod
    def of(cls, article_id: str, stored: Mapping[str, object], **marked: str) -> ArticleResponse:
        """One article's stored fields (and, with a query, its marked title and body)."""
        return cls(id=article_id, title=str(stored.get("title") or ""), date=_iso(stored.get("date")),
                   **{name: str(stored[name]) if stored.get(name) else None for name in OPTIONAL_FIELDS},
                   body=str(stored.get("body") or ""), **marked)


class ExpandedTerm(BaseModel):
    term: str = Field(description="A Devanagari term of the index searched for the word.")
    weight: float = Field(description="How well it matches the word (1 = exactly); its BM25 boost.")
    match: str = Field(description="exact, inflected, near, near-inflected, or correction.")


class Expansion(BaseModel):
    word: str = Field(description="The query word as analysed (Latin words lower-cased).")
    kind: ExpandedKind = Field(
        description="Romanized Hindi, a name in both scripts (searched as typed too), or a Devanagari near-miss.")
    terms: list[ExpandedTerm]


def expansions_of(plan: QueryPlan) -> list[Expansion]:
    """Each word of ``plan`` searched as Devanagari terms, and which."""
    return [Expansion(word=w.word, kind=w.kind, terms=[  # type: ignore[arg-type]
        ExpandedTerm(term=c.term, weight=c.weight, match=c.match) for c in w.candidates]) for w in plan.expanded]


def to_json(value: object) -> str:
    """UTF-8 JSON that keeps Devanagari readable instead of ``\\u`` escapes."""
    return json.dumps(value, ensure_ascii=False)


def trec_lines(qid: str, ranked: Iterable[tuple[str, float]], tag: str = TREC_TAG) -> list[str]:
    """``qid Q0 docid rank score tag``, as trec_eval reads."""
    return [f"{qid} Q0 {doc} {rank} {score:.6f} {tag}" for rank, (doc, score) in enumerate(ranked, start=1)]
