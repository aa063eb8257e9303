"""How results look: a terminal listing, JSON objects, TREC run lines."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable

import click

from .engine import Hit
from .snippets import Snippet

TREC_TAG = "hsearch"


def snippet_text(snippet: Snippet, *, color: bool) -> str:
    """Matched words in bold colour on a terminal, between ``**`` when piped or captured."""
    parts = []
    for segment in snippet:
        if not segment.match:
            parts.append(segment.text)
        elif color:
            parts.append(click.style(segment.text, fg="yellow", bold=True))
        else:
            parts.append(f"**{segment.text}**")
    return "".join(parts)


def snippet_html(snippet: Snippet) -> str:
    """Escaped text with ``<mark>`` around matches, safe to insert into a page."""
    return "".join(
        f"<mark>{html.escape(s.text)}</mark>" if s.match else html.escape(s.text) for s in snippet
    )


def hit_to_dict(hit: Hit) -> dict[str, object]:
    return {
        "rank": hit.rank,
        "id": hit.id,
        "title": hit.title,
        "title_html": snippet_html(hit.title_marks),
        "date": hit.date.isoformat() if hit.date else None,
        "source": hit.source or None,
        "category": hit.category or None,
        "url": hit.url or None,
        "score": round(hit.score, 6),
        "snippet": snippet_html(hit.snippet),
        "bm25": {"score": hit.bm25_score, "rank": hit.bm25_rank},
        "cosine": {"score": hit.cosine, "rank": hit.cosine_rank},
    }


def to_json(value: object) -> str:
    """UTF-8 JSON that keeps Devanagari readable instead of ``\\u`` escapes."""
    return json.dumps(value, ensure_ascii=False)


def render_hits(hits: list[Hit], *, color: bool, explain: bool) -> str:
    lines: list[str] = []
    for hit in hits:
        title = click.style(hit.title, bold=True) if color else hit.title
        lines.append(f"{hit.rank:>2}. {title or '(no headline)'}")
        meta = [hit.date.date().isoformat() if hit.date else "", hit.source, hit.category]
        meta_line = " · ".join(m for m in meta if m)
        lines.append(f"    {meta_line + ' · ' if meta_line else ''}id {hit.id}")
        lines.append(f"    {snippet_text(hit.snippet, color=color)}")
        if hit.url:
            lines.append(f"    {hit.url}")
        if explain:
            lines.append("    " + explain_line(hit))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def explain_line(hit: Hit) -> str:
    def side(score: float | None, rank: int | None) -> str:
        return "-" if score is None else f"{score:.4f} (rank {rank})"

    return f"fused {hit.score:.4f} · bm25 {side(hit.bm25_score, hit.bm25_rank)} · cosine {side(hit.cosine, hit.cosine_rank)}"


def trec_lines(qid: str, ranked: Iterable[tuple[str, float]], tag: str = TREC_TAG) -> list[str]:
    """``qid Q0 docid rank score tag``, as trec_eval reads."""
    return [f"{qid} Q0 {doc} {rank} {score:.6f} {tag}" for rank, (doc, score) in enumerate(ranked, start=1)]
