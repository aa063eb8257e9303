"""Results as data for other programs: JSON objects, HTML snippets, TREC run lines.

No terminal or web framework here: the CLI's ``--json`` and the API's
responses both come from :func:`hit_to_dict` and :func:`article_to_dict`, so a
result has one shape wherever it is read.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from hsearch.index.articles import iso_utc

from .engine import Hit
from .expansion import QueryPlan
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


def hit_to_dict(hit: Hit) -> dict[str, object]:
    return {
        "rank": hit.rank,
        "id": hit.id,
        "title": hit.title,
        "title_html": snippet_html(hit.title_marks),
        "date": _iso(hit.date),
        **{name: getattr(hit, name) or None for name in OPTIONAL_FIELDS},
        "score": round(hit.score, 6),
        "snippet": snippet_html(hit.snippet),
        "bm25": {"score": hit.bm25_score, "rank": hit.bm25_rank},
        "cosine": {"score": hit.cosine, "rank": hit.cosine_rank},
        "evidence": hit.evidence,
        "more": more_to_dict(hit),
    }


def more_to_dict(hit: Hit) -> dict[str, object]:
    """The other copies of the hit's story that collapsing folded under it: "N more from this story"."""
    return {"count": len(hit.copies), "copies": [
        {"id": c.id, "source": c.source or None, "title": c.title, "date": _iso(c.date)} for c in hit.copies]}


def article_to_dict(article_id: str, stored: Mapping[str, object]) -> dict[str, object]:
    """One article's stored fields, as the API's article endpoint returns them."""
    return {
        "id": article_id,
        "title": str(stored.get("title") or ""),
        "date": _iso(stored.get("date")),
        **{name: str(stored[name]) if stored.get(name) else None for name in OPTIONAL_FIELDS},
        "body": str(stored.get("body") or ""),
    }


def to_json(value: object) -> str:
    """UTF-8 JSON that keeps Devanagari readable instead of ``\\u`` escapes."""
    return json.dumps(value, ensure_ascii=False)


def trec_lines(qid: str, ranked: Iterable[tuple[str, float]], tag: str = TREC_TAG) -> list[str]:
    """``qid Q0 docid rank score tag``, as trec_eval reads."""
    return [f"{qid} Q0 {doc} {rank} {score:.6f} {tag}" for rank, (doc, score) in enumerate(ranked, start=1)]


def plan_to_dict(plan: QueryPlan) -> dict[str, object]:
    """The expansions of a query as the API returns them."""
    return {
        "showing_results_for": plan.corrected_text,
        "romanized": plan.romanized,
        "semantic_text": plan.semantic_text,
        "expansions": [
            {"word": w.word, "kind": w.kind,
             "terms": [{"term": c.term, "weight": c.weight, "match": c.match} for c in w.candidates]}
            for w in plan.words if w.candidates
        ],
    }
