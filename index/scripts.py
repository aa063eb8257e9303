"""Devanagari's character classes, defined once for the analyzer, romanization, fusion and stories.

Python's ``\\w`` does not match Devanagari vowel signs, virama, nukta,
anusvara or visarga (they are combining marks), so every class is written
out here as ranges for regular-expression character sets.
"""

from __future__ import annotations

import re

#: Devanagari letters and signs: the whole block except the dandas (U+0964/5), the digits (U+0966-096F)
#: and the abbreviation sign (U+0970, punctuation).
LETTERS = "\u0900-\u0963\u0971-\u097f"
#: Devanagari Extended letters and marks (Vedic and other signs seen in scanned or old texts).
EXTENDED = "\ua8e0-\ua8f7\ua8fb\ua8fd-\ua8ff"
#: The whole Devanagari block and the whole Extended block (what is *not* another script).
BLOCKS = "\u0900-\u097f\ua8e0-\ua8ff"
#: Devanagari digits.
DIGITS = "\u0966-\u096f"

_LETTER_RE = re.compile(f"[{LETTERS}]")
_TERM_RE = re.compile(f"^[{LETTERS}]+$")


def is_devanagari_term(term: str) -> bool:
    """Whether ``term`` is made of Devanagari letters and signs only."""
    return bool(_TERM_RE.match(term))


def devanagari_letter_count(text: str) -> int:
    return len(_LETTER_RE.findall(text))
