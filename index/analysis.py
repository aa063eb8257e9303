"""Hindi text analysis shared by indexing and querying.

One chain, ``HindiTokenizer | StopFilter | HindiStemFilter``, turns text into
index terms.  It is used for documents and for queries, so the two meet on the
same terms.  Conceptually the order is

    normalize -> tokenize -> lower-case Latin -> drop stopwords -> stem

but the tokenizer finds word spans in the *original* text first and normalizes
each span on its own.  Every normalization rule is local to a word, so the
terms are the same as if the whole text had been normalized first (a property
test pins this), while ``startchar``/``endchar`` keep pointing into the
original text for Whoosh's highlighter.

Public interface: :data:`ANALYZER_VERSION`, :func:`hindi_analyzer`,
:func:`analyze`, :func:`normalize`, :func:`tokenize`.  The component classes
are public too so that benchmarks can assemble ablations from them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from indicnlp.normalize.indic_normalize import IndicNormalizerFactory
from whoosh.analysis import Analyzer, Filter, StopFilter, Token, Tokenizer

__all__ = [
    "ANALYZER_VERSION",
    "HindiStemFilter",
    "HindiTokenizer",
    "MIN_STEM",
    "STOPWORDS",
    "analyze",
    "hindi_analyzer",
    "load_stopwords",
    "normalize",
    "stem",
    "tokenize",
]

#: Bump whenever the terms emitted for some input change: an index built with
#: another version must be rebuilt, or queries will not meet its terms.
ANALYZER_VERSION = "hi-1"

# --------------------------------------------------------------------------
# Character classes
# --------------------------------------------------------------------------
# Python's ``\w`` does not match Devanagari vowel signs, virama, nukta,
# anusvara or visarga (they are combining marks), so the Devanagari word class
# is built by hand: the whole block except the dandas (U+0964/5), the digits
# (U+0966-096F, which are numbers, see below) and the abbreviation sign
# (U+0970, punctuation); plus Devanagari Extended letters and marks.
_DEVA = "\u0900-\u0963\u0971-\u097f\ua8e0-\ua8f7\ua8fb\ua8fd-\ua8ff"
# Invisible characters that may sit inside a word and are deleted by the
# normalizer: ZWNJ, ZWJ, word joiner, soft hyphen, BOM.  They must not split
# a word in the original text (राष्ट्र with a ZWJ is still one word).
_JOINERS = "\u200c\u200d\u2060\u00ad\ufeff"
_DIGIT = "0-9\u0966-\u096f"
# Everything else that is alphanumeric (Latin and other scripts, and digits),
# plus Latin combining accents; Devanagari is excluded so that "80वीं" splits
# into "80" and "वीं" (the number stays searchable) and "5जी" into "5", "जी".
_OTHER = rf"(?:[^\W_\u0900-\u097f\ua8e0-\ua8ff]|[\u0966-\u096f\u0300-\u036f{_JOINERS}])"

# Numbers with grouping commas (Western 1,234,567 or Indian 12,34,567) are one
# token and lose the commas ("5,000" -> "5000"), so a query typed either way
# finds them; a decimal point is kept ("2.5").  Anything else (dates
# 15.08.2025, ranges 1910-45, lists 1,2,3) splits into its digit groups.
_D = f"[{_DIGIT}]"
_GROUPED = rf"(?:,{_D}{{2,3}})*,{_D}{{3}}(?!{_D})"
_DECIMAL = rf"\.{_D}+(?!\.?{_D})"
_NUMBER = rf"(?<!{_D}[.,])[{_JOINERS}]*{_D}+(?:{_GROUPED}(?:{_DECIMAL})?|{_DECIMAL})"
# A colon *between* two Devanagari letters is a visarga typed on a Latin
# keyboard (दु:ख, नि:शुल्क, अंत:करण); such a word is one token.  A colon after
# a word is punctuation ("सियोल:" in a dateline, "भारत:").
_DEVA_WORD = (
    rf"[{_JOINERS}]*[{_DEVA}][{_DEVA}{_JOINERS}]*"
    rf"(?::[{_JOINERS}]*[{_DEVA}][{_DEVA}{_JOINERS}]*)*"
)

_TOKEN_RE = re.compile(rf"(?P<num>{_NUMBER})|(?P<deva>{_DEVA_WORD})|(?P<other>{_OTHER}+)")

_MEDIAL_COLON_RE = re.compile(rf"(?<=[{_DEVA}]):(?=[{_DEVA}])")
_FINAL_VISARGA_RE = re.compile(rf"(?<=[{_DEVA}])\u0903+(?![{_DEVA}])")
_DEVA_LETTER_RE = re.compile(r"[\u0900-\u0963\u0971-\u097f]")

_VIRAMA = "\u094d"
_ANUSVARA = "\u0902"

# Folded before indic-nlp runs.  Nuktas: its nasal rule (न्द -> ंद) must see
# न्द, not ऩ्द.  NFC has already decomposed क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़ (U+0958-095F
# are composition exclusions) but composes ऩ ऱ ऴ, so those three are mapped
# to their base letters here.  Joiners (which indic-nlp would delete too) go
# first so that the colon rule below sees the letters on both sides.
_PRE_FOLD = str.maketrans(
    {"\u093c": None, "\u0929": "\u0928", "\u0931": "\u0930", "\u0934": "\u0933"}
    | {chr(0x0958 + i): base for i, base in enumerate("कखगजडढफय")}
    | dict.fromkeys(map(ord, _JOINERS))
)

# Chandrabindu (and its inverted form) folds to anusvara: जहाँ/जहां, माँ/मां are
# the same word written both ways in news text.  Devanagari digits become
# ASCII so ०-९ and 0-9 meet.
_CHAR_FOLD = str.maketrans(
    {"\u0900": _ANUSVARA, "\u0901": _ANUSVARA}
    | {chr(0x0966 + d): str(d) for d in range(10)}
)

# indic-nlp's Hindi normalizer, with settings chosen on purpose:
# * remove_nuktas=True: fold nukta letters (precomposed U+0958-095F or with a
#   combining nukta) to the base letter.  Nukta use is inconsistent
#   in news text (फ़ोन/फोन, ज़रूरी/जरूरी, लड़का/लडका); the few pairs it merges
#   (e.g. ज़रा/जरा) cost far less than the misses it prevents.  Lucene's
#   HindiNormalizer does the same.  (normalize() strips nuktas itself just
#   before calling indic-nlp, see _PRE_FOLD; the flag states the intent.)
# * nasals_mode="to_anusvaara_strict": a nasal consonant + virama before a
#   consonant of its own class becomes anusvara (हिन्दी -> हिंदी, सम्बन्ध ->
#   संबंध, कम्पनी -> कंपनी).  That is exactly the spelling variation the
#   orthography allows; the "relaxed" mode would also rewrite clusters that are
#   never spelt with anusvara (अन्य, जन्म, सम्मान) and keeps nothing extra.
# * do_normalize_chandras=False: it would turn candra-o into o (डॉलर -> डोलर),
#   which neither meets the older spelling डालर nor avoids collisions (कॉल and
#   कोल, "call" and "coal").  We fold chandrabindu ourselves (_CHAR_FOLD).
# * do_normalize_vowel_ending=False: it appends a virama to consonant-final
#   words, but only before a space (not before punctuation), which would make
#   "भारत " and "भारत," different terms.
# Its "X:" -> "Xः" visarga rule cannot be switched off; normalize() keeps
# colons away from it (see there).  It also deletes ZWJ/ZWNJ/BOM/soft hyphen,
# maps NBSP and ZWSP to spaces, "|" to danda, and curly quotes and dashes to
# ASCII, all of which we want.
_INDIC = IndicNormalizerFactory().get_normalizer(
    "hi",
    remove_nuktas=True,
    nasals_mode="to_anusvaara_strict",
    do_normalize_chandras=False,
    do_normalize_vowel_ending=False,
)


def normalize(text: str) -> str:
    """Character-level normalization of Hindi (and Latin) text.

    NFC; indic-nlp's Hindi normalizer (settings above: ZWJ/ZWNJ removed,
    nuktas folded, homorganic nasal clusters to anusvara); chandrabindu ->
    anusvara; Devanagari digits -> ASCII; lower case.  Visarga: a colon between
    two Devanagari letters becomes a visarga (दु:ख -> दुःख), any other colon
    stays a colon (so "भारत:" never turns into "भारतः"), and a word-final
    visarga is dropped so that अतः and the common keyboard spelling अत: meet.
    """
    text = unicodedata.normalize("NFC", text).translate(_PRE_FOLD)
    text = _MEDIAL_COLON_RE.sub("\u0903", text)
    # indic-nlp rewrites every colon after a Devanagari character into a
    # visarga; normalizing colon-free pieces keeps the remaining colons.
    text = ":".join(_INDIC.normalize(part) for part in text.split(":"))
    text = text.translate(_CHAR_FOLD).lower()
    text = _FINAL_VISARGA_RE.sub("", text)
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=200_000)
def _normalize_span(span: str, is_number: bool) -> str:
    """Normalize one word span found by the tokenizer (cached: words repeat)."""
    term = normalize(span)
    return term.replace(",", "") if is_number else term


# --------------------------------------------------------------------------
# Stemmer
# --------------------------------------------------------------------------
# Suffixes of Ramanathan & Rao, "A Lightweight Stemmer for Hindi" (2003), as
# listed by length in Lucene's HindiStemmer.  Lucene applies them after its
# HindiNormalizer has folded long vowels to short ones (ी -> ि, ू -> ु), so
# every suffix spelt with a long vowel can never match and gender/number
# pairs split (खाता -> खा but खाती -> खात).  Here they apply to the unfolded
# word, so खाता/खाती/खाते -> खा and करेंगे/करेंगी -> कर.  The candrabindu
# spellings (ाँ, ियाँ, ाइयाँ) are left out: normalize() has already turned
# them into the anusvara spellings that are listed.
_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("ाएंगी", "ाएंगे", "ाऊंगी", "ाऊंगा", "ाइयों", "ाइयां"),
    (
        "ाएगी", "ाएगा", "ाओगी", "ाओगे", "एंगी", "ेंगी", "एंगे", "ेंगे", "ूंगी",
        "ूंगा", "ातीं", "नाओं", "नाएं", "ताओं", "ताएं", "ियों", "ियां",
    ),
    (
        "ाकर", "ाइए", "ाईं", "ाया", "ेगी", "ेगा", "ोगी", "ोगे", "ाने", "ाना",
        "ाते", "ाती", "ाता", "तीं", "ाओं", "ाएं", "ुओं", "ुएं", "ुआं",
    ),
    (
        "कर", "ाओ", "िए", "ाई", "ाए", "ने", "नी", "ना", "ते", "ीं", "ती", "ता",
        "ां", "ों", "ें",
    ),
    ("ो", "े", "ू", "ु", "ी", "ि", "ा"),
)
assert all(len({len(s) for s in group}) == 1 for group in _SUFFIXES)

#: Shortest stem (in code points) a suffix may leave, as in Lucene: करेंगे -> कर
#: is allowed, but a one-letter stem is not (so "की", "सो" are never touched).
MIN_STEM = 2


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Strip the longest Hindi inflectional suffix from a normalized word.

    Only Devanagari words are stemmed (Latin stays as is).  A suffix is not
    removed if the stem would be shorter than :data:`MIN_STEM` or would end in
    a virama: that would cut a conjunct in half (पत्नी must not become पत्,
    which would then differ from पत्नियों -> पत्न), so a shorter suffix is
    tried instead (पत्नी -> पत्न).
    """
    if not _DEVA_LETTER_RE.match(word):
        return word
    for group in _SUFFIXES:
        size = len(group[0])
        if len(word) - size < MIN_STEM:
            continue
        for suffix in group:
            if word.endswith(suffix):
                root = word[:-size]
                if not root.endswith(_VIRAMA):
                    return root
                break  # at most one suffix of a given length can match
    return word


