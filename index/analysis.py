"""Hindi text analysis shared by indexing and querying.

One chain, ``HindiTokenizer | StopFilter | HindiStemFilter``, turns text into
index terms.  It is used for documents and for queries, so the two meet on the
same terms.  Conceptually the order is

    normalize -> tokenize -> lower-case Latin -> drop stopwords -> stem -> fold

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
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from indicnlp.normalize.indic_normalize import IndicNormalizerFactory
from whoosh.analysis import Analyzer, Filter, StopFilter, Token, Tokenizer

from . import scripts
from .versions import ANALYZER_VERSION

__all__ = [
    "ANALYZER_VERSION",
    "HindiStemFilter",
    "HindiTokenizer",
    "MIN_STEM",
    "MIN_STEM_AKSHARAS",
    "PROTECTED_WORDS",
    "STOPWORDS",
    "aksharas",
    "analyze",
    "fold_glides",
    "fold_spelling",
    "hindi_analyzer",
    "load_stopwords",
    "normalize",
    "normalize_words",
    "stem",
    "tokenize",
]


# --------------------------------------------------------------------------
# Character classes
# --------------------------------------------------------------------------
# Python's ``\w`` does not match Devanagari vowel signs, virama, nukta,
# anusvara or visarga (they are combining marks), so the Devanagari word class
# is built by hand: the whole block except the dandas (U+0964/5), the digits
# (U+0966-096F, which are numbers, see below) and the abbreviation sign
# (U+0970, punctuation); plus Devanagari Extended letters and marks.
_DEVA = scripts.LETTERS + scripts.EXTENDED
# Invisible characters that may sit inside a word and are deleted by the
# normalizer: ZWNJ, ZWJ, word joiner, soft hyphen, BOM.  They must not split
# a word in the original text (राष्ट्र with a ZWJ is still one word).
_JOINERS = "\u200c\u200d\u2060\u00ad\ufeff"
_DIGIT = "0-9" + scripts.DIGITS
# Everything else that is alphanumeric (Latin and other scripts, and digits),
# plus Latin combining accents; Devanagari is excluded so that "80वीं" splits
# into "80" and "वीं" (the number stays searchable) and "5जी" into "5", "जी".
_OTHER = rf"(?:[^\W_{scripts.BLOCKS}]|[{scripts.DIGITS}\u0300-\u036f{_JOINERS}])"

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
_DEVA_LETTER_RE = re.compile(f"[{scripts.LETTERS}]")

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


# Word-final glide spellings: news text writes the same ending with and
# without the glide य, and both are standard (नई/नयी, गए/गये, आए/आये,
# रुपए/रुपये, चाहिए/चाहिये, जानिए/जानिये, हुए/हुये, जाएं/जायें).  One spelling
# of each pair is kept, whichever the stemmer meets the word's other forms with:
# * after a consonant or an independent vowel (no vowel sign before it), the
#   glide: these are the forms of the -या paradigm, नई/नयी -> नयी -> नय as
#   नया, गए -> गये -> गय as गया, आई -> आयी -> आय as आया, रुपए -> रुपय as रुपया;
# * after a vowel sign, the vowel: R&R's suffixes ाई, ाए, िए, ाएं are spelt
#   so, कोरियायी -> कोरियाई -> कोरिय as कोरिया, चाहिये -> चाहिए, जायें -> जाएं.
# Only at the end of a word (optionally nasalized): inside one the spellings
# are not interchangeable (जयेश is never जएश).  The A/B behind this (and each
# direction alone) is in bench/results/fold_quality.md.
_LETTER_CLASS = scripts.LETTERS
_WORD_FINAL = rf"(?=\u0902?(?![{_LETTER_CLASS}]))"
_GLIDE_IN_RE = re.compile(rf"(?<=[\u0904-\u0939\u0958-\u0961\u0972-\u097f])([\u090f\u0908]){_WORD_FINAL}")
_GLIDE_OUT_RE = re.compile(rf"(?<=[\u093e-\u094c\u0955-\u0957\u0962\u0963])\u092f([\u0947\u0940]){_WORD_FINAL}")
_GLIDE_IN = {"\u090f": "\u092f\u0947", "\u0908": "\u092f\u0940"}  # ए -> ये, ई -> यी
_GLIDE_OUT = {"\u0947": "\u090f", "\u0940": "\u0908"}  # ये -> ए, यी -> ई


def fold_glides(text: str) -> str:
    """One spelling for word-final ए/ये, ई/यी: नई -> नयी, गए -> गये; चाहिये -> चाहिए, कोरियायी -> कोरियाई."""
    text = _GLIDE_OUT_RE.sub(lambda m: _GLIDE_OUT[m.group(1)], text)
    return _GLIDE_IN_RE.sub(lambda m: _GLIDE_IN[m.group(1)], text)


def normalize(text: str, *, glides: bool = True) -> str:
    """Character-level normalization of Hindi (and Latin) text.

    NFC; indic-nlp's Hindi normalizer (settings above: ZWJ/ZWNJ removed,
    nuktas folded, homorganic nasal clusters to anusvara); chandrabindu ->
    anusvara; Devanagari digits -> ASCII; lower case.  Visarga: a colon between
    two Devanagari letters becomes a visarga (दु:ख -> दुःख), any other colon
    stays a colon (so "भारत:" never turns into "भारतः"), and a word-final
    visarga is dropped so that अतः and the common keyboard spelling अत: meet.
    Word-final ए/ई after a letter take the glide spelling (:func:`fold_glides`;
    ``glides=False`` leaves them, for benchmarks that compare the two).
    """
    text = unicodedata.normalize("NFC", text).translate(_PRE_FOLD)
    text = _MEDIAL_COLON_RE.sub("\u0903", text)
    # indic-nlp rewrites every colon after a Devanagari character into a
    # visarga; normalizing colon-free pieces keeps the remaining colons.
    text = ":".join(_INDIC.normalize(part) for part in text.split(":"))
    text = text.translate(_CHAR_FOLD).lower()
    text = _FINAL_VISARGA_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return fold_glides(text) if glides else text


#: Joins words for :func:`normalize_words`: no word span holds a line break, no rule of :func:`normalize`
#: makes or removes one, and every rule that looks at a neighbour treats it as it treats a text's end.
_WORD_SEPARATOR = "\n"


def normalize_words(words: Sequence[str]) -> list[str]:
    """:func:`normalize` of each of ``words`` (spans the tokenizer found), in one pass over them all.

    Every rule is local to a word, so normalizing the words joined by a line
    break and splitting the result gives each word's own normalization: the
    same strings, five times faster than a call per word (the fixed cost of a
    call is a dozen regular expressions and translations), which is what a
    cold process pays on every new word it meets (ten bodies' snippets).
    """
    if len(words) > 1:
        parts = normalize(_WORD_SEPARATOR.join(words)).split(_WORD_SEPARATOR)
        if len(parts) == len(words):
            return parts
    return [normalize(word) for word in words]


_SPAN_CACHE: dict[str, str] = {}  # span -> normalize(span): words repeat
_SPAN_CACHE_SIZE = 200_000


def _normalized(spans: list[str]) -> list[str]:
    """Each of ``spans`` normalized: the cached ones looked up, the rest by one :func:`normalize_words`.

    Thread-safe: another thread may empty the shared cache at any time, so a
    miss (or that) sends the whole text the slow way, whose answer is its own.
    """
    try:
        return [_SPAN_CACHE[span] for span in spans]
    except KeyError:
        terms = _normalize_spans(spans)
        return [terms[span] for span in spans]


def _normalize_spans(spans: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    fresh: list[str] = []
    for span in dict.fromkeys(spans):
        term = _SPAN_CACHE.get(span)
        if term is None:
            fresh.append(span)
        else:
            known[span] = term
    if fresh:
        made = dict(zip(fresh, normalize_words(fresh)))
        known.update(made)
        if len(_SPAN_CACHE) + len(made) > _SPAN_CACHE_SIZE:
            _SPAN_CACHE.clear()
        _SPAN_CACHE.update(made)
    return known


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
# (length, suffixes of that length): a word's tail is looked up, not compared with each suffix
_SUFFIX_SETS: tuple[tuple[int, frozenset[str]], ...] = tuple((len(g[0]), frozenset(g)) for g in _SUFFIXES)

#: Shortest stem (in code points) a suffix may leave, as in Lucene: करेंगे -> कर
#: is allowed, but a one-letter stem is not (so "की", "सो" are never touched).
MIN_STEM = 2

#: Shortest stem in aksharas (a consonant cluster or an independent vowel, with
#: its vowel sign).  R&R's suffixes cut some short words to one akshara (नेता ->
#: ने, सेना -> से, पानी -> पा), and a guard of 2 was measured: it kept those
#: apart and helped FLORES lead -> article (+0.006 nDCG@10, not significant) but
#: split one-akshara verb roots (खाता/खाना -> खात/खान) and cost hybrid search on
#: XQuAD-hi 0.0014 nDCG@10 (bench/results/fold_quality.md).  So it stays off (1);
#: benchmarks pass another value to ``_stem``.
MIN_STEM_AKSHARAS = 1

#: Words that look inflected but are not: abbreviations of units, where R&R
#: would strip the final vowel (किमी "km" -> किम, which is the name Kim).
PROTECTED_WORDS: frozenset[str] = frozenset({"किमी", "मिमी", "सेमी", "किग्रा", "मिग्रा"})

_LETTER_RE = re.compile(r"[\u0904-\u0939\u0958-\u0961\u0972-\u097f]")


def aksharas(word: str) -> int:
    """Aksharas in a Devanagari word: letters, less one per virama (क्य is one, कर two)."""
    return len(_LETTER_RE.findall(word)) - word.count(_VIRAMA)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Strip the longest Hindi inflectional suffix from a normalized word.

    Only Devanagari words are stemmed (Latin stays as is), and never a word of
    :data:`PROTECTED_WORDS` (किमी stays किमी, not the name किम).  A suffix is
    not removed if the stem would be shorter than :data:`MIN_STEM` code points
    (or :data:`MIN_STEM_AKSHARAS` aksharas), or would end in a virama: that
    would cut a conjunct in half (पत्नी must not become पत्, which would then
    differ from पत्नियों -> पत्न); a shorter suffix is tried instead (पत्नी -> पत्न).
    """
    return _stem(word, MIN_STEM_AKSHARAS, PROTECTED_WORDS)


def _stem(word: str, min_aksharas: int, protected: frozenset[str]) -> str:
    """:func:`stem` with its guards as arguments (benchmarks compare them)."""
    if not _DEVA_LETTER_RE.match(word) or word in protected:
        return word
    for size, suffixes in _SUFFIX_SETS:
        if len(word) - size >= MIN_STEM and word[-size:] in suffixes:
            root = word[:-size]
            if not root.endswith(_VIRAMA) and aksharas(root) >= min_aksharas:
                return root
    return word


# Spelling variants folded on the stem, after the suffixes are gone (folding
# first would hide R&R's long-vowel suffixes, Lucene's खाती -> खात problem):
# long and short i/u (news spells loanwords and names both ways: पुलिस/पुलीस,
# रिपोर्ट/रीपोर्ट, यूनियन/युनियन, टीम/टिम) and candra-o as o (कॉलेज/कोलेज,
# डॉक्टर/डोक्टर).  Lucene's HindiNormalizer does the same and more; its other
# folds (ai/au, virama deletion) were no better on any set measured and merge
# more real words (सौ/सो), see bench/results/fold_quality.md.
_SPELLING_FOLD = str.maketrans({
    "\u0940": "\u093f", "\u0942": "\u0941", "\u0908": "\u0907", "\u090a": "\u0909",  # ी ू ई ऊ -> ि ु इ उ
    "\u0949": "\u094b", "\u0911": "\u0913",  # ॉ ऑ -> ो ओ
})


def fold_spelling(term: str) -> str:
    """The index form of a stem: long i/u as short, candra-o as o (पुलीस -> पुलिस, कॉलेज -> कोलेज)."""
    return term.translate(_SPELLING_FOLD)


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
        if not isinstance(value, str):
            raise TypeError(f"the Hindi tokenizer reads text, not {type(value).__name__}: {value!r}")
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
        matches = list(_TOKEN_RE.finditer(value))
        spans = [m.group(0) for m in matches]
        terms = _normalized(spans) if self.normalize else spans
        for match, span, text in zip(matches, spans, terms):
            if self.normalize and match.lastgroup == "num":
                text = text.replace(",", "")
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
    """Applies :func:`stem`, then :func:`fold_spelling`, to Devanagari tokens; Latin tokens pass unchanged."""

    is_morph = True  # tells Whoosh the terms are not surface words

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped:
                t.text = _index_term(t.text)
            yield t


@lru_cache(maxsize=200_000)
def _index_term(word: str) -> str:
    return fold_spelling(stem(word))


def _stop_filter() -> StopFilter:
    # minsize=1: Whoosh's default (2) would drop one-character terms such as
    # the numbers "5" or "9"; the list itself covers one-letter words (व, न).
    return StopFilter(stoplist=STOPWORDS, minsize=1)


def hindi_analyzer() -> Analyzer:
    """The full chain: normalize, tokenize, drop stopwords, stem, fold spelling variants.

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
