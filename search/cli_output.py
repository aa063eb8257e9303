"""How results look on a terminal (the CLI's side; data formats are in :mod:`.serialize`)."""

from __future__ import annotations

import click

from .engine import Hit
from .snippets import Snippet


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

    # Min-max fusion maps a query's weakest candidate to 0: it was found, just ranked last.
    note = " (the weakest candidate of this query, not a non-match)" if hit.score == 0.0 else ""
    return (f"fused {hit.score:.4f}{note} · bm25 {side(hit.bm25_score, hit.bm25_rank)} · "
            f"cosine {side(hit.cosine, hit.cosine_rank)}")
