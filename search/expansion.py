"""Query-time expansion: Latin-script words to the Devanagari terms the index holds, and did-you-mean.

A word typed in Latin letters is one of three things, decided per word and
per query (:meth:`Expander.plan`):

* **romanized Hindi** (``chunav``, ``samarthan``): rare as an English word
  (wordfreq's Zipf frequency below ``english_zipf``), or any word of a query
  most of whose Latin words are such words (``log``, ``din``, ``par`` in
  ``"log din bhar chunav prachar"``).  It is searched as its best few
  Devanagari terms (key match, then edit distance 1 on the key), each
  weighted by how well it matches, and the semantic side embeds the
  transliterated query;
* **a name in both scripts** (``Putin``, ``Kursk``): a common English word
  whose key matches a Devanagari term exactly and closely (a long key, a
  close spelling): searched as itself *and* that term;
* **English** (``North``, ``support``): everything else, left as it is.

A Devanagari word the index does not hold, whose key holds a term one edit
away (कुर्सक -> कुर्स्क: a missing virama), is corrected: searched as the
held term, reported as "showing results for".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, get_args

from rapidfuzz.distance import Levenshtein
from whoosh import query as wq

from hsearch.index.errors import SettingsError
from hsearch.index.keytable import KeyedTerm, KeyTable, stopword_keys
from hsearch.index.romanize import fold, key_of_spelling, loose_key, romanize
from hsearch.index.scripts import is_devanagari_term

# Inflections romanized Hindi types at the end of a word, as folded spellings:
# the index holds stems (चुनावों -> चुनाव), so "chunavon" must meet चुनाव.
# They are the analyzer's suffixes (Ramanathan & Rao, see analysis.py) as
# they are typed: ाएंगे aenge, ियों iyon, ाया aya, ों on, ने ne, ी i/ee ...
_INFLECTIONS = tuple(sorted({fold(s) for s in (
    "aengi", "aenge", "aungi", "aunga", "aiyon", "aiyan",
    "aegi", "aega", "aogi", "aoge", "engi", "enge", "ungi", "unga", "atin", "naon", "naen", "taon", "taen",
    "iyon", "iyan",
    "akar", "aiye", "ain", "aya", "egi", "ega", "ogi", "oge", "ane", "ana", "ate", "ati", "ata", "tin", "aon",
    "aen", "uon", "uen", "uan",
    "kar", "ao", "iye", "ie", "ai", "aye", "ae", "ne", "ni", "na", "te", "in", "ti", "ta", "an", "on", "en",
    "ein", "o", "e", "u", "i", "ee", "oo",
)} - {""}, key=len, reverse=True))

# The letters a key can hold (fold() has removed a, f, q, w, x, z), for edits.
_KEY_LETTERS = "bcdeghijklmnoprstuvy"

# How much a match of each kind is trusted.
EXACT, INFLECTED, NEAR, NEAR_INFLECTED = 1.0, 0.85, 0.7, 0.6


@dataclass(frozen=True)
class ExpansionSettings:
    """Query-time choices for Latin-script words and Devanagari near-misses.

    ``english_zipf``: a Latin word at least this frequent in English
    (wordfreq's Zipf scale: 3 is once per million words) is English unless
    its query is romanized Hindi or it is a name.  ``semantic`` is what the
    vector side embeds for a transliterated query: ``"transliterated"``,
    ``"both"`` (raw and transliterated side by side) or ``"raw"``.
    """

    enabled: bool = True
    per_word: int = 3
    english_zipf: float = 3.0
    function_word_zipf: float = 4.5  # a Hindi stopword typed in Latin (ke, hai, par) unless English uses it more
    keep_share: float = 0.75  # a candidate is kept if it scores at least this share of the best
    name_min_key: int = 4
    # Chosen on XQuAD-en (bench/results/romanized.md): a common English word (found, long, west) is not
    # taken for a Devanagari loanword, and a rare word of an English query must match a held term's key.
    name_max_zipf: float = 4.5  # a common English word is a name only below this frequency (Putin 4.1)
    near_names: bool = False  # a rare word of an English query may meet a term one key edit away
    semantic: str = "transliterated"
    correct_devanagari: bool = True

    def __post_init__(self) -> None:
        if self.semantic not in ("transliterated", "both", "raw"):
            raise SettingsError(f"unknown semantic text {self.semantic!r}; choose transliterated, both or raw")


@dataclass(frozen=True)
class Candidate:
    """A Devanagari index term a typed word may stand for, and how well it matches."""

    term: str
    weight: float
    match: str  # "exact", "inflected", "near", "near-inflected"
    df: int


#: What a query word is: romanized Hindi, a name in both scripts, an English word, a Latin word known
#: neither to English nor (romanized) to the index, or a Devanagari near-miss of an index term.
WordKind = Literal["hindi", "name", "english", "unknown", "correction"]
#: The kinds whose candidates are searched beside the word (what ``--explain`` and the API show).
ExpandedKind = Literal["hindi", "name", "correction"]
EXPANDED_KINDS: tuple[str, ...] = get_args(ExpandedKind)


@dataclass(frozen=True)
class WordExpansion:
    """What one query word became: its kind and the terms searched for it."""

    word: str
    kind: WordKind
    candidates: tuple[Candidate, ...] = ()

    @property
    def best(self) -> str | None:
        return self.candidates[0].term if self.candidates else None


@dataclass
class QueryPlan:
    """Every expansion of one query, and the texts each side searches."""

    text: str
    words: list[WordExpansion] = field(default_factory=list)
    semantic_text: str = ""
    corrected_text: str | None = None  # Devanagari near-misses replaced: "showing results for"
    romanized: bool = False  # the query is romanized Hindi (fusion weighs it as a Hindi query)

    @property
    def only_unknown_words(self) -> bool:
        """Every word is Latin and known neither to English nor to the index: the query carries no terms."""
        return bool(self.words) and all(w.kind == "unknown" for w in self.words)

    @property
    def expanded(self) -> list[WordExpansion]:
        return [w for w in self.words if w.kind in EXPANDED_KINDS and w.candidates]

    def replacements(self) -> dict[str, list[tuple[str, float]]]:
        """Analysed query word -> (term, boost) alternatives to search beside it."""
        return {w.word: [(c.term, c.weight) for c in w.candidates] for w in self.expanded}


@lru_cache(maxsize=50_000)
def english_zipf(word: str) -> float:
    """How common ``word`` is in English (Zipf scale, 0 when unknown)."""
    from wordfreq import zipf_frequency  # imported on the first Latin word: it costs ~0.1 s

    return float(zipf_frequency(word, "en", wordlist="small"))


def key_edits(key: str) -> set[str]:
    """Every key one edit (delete, substitute, insert, swap) from ``key``."""
    splits = [(key[:i], key[i:]) for i in range(len(key) + 1)]
    edits = {head + letter + tail for head, tail in splits for letter in _KEY_LETTERS}  # inserts
    edits.update([head + letter + tail[1:] for head, tail in splits[:-1] for letter in _KEY_LETTERS])  # substitutes
    edits.update([head + tail[1:] for head, tail in splits[:-1]])  # deletes
    edits.update([head + tail[1] + tail[0] + tail[2:] for head, tail in splits[:-2]])  # swaps
    edits.discard(key)
    edits.discard("")
    return edits


def _variants(word: str) -> list[tuple[str, str, float]]:
    """(spelling, key, trust) of a typed word and of it without an inflection."""
    spelling = fold(word)
    found = [(spelling, key_of_spelling(spelling), EXACT)]
    for suffix in _INFLECTIONS:
        if spelling.endswith(suffix):
            stem = spelling[: -len(suffix)]
            key = key_of_spelling(stem)
            if len(key) >= 2:
                found.append((stem, key, INFLECTED))
    return found


class Expander:
    """Plans a query's expansions over one index's key table."""

    def __init__(self, table: KeyTable, settings: ExpansionSettings = ExpansionSettings()) -> None:
        self.table = table
        self.settings = settings
        self._candidates: dict[tuple[str, bool], list[Candidate]] = {}

    def candidates(self, word: str, *, near: bool = True) -> list[Candidate]:
        """The index terms ``word`` (Latin letters) may stand for, best first (remembered: the table does not change)."""
        remembered = self._candidates.get((word, near))
        if remembered is None:
            remembered = self._candidates[(word, near)] = self._find(word, near)
            if len(self._candidates) > 50_000:
                self._candidates.clear()
        return remembered

    def _find(self, word: str, near: bool) -> list[Candidate]:
        variants = _variants(word)
        keys = {key for _, key, _ in variants}
        # Edits of the word as typed and of it without its longest inflection:
        # each variant costs ~40 keys per letter to look up.
        near_sources = [(key_edits(key), spelling, NEAR if trust == EXACT else NEAR_INFLECTED)
                        for spelling, key, trust in (variants[:2] if near else [])
                        if len(key) >= 3]  # a two-letter key is one edit from half the vocabulary
        found = self.table.lookup(keys.union(*(edits for edits, _, _ in near_sources)))
        best: dict[str, Candidate] = {}

        def consider(entry: KeyedTerm, spelling: str, trust: float) -> None:
            similarity = Levenshtein.normalized_similarity(spelling, entry.spelling)
            weight = trust * (0.5 + 0.5 * similarity)
            match = {EXACT: "exact", INFLECTED: "inflected", NEAR: "near", NEAR_INFLECTED: "near-inflected"}[trust]
            current = best.get(entry.term)
            if current is None or weight > current.weight:
                best[entry.term] = Candidate(entry.term, round(weight, 4), match, entry.df)

        for spelling, key, trust in variants:
            for entry in found.get(key, []):
                consider(entry, spelling, trust)
        for edits, spelling, trust in near_sources:
            for edit in edits.intersection(found):
                for entry in found[edit]:
                    consider(entry, spelling, trust)
        ranked = sorted(best.values(), key=lambda c: (-c.weight, -c.df, c.term))
        if not ranked:
            return []
        floor = ranked[0].weight * self.settings.keep_share
        return [c for c in ranked if c.weight >= floor][: self.settings.per_word]

    def correction(self, term: str) -> Candidate | None:
        """The held Devanagari term one edit from an unknown one (कुर्सक -> कुर्स्क), if any."""
        if len(term) < 4 or self.table.document_frequency(term) > 0:
            return None  # a word of one or two letters is one edit from too many others
        spelling = fold(romanize(term))
        key = key_of_spelling(spelling)
        if len(key) < 2:
            return None
        found = self.table.lookup({key} | key_edits(key))
        close = [entry for entries in found.values() for entry in entries
                 if Levenshtein.distance(term, entry.term) <= 1]
        if not close:
            return None
        chosen = max(close, key=lambda e: (e.df, e.term))
        return Candidate(chosen.term, 1.0, "correction", chosen.df)

    def plan(self, text: str, words: list[tuple[str, int, int]]) -> QueryPlan:
        """Decide each word's kind.  ``words``: the analysed query words with their spans in ``text``."""
        plan = QueryPlan(text=text, semantic_text=text)
        if not self.settings.enabled:
            return plan
        latin = [(w, s, e) for w, s, e in words if w.isascii() and w.isalpha() and len(w) >= 2]
        options = {w: self.candidates(w) for w, _, _ in latin}
        rare = {w for w, _, _ in latin if options[w] and english_zipf(w) < self.settings.english_zipf}
        plan.romanized = self._romanized(latin, rare, text)
        for word, _, _ in latin:
            found = options[word]
            if plan.romanized:  # every word may be Hindi; the rare ones surely are
                if word not in rare:
                    found = [c for c in found if c.match in ("exact", "inflected")]
                plan.words.append(WordExpansion(word, "hindi" if found else "english", tuple(found)))
            elif word in rare:  # a rare word in an English query: a name, searched in both scripts
                held = [c for c in found if c.match in ("exact", "inflected") or self.settings.near_names]
                plan.words.append(WordExpansion(word, "name" if held else "english", tuple(held)))
            elif found and self._is_name(word, found[0]):
                plan.words.append(WordExpansion(word, "name", (found[0],)))
            elif not found and english_zipf(word) == 0.0:
                plan.words.append(WordExpansion(word, "unknown"))  # xyzzyqq: no evidence on either side
            else:
                plan.words.append(WordExpansion(word, "english"))
        corrected = text
        if self.settings.correct_devanagari:
            for word, start, end in sorted(words, key=lambda w: -w[1]):
                if is_devanagari_term(word):
                    fix = self.correction(word)
                    if fix is not None:
                        plan.words.append(WordExpansion(word, "correction", (fix,)))
                        corrected = corrected[:start] + fix.term + corrected[end:]
            if corrected != text:
                plan.corrected_text = corrected
        plan.semantic_text = self._semantic_text(plan, corrected, latin)
        return plan

    def _romanized(self, latin: list[tuple[str, int, int]], rare: set[str], text: str) -> bool:
        """A query is romanized Hindi when its Hindi-looking Latin words are at least as many as its English ones.

        Hindi-looking: rare in English with a Devanagari match, or a Hindi
        function word (ke, hai, mein; a stopword the index never holds) that
        English uses less than ``function_word_zipf``.  English: common in
        English otherwise.  Both the raw query (all Latin words) and the
        analysed one count, since the analyzer drops no Latin stopwords.
        """
        typed = [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 2]
        hindi = english = 0
        for word in typed or [w for w, _, _ in latin]:
            frequency = english_zipf(word)
            if word in rare or (loose_key(word) in stopword_keys() and frequency < self.settings.function_word_zipf):
                hindi += 1
            elif frequency >= self.settings.english_zipf:
                english += 1
        return bool(rare) and hindi >= english

    def _is_name(self, word: str, best: Candidate) -> bool:
        """A common English word that is also a Devanagari term of the index, spelt alike (Putin, पुतिन)."""
        return (best.match == "exact" and len(key_of_spelling(fold(word))) >= self.settings.name_min_key
                and best.weight >= 0.9 and english_zipf(word) < self.settings.name_max_zipf)

    def _semantic_text(self, plan: QueryPlan, text: str, latin: list[tuple[str, int, int]]) -> str:
        """A romanized query is embedded in Devanagari; an English one (names and all) as typed."""
        chosen = {w.word: w.best for w in plan.words if w.kind == "hindi" and w.best}
        if not chosen or self.settings.semantic == "raw" or not plan.romanized:
            return text
        spans = {(s, e): chosen[w] for w, s, e in latin if w in chosen}
        out = text
        for (start, end), term in sorted(spans.items(), reverse=True):
            out = out[:start] + term + out[end:]
        return out if self.settings.semantic == "transliterated" else f"{text} {out}"


def expand_query(q: wq.Query, replacements: dict[str, list[tuple[str, float]]]) -> wq.Query:
    """``q`` with each expanded word's Term ORed with its alternatives (phrases are left as typed)."""
    if not replacements:
        return q
    if isinstance(q, wq.Term) and q.text in replacements:
        alternatives = [wq.Term(q.fieldname, term, boost=q.boost * weight)
                        for term, weight in replacements[q.text] if term != q.text]
        return wq.Or([q, *alternatives]) if alternatives else q
    return q.apply(lambda child: expand_query(child, replacements))