# --------------------------------------------------------------------------
# Stopwords
# --------------------------------------------------------------------------
_STOPWORDS_PATH = Path(__file__).parent / "data" / "stopwords-hi.txt"


def load_stopwords(path: Path = _STOPWORDS_PATH) -> frozenset[str]:
    """Read a Lucene-format list ('#' and '|' comments) and normalize it.

    Entries go through :func:`normalize` so they match the tokens they are
    compared with (जहाँ in the list stops जहां in the text).
    """
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("|", 1)[0].strip()
        if word and not word.startswith("#"):
            words.add(normalize(word))
    return frozenset(words)


#: The normalized stopword list used by :func:`hindi_analyzer`.
STOPWORDS: frozenset[str] = load_stopwords()


# --------------------------------------------------------------------------
# Whoosh components
# --------------------------------------------------------------------------
class HindiTokenizer(Tokenizer):
    """Devanagari-aware tokenizer that emits normalized words.

    Words are found in the original text (so character offsets are exact) and
    each is normalized by :func:`normalize`.  Vowel signs, virama, nukta and
    joiners stay inside words; dandas, punctuation, quotes and hyphens split
    (जोंग-उन -> जोंग, उन).  With ``normalize=False`` the surface form is
    emitted unchanged (a baseline for benchmarks only).
    """

    def __init__(self, normalize: bool = True) -> None:
        self.normalize = normalize

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        """Yield one (reused) Token per word, as Whoosh tokenizers do."""
        assert isinstance(value, str), f"{value!r} is not str"
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Whoosh asks for this for range-query endpoints: one term.
            t.text = normalize(value) if self.normalize else value
            t.original = value
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        pos = start_pos
        for match in _TOKEN_RE.finditer(value):
            span = match.group(0)
            if self.normalize:
                text = _normalize_span(span, match.lastgroup == "num")
            else:
                text = span
            if not text:  # e.g. a lone ZWJ
                continue
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = span
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            pos += 1
            yield t


