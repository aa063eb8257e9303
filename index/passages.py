"""Cut an article into the passages its vectors stand for.

One vector cannot hold a long article: the headline and lead make the first
passage (what a news story is about), then the body is covered by windows of
whole sentences with an overlap, each within the encoder's token budget.  An
article's semantic score is the best of its passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .articles import Article
from .boilerplate import content_of
from .settings import PassageSettings

_SENTENCE_END = re.compile(r"(?<=[।॥.!?])\s+|\n+")
_WORDS = re.compile(r"\S+")


def sentences(text: str) -> list[str]:
    """Split on danda, full stop, ?, ! and line breaks; keep the punctuation."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _cut_long(sentence: str, count: Callable[[str], int], budget: int) -> list[str]:
    """Split a sentence that alone exceeds the budget into word runs that fit."""
    words = _WORDS.findall(sentence)
    pieces: list[str] = []
    current: list[str] = []
    for word in words:
        if current and count(" ".join(current + [word])) > budget:
            pieces.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces


def split_passages(
    article: Article, count_tokens: Callable[[str], int], settings: PassageSettings
) -> list[str]:
    """The passages to embed for ``article``, headline-and-lead first."""
    budget = settings.max_tokens
    body = content_of(article)  # the site's chrome lines are no part of what the article means
    whole = f"{article.title}\n{body}".strip()
    if count_tokens(whole) <= budget:
        return [whole]
    units: list[str] = []
    for sentence in sentences(body):
        units.extend([sentence] if count_tokens(sentence) <= budget else _cut_long(sentence, count_tokens, budget))
    sizes = [count_tokens(unit) for unit in units]

    passages: list[str] = []
    head = [article.title] if article.title else []
    head_size = count_tokens(article.title) if article.title else 0
    start = 0
    while start < len(units) and start < settings.lead_sentences and head_size + sizes[start] <= budget:
        head.append(units[start])
        head_size += sizes[start]
        start += 1
    if head:
        passages.append("\n".join(head))

    overlap = settings.overlap_sentences
    while start < len(units):
        end, size = start, 0
        while end < len(units) and (end == start or size + sizes[end] <= budget):
            size += sizes[end]
            end += 1
        passages.append(" ".join(units[start:end]))
        if end >= len(units):
            break
        start = max(end - overlap, start + 1)
    return passages
