"""Turn what a person typed into a Whoosh query that never crashes.

Several words rank articles that match more of them higher without demanding
all of them: a plain OR whose term scores add up, as Lucene's default.
Whoosh's coordination bonus is not used: over two fields it counts every
headline miss as an unmatched word, and it cost 4 nDCG points on XQuAD Hindi
(0.954 -> 0.911);
``"quoted phrases"``, ``+must`` and ``-not`` work, and so do ``AND``/``OR``/
``NOT``.  Field prefixes, wildcards, ranges and boosts are switched off: a
Hindi headline is full of colons (``सियोल:``) that are not field names.
Anything the parser still rejects falls back to an OR of the analysed words.

Operators are read only where they are unmistakable, because people paste
real text (headlines, sentences) into the box:

* only in a short query, of at most :data:`MAX_OPERATOR_WORDS` words outside
  quotes: a pasted headline or sentence is text (``मां -बाप से मिले बिछड़े
  भाई- बहन`` is a typo for मां-बाप, not "without बाप");
* ``+word``/``-word``: the sign starts a word (after a space, ``(`` or at the
  start), a letter, digit or ``"`` follows it, and the word does not itself end
  in ``-`` or ``+``.  So ``तहरीक -ए- तालिबान``, ``-x-``, ``--``, ``7-2`` and
  ``जोंग-उन`` are text; ``किम -ट्रंप`` excludes ट्रंप.
* ``AND``/``OR``/``NOT``: upper case, and only in a query that is not English
  prose, that is, one with fewer than two lower-case Latin words
  (:data:`PROSE_WORDS`): ``Why did he NOT go`` is text, ``किम NOT पुतिन`` and
  ``Kim AND Putin`` are operators.
* A query left with nothing to look for (only exclusions: ``-किम``, ``NOT
  किम``) is read as its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import fields
from whoosh import query as wq
from whoosh.qparser import MultifieldParser, OrGroup, plugins

SEARCH_FIELDS = ("title", "body")

#: A query with this many lower-case Latin words is English prose: its AND/OR/NOT are words.
PROSE_WORDS = 2
#: Longer queries (words outside quotes) are pasted text, never operator syntax.
MAX_OPERATOR_WORDS = 6

_DISABLED = (plugins.FieldsPlugin, plugins.WildcardPlugin, plugins.RangePlugin, plugins.BoostPlugin,
             plugins.GtLtPlugin)
# A sign that starts a word, before a letter, digit or quote, of a word that does not end in - or +.
_SIGNED_WORD = r'(?=["\w](?:[^\s()]*[^\s()+\-])?(?=[\s()]|$))'
_PLUS = r"(?:^|(?<=[\s(]))\+" + _SIGNED_WORD
_MINUS = r"(?:^|(?<=[\s(]))-" + _SIGNED_WORD
_LOWER_LATIN_WORD = re.compile(r"(?<![A-Za-z])[a-z]+(?![A-Za-z])")
_QUOTED = re.compile(r'"[^"]*"')
#: What Whoosh's parser (with the plugins left on) may read as syntax: quotes, groups, ``*:*``, a sign where
#: :data:`_PLUS`/:data:`_MINUS` may start a word, and an apostrophe where a single quote may open (its plugin's
#: ``(^|(?<=\W))'``).  A hyphen or apostrophe inside a word (``covid-19``, ``don't``, ``Kim's``) is text.
_SYNTAX = re.compile(r"""["()*]|(?:^|(?<=[\s(]))[+\-]|(?<![A-Za-z0-9])'""")
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})  # OperatorsPlugin's words


@dataclass(frozen=True)
class QueryParser:
    """Whoosh parsers over one schema, one per reading of a query (see :func:`parse`)."""

    schema: fields.Schema
    operators: MultifieldParser  # +, -, AND, OR, NOT and phrases
    signs: MultifieldParser  # +, - and phrases (English prose)
    text: MultifieldParser  # phrases only (pasted text)


def make_parser(schema: fields.Schema) -> QueryParser:
    return QueryParser(schema, _whoosh_parser(schema, words=True, signs=True),
                       _whoosh_parser(schema, words=False, signs=True),
                       _whoosh_parser(schema, words=False, signs=False))


def _whoosh_parser(schema: fields.Schema, *, words: bool, signs: bool) -> MultifieldParser:
    parser = MultifieldParser(list(SEARCH_FIELDS), schema, group=OrGroup)
    for plugin in _DISABLED:
        parser.remove_plugin_class(plugin)
    if not words:
        parser.remove_plugin_class(plugins.OperatorsPlugin)
    if signs:
        parser.add_plugin(plugins.PlusMinusPlugin(plusexpr=_PLUS, minusexpr=_MINUS))
    return parser