class HindiStemFilter(Filter):
    """Applies :func:`stem` to Devanagari tokens; Latin tokens pass unchanged."""

    is_morph = True  # tells Whoosh the terms are not surface words

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


def _stop_filter() -> StopFilter:
    # minsize=1: Whoosh's default (2) would drop one-character terms such as
    # the numbers "5" or "9"; the list itself covers one-letter words (व, न).
    return StopFilter(stoplist=STOPWORDS, minsize=1)


def hindi_analyzer() -> Analyzer:
    """The full chain: normalize, tokenize, drop stopwords, stem.

    Use the same analyzer for the index and the query side.  Stopwords are
    removed in both modes (a term that is never indexed cannot be matched), and
    positions are renumbered over the gaps, so a phrase query "किम ने कहा"
    still matches as a phrase.  Supports ``positions=True, chars=True``:
    ``text[t.startchar:t.endchar]`` is the original surface word.
    """
    return HindiTokenizer() | _stop_filter() | HindiStemFilter()


_ANALYZER = hindi_analyzer()


def analyze(text: str) -> list[str]:
    """The terms :func:`hindi_analyzer` emits for ``text``, in order."""
    return [t.text for t in _ANALYZER(text)]


def tokenize(text: str) -> list[str]:
    """Normalized Devanagari-aware tokens, without stopword removal or stemming."""
    return [t.text for t in HindiTokenizer()(text)]
