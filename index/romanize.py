"""Loose Latin-script keys for Devanagari index terms, so that typed romanized Hindi meets them.

Most Hindi speakers type Hindi in Latin letters, and nobody spells it the
same way twice: चुनाव is ``chunav``, ``chunaav`` or ``chunao``; में is ``mein``,
``men`` or ``me``.  A key folds away what such spellings disagree on, and the
same folding runs on both sides:

* an index term is romanized deterministically (ITRANS, through
  ``indic-transliteration``'s ``sanscript``), with Hindi schwa deletion
  (समर्थन is ``samarthan``, not ``samarthana``; सरकार is ``sarkar``);
* a typed word is lower-cased;
* both are then folded to a *spelling* (:func:`fold`): vowel length
  (``aa``/``a``, ``ee``/``i``, ``oo``/``u``), aspiration (``kh``/``k``,
  ``sh``/``s``), ``w``/``v``, ``z``/``j``, ``f``/``ph``, ``q``/``k``,
  ``x``/``ks``, ``ai``/``e``, ``au``/``o``, ``iy``/``i``, doubled letters,
  ``m`` before ``p``/``b`` (anusvara) to ``n``;
* the *key* (:func:`loose_key`) is the spelling without any ``a``: where users
  write or leave out a schwa (``sarkar``/``sarakar``/``srkar``) is the least
  predictable part of romanized Hindi.

The key finds candidates; the spelling (edit similarity, see
:mod:`hsearch.search.expansion`) and the term's document frequency rank
them.  :class:`KeyTable` is the key -> terms table kept beside an index:
derived data, rebuilt from Whoosh's term lists, never the record of anything.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache



#: Bump whenever :func:`term_key` or :func:`fold` changes: a stored table made
#: by another version is rebuilt rather than read.
KEYS_VERSION = 1


# Candra vowels (loanwords: डॉलर, ऑफिस, बैंक written बॅंक) are typed as plain
# o and e; sanscript's ITRANS has no letter for them.
_CANDRA = str.maketrans({"\u0949": "\u094b", "\u0911": "\u0913", "\u0945": "\u0947", "\u090d": "\u090f"})

# ITRANS letters, longest first, and how romanized Hindi types them.  Upper
# case in ITRANS marks length or retroflexion; the fold below merges both.
_ITRANS_TO_TYPED = [
    ("j~n", "gy"),  # ज्ञ is "gyan", not "jnan"
    ("RRi", "ri"), ("RRI", "ri"), ("LLi", "li"), ("LLI", "li"),
    ("~N", "n"), ("~n", "n"), (".N", "n"), (".a", ""), (".c", "e"), (".D", "d"),
    ("Sh", "sh"), ("Ch", "chh"), ("OM", "om"),
    ("A", "aa"), ("I", "ii"), ("U", "uu"), ("M", "n"), ("N", "n"), ("H", ""),
    ("T", "t"), ("D", "d"), ("R", "r"), ("L", "l"), ("K", "kh"), ("G", "gh"), ("J", "j"),
]
_ITRANS_RE = re.compile("|".join(re.escape(src) for src, _ in _ITRANS_TO_TYPED))
_ITRANS_MAP = dict(_ITRANS_TO_TYPED)

_CONSONANTS = set("bcdfghjklmnpqrstvwxyz")
_VOWELS = set("aeiou")


def _syllables(itrans: str) -> list[tuple[str, str, bool]]:
    """ITRANS split into (consonants, vowel, inherent?) units, vowel '' for a cluster-final consonant."""
    units: list[tuple[str, str, bool]] = []
    typed = _ITRANS_RE.sub(lambda m: _ITRANS_MAP[m.group(0)], itrans).lower()
    i = 0
    while i < len(typed):
        start = i
        while i < len(typed) and typed[i] in _CONSONANTS:
            i += 1
        consonants = typed[start:i]
        vstart = i
        while i < len(typed) and typed[i] in _VOWELS:
            i += 1
        vowel = typed[vstart:i]
        if not consonants and not vowel:  # anything else (digits, marks sanscript left alone)
            i += 1
            continue
        units.append((consonants, vowel, vowel == "a" and bool(consonants)))
    return units


def _delete_schwas(units: list[tuple[str, str, bool]]) -> str:
    """Hindi schwa deletion (Narasimhan et al. 2004, simplified): what ITRANS writes, as Hindi says it.

    The final inherent ``a`` of a word of more than one syllable goes
    (कमल -> kamal); then, right to left, an inherent ``a`` between a vowel
    and a single consonant that is followed by a vowel goes (सरकार -> sarkar,
    बदलना -> badalna); a cluster is never made longer than two.
    """
    vowels = [v for _, v, _ in units]
    inherent = [h for _, _, h in units]
    if len(units) > 1 and inherent[-1]:
        vowels[-1] = ""
    for i in range(len(units) - 2, 0, -1):
        if not inherent[i] or not vowels[i]:
            continue
        if vowels[i - 1] and len(units[i][0]) == 1 and vowels[i + 1] and len(units[i + 1][0]) == 1:
            vowels[i] = ""  # the schwa before it now stands before a cluster, so it stays
    return "".join(c + v for (c, _, _), v in zip(units, vowels))


@lru_cache(maxsize=100_000)
def romanize(term: str) -> str:
    """A Devanagari word as romanized Hindi types it: कुर्स्क -> kursk, समर्थन -> samarthan."""
    from indic_transliteration import sanscript  # here: its import reads ~90 scheme files (0.2 s), and a
    # query in Devanagari never romanizes anything

    text = unicodedata.normalize("NFC", term).translate(_CANDRA)
    return _delete_schwas(_syllables(sanscript.transliterate(text, sanscript.DEVANAGARI, sanscript.ITRANS)))


_FOLDS = [
    (re.compile(r"[^a-z]"), ""),
    (re.compile(r"x"), "ks"), (re.compile(r"q"), "k"), (re.compile(r"w"), "v"), (re.compile(r"z"), "j"),
    (re.compile(r"f"), "ph"), (re.compile(r"c(?!h)"), "k"),
    (re.compile(r"([kgcjtdpbs])h"), r"\1"),   # aspiration, and sh/s
    (re.compile(r"e{2,}"), "i"), (re.compile(r"o{2,}"), "u"),  # typed long vowels: teen तीन, poora पूरा
    (re.compile(r"(.)\1+"), r"\1"),            # doubled letters and long vowels
    (re.compile(r"a[iy](?![aeiou])|ei|ai"), "e"), (re.compile(r"au|ou|aw(?![aeiou])"), "o"),
    (re.compile(r"(?<=[bcdghjklmnprstv])y(?![aeiou])"), "i"),  # English spelling: Hyderabad
    (re.compile(r"iy(?=[aeiou]|$)"), "i"), (re.compile(r"ey(?=a|$)"), "e"),
    (re.compile(r"m(?=[pb])"), "n"),           # anusvara before a labial
    (re.compile(r"(.)\1+"), r"\1"),
]


@lru_cache(maxsize=200_000)
def fold(latin: str) -> str:
    """A Latin-script spelling with what romanized Hindi varies on folded away (vowels kept)."""
    text = latin.lower()
    for pattern, replacement in _FOLDS:
        text = pattern.sub(replacement, text)
    return text


def key_of_spelling(spelling: str) -> str:
    """The loose key of a folded spelling: without its a's."""
    return re.sub(r"(.)\1+", r"\1", spelling.replace("a", ""))


def loose_key(latin: str) -> str:
    """The key a typed Latin word is looked up by: ``chunaav`` and ``chunav`` -> ``cunv``."""
    return key_of_spelling(fold(latin))


def term_spelling(term: str) -> str:
    """The folded spelling of a Devanagari index term."""
    return fold(romanize(term))


def term_key(term: str) -> str:
    """The key a Devanagari index term is filed under."""
    return key_of_spelling(term_spelling(term))