def is_prose(text: str) -> bool:
    """English prose (two or more lower-case Latin words): its upper-case AND/OR/NOT are words."""
    return len(_LOWER_LATIN_WORD.findall(text)) >= PROSE_WORDS


def is_pasted_text(text: str) -> bool:
    """More than :data:`MAX_OPERATOR_WORDS` words outside quotes: a headline or sentence, not syntax."""
    return len(_QUOTED.sub(" ", text).split()) > MAX_OPERATOR_WORDS


def parse(parser: QueryParser, text: str) -> wq.Query:
    """The parsed query (operators as the module docstring says), or a plain OR of analysed words."""
    plain = _plain_words(parser.schema, text)
    if plain is not None:
        return plain
    if is_pasted_text(text):
        chosen = parser.text
    else:
        chosen = parser.signs if is_prose(text) else parser.operators
    try:
        q = chosen.parse(text)
    except Exception:  # Whoosh raises assorted errors on odd syntax; the user still gets results
        return _fallback(parser.schema, text)
    if not positive_terms(q):  # only exclusions: read the words themselves
        return _fallback(parser.schema, text)
    return _exclude_nots(q)


def _plain_words(schema: fields.Schema, text: str) -> wq.Query | None:
    """The query of a text with no syntax in it, built as Whoosh's parser builds it; None for any other text.

    Most queries are a few plain words, and Whoosh's parser spends most of a
    BM25 query's time on them (its normalization deep-copies the tree, about
    0.6 ms a query, 1.3 ms for an English sentence).  Without quotes,
    brackets, a sign that starts a word, an opening single quote, a star or an
    upper-case operator word, its reading is fixed: each whitespace-separated
    word's analysed tokens, headline then body, in one OR without repeats.
    ``tests/test_properties.py`` pins this against the parser on real and
    generated queries; ``python -m bench.plain_parse`` on the dev sets.
    """
    if _SYNTAX.search(text):
        return None
    words = text.split()
    if any(word in _OPERATOR_WORDS for word in words):
        return None
    clauses: dict[tuple[str, str], wq.Term] = {}
    for word in words:
        for field in SEARCH_FIELDS:
            for token in schema[field].process_text(word, mode="query"):
                clauses.setdefault((field, token), wq.Term(field, token))
    if len(clauses) < 2:  # one term or none: the parser's own reading (and its fallbacks)
        return None
    return wq.Or(list(clauses.values()))


def _exclude_nots(q: wq.Query) -> wq.Query:
    """``किम NOT पुतिन`` is किम without पुतिन, not "किम, or anything without पुतिन".

    Whoosh puts a prefix NOT into the surrounding OR as one more clause,
    which matches every article that lacks the word; here the NOT clauses of
    an OR become an AND NOT of the others.
    """
    q = q.apply(_exclude_nots)
    if type(q) is wq.Or:
        banned = [child.query for child in q.subqueries if isinstance(child, wq.Not)]
        kept = [child for child in q.subqueries if not isinstance(child, wq.Not)]
        if banned and kept:
            wanted = kept[0] if len(kept) == 1 else wq.Or(kept)
            return wq.AndNot(wanted, banned[0] if len(banned) == 1 else wq.Or(banned))
    return q


def _fallback(schema: fields.Schema, text: str) -> wq.Query:
    analyzer = schema["body"].analyzer
    words = [token.text for token in analyzer(text, mode="query")]
    if not words:
        return wq.NullQuery
    return wq.Or([wq.Term(field, word) for field in SEARCH_FIELDS for word in dict.fromkeys(words)])


def is_union_of_terms(q: wq.Query) -> bool:
    """Whether ``q`` is words and nothing else: searched-field terms under ORs (plain words and their
    expansions), so that a document matches exactly the terms it holds."""
    if type(q) is wq.Term:
        return q.fieldname in SEARCH_FIELDS
    return type(q) is wq.Or and not q.minmatch and all(is_union_of_terms(child) for child in q.subqueries)


def positive_terms(q: wq.Query) -> set[str]:
    """Analysed words the query looks for (not those under NOT), for highlighting and bounds."""
    if isinstance(q, (wq.Not, wq.AndNot)):
        if isinstance(q, wq.AndNot):
            return positive_terms(q.a)
        return set()
    terms: set[str] = set()
    if isinstance(q, wq.Term) and q.fieldname in SEARCH_FIELDS:
        terms.add(q.text)
    elif isinstance(q, wq.Phrase) and q.fieldname in SEARCH_FIELDS:
        terms.update(q.words)
    for child in q.children():
        terms |= positive_terms(child)
    return terms
