"""Body snippets with the matched words marked, as segments any front end can render."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from whoosh import highlight
from whoosh.analysis import Analyzer

SNIPPET_CHARS = 220


class Segment(NamedTuple):
    text: str
    match: bool


Snippet = list[Segment]


def make_snippet(text: str, terms: Iterable[str], analyzer: Analyzer,
                 max_chars: int = SNIPPET_CHARS) -> Snippet:
    """The best passage of ``text`` around the query's terms; the lead when none match.

    ``terms`` are analysed terms (stems), so ``सैनिकों`` in the text is marked
    for a query ``सैनिक``, exactly as it matched in the index.
    """
    termset = frozenset(terms)
    if termset:
        tokens = analyzer(text, chars=True, mode="query", removestops=False)
        tokens = highlight.set_matched_filter(tokens, termset)
        fragmenter = highlight.ContextFragmenter(maxchars=max_chars, surround=max_chars // 3)
        fragments = highlight.top_fragments(
            fragmenter.fragment_tokens(text, tokens), 1, highlight.BasicFragmentScorer(), highlight.SCORE
        )
        if fragments:
            return _segments(text, fragments[0])
    lead = " ".join(text[: max_chars + 40].split())
    if len(lead) > max_chars:
        lead = lead[:max_chars].rsplit(" ", 1)[0] + " …"
    return [Segment(lead, False)]


def _segments(text: str, fragment: highlight.Fragment) -> Snippet:
    segments: Snippet = []
    position = fragment.startchar
    for token in sorted(fragment.matches, key=lambda t: (t.startchar, -(t.endchar - t.startchar))):
        if token.startchar is None or token.startchar < position:
            continue
        if token.startchar > position:
            segments.append(Segment(text[position:token.startchar], False))
        segments.append(Segment(text[token.startchar:token.endchar], True))
        position = token.endchar
    segments.append(Segment(text[position:fragment.endchar], False))
    if fragment.startchar > 0:
        segments.insert(0, Segment("… ", False))
    if fragment.endchar < len(text):
        segments.append(Segment(" …", False))
    return _tidy(segments)


def _tidy(segments: Snippet) -> Snippet:
    """Collapse whitespace runs (line breaks in bodies) while keeping the spaces between segments."""
    tidy: Snippet = []
    for segment in segments:
        text = segment.text
        if not segment.match:
            words = text.split()
            text = (" " if text[:1].isspace() else "") + " ".join(words) + (" " if text[-1:].isspace() and words else "")
        if text:
            tidy.append(Segment(text, segment.match))
    return tidy


def mark_all(text: str, terms: Iterable[str], analyzer: Analyzer) -> Snippet:
    """The whole of ``text`` (a headline, an article) with every word that matches ``terms`` marked.

    The same analysed matching as :func:`make_snippet`; the text is kept exactly,
    line breaks included, so a page can still split it into paragraphs.
    """
    termset = frozenset(terms)
    if not termset or not text:
        return [Segment(text, False)] if text else []
    segments: Snippet = []
    position = 0
    for token in analyzer(text, chars=True, mode="query", removestops=False):
        if token.text not in termset or token.startchar is None or token.startchar < position:
            continue
        if token.startchar > position:
            segments.append(Segment(text[position:token.startchar], False))
        segments.append(Segment(text[token.startchar:token.endchar], True))
        position = token.endchar
    if position < len(text):
        segments.append(Segment(text[position:], False))
    return segments
