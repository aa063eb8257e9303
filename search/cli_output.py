"""How results look on a terminal (the CLI's side; data formats are in :mod:`.serialize`)."""

from __future__ import annotations

import click

from .engine import Hit
from .expansion import QueryPlan
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


def more_line(hit: Hit, shown: int = 3) -> str:
    """``+ 9 more from this story: दैनिक प्रहरी (id …), …``; empty when the story has no other copy."""
    if not hit.copies:
        return ""
    names = [f"{c.source} ({c.id})" if c.source else c.id for c in hit.copies[:shown]]
    rest = f", … {len(hit.copies) - shown} others" if len(hit.copies) > shown else ""
    return f"+ {len(hit.copies)} more from this story: {', '.join(names)}{rest}"


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
        if hit.copies:
            lines.append("    " + more_line(hit))
        if explain:
            lines.append("    " + explain_line(hit))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def explain_line(hit: Hit) -> str:
    def side(score: float | None, rank: int | None) -> str:
        return "-" if score is None else f"{score:.4f} (rank {rank})"

    # Min-max fusion maps a query's weakest candidate to 0: it was found, just ranked last.
    note = " (the weakest candidate of this query, not a non-match)" if hit.score == 0.0 else ""
    line = (f"fused {hit.score:.4f}{note} · bm25 {side(hit.bm25_score, hit.bm25_rank)} · "
            f"cosine {side(hit.cosine, hit.cosine_rank)}")
    return line + (f" · shown: {hit.evidence}" if hit.evidence else "")


def expansion_lines(plan: QueryPlan) -> list[str]:
    """What ``--explain`` says about each word the query was expanded or corrected for."""
    lines = []
    for word in plan.words:
        if word.kind == "english":
            lines.append(f"kept: {word.word} (English)")
        elif word.kind == "unknown":
            lines.append(f"kept: {word.word} (neither an English word nor one the index holds)")
        elif word.candidates:
            terms = ", ".join(f"{c.term} ({c.match} {c.weight:.2f})" for c in word.candidates)
            lines.append(f"{'corrected' if word.kind == 'correction' else 'expanded'}: {word.word} -> {terms}"
                         + (" (a name: searched as typed too)" if word.kind == "name" else ""))
    if lines and plan.semantic_text != plan.text:
        lines.append(f"semantic side embeds: {plan.semantic_text}")
    return lines + [""] if lines else []


def no_close_match_text(query: str, nearest: list[Hit], *, color: bool, explain: bool, filtered: bool) -> str:
    """What a query that nothing in the archive answers shows: the plain fact, then the nearest articles,
    set apart and labelled as such (they are not results)."""
    where = "these filters" if filtered else "this archive"
    lines = [f"no close match for {query!r} in {where}"]
    if nearest:
        lines += ["", "nearest articles (not close matches):", ""]
        lines.append(render_hits(nearest, color=color, explain=explain))
    return "\n".join(lines)
