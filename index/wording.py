"""Counted nouns in messages: "1 article", "2 articles", "0 records" — one rule for every message.

English plurals of the nouns hsearch counts are regular, so a noun takes an
``s`` unless told its plural; counts are written as digits with no thousands
separator, as the rest of the output is (machine-readable lines stay so).
"""

from __future__ import annotations

IRREGULAR = {"query": "queries", "entry": "entries", "is": "are", "was": "were", "remains": "remain"}


def plural(noun: str, count: int) -> str:
    """``noun`` as it goes with ``count``: ``plural("article", 1) == "article"``."""
    if count == 1:
        return noun
    return IRREGULAR.get(noun, noun + "s")


def counted(count: int, noun: str) -> str:
    """``counted(1, "article") == "1 article"``; ``counted(0, "passage") == "0 passages"``."""
    return f"{count} {plural(noun, count)}"
