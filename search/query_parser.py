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
"""

from __future__ import annotations

from whoosh import fields
from whoosh import query as wq
from whoosh.qparser import MultifieldParser, OrGroup, plugins

SEARCH_FIELDS = ("title", "body")

_DISABLED = (plugins.FieldsPlugin, plugins.WildcardPlugin, plugins.RangePlugin, plugins.BoostPlugin,
             plugins.GtLtPlugin)


def make_parser(schema: fields.Schema) -> MultifieldParser:
    parser = MultifieldParser(list(SEARCH_FIELDS), schema, group=OrGroup)
    for plugin in _DISABLED:
        parser.remove_plugin_class(plugin)
    # Only a + or - that starts a word is an operator: जोंग-उन and 7-2 are text.
    parser.add_plugin(plugins.PlusMinusPlugin(plusexpr=r"(?:^|(?<=[\s(]))\+(?=\S)",
                                              minusexpr=r"(?:^|(?<=[\s(]))-(?=\S)"))
    return parser


def parse(parser: MultifieldParser, text: str) -> wq.Query:
    """The parsed query, or a plain OR of analysed words if parsing fails."""
    try:
        return parser.parse(text)
    except Exception:  # Whoosh raises assorted errors on odd syntax; the user still gets results
        return _fallback(parser.schema, text)


def _fallback(schema: fields.Schema, text: str) -> wq.Query:
    analyzer = schema["body"].analyzer
    words = [token.text for token in analyzer(text, mode="query")]
    if not words:
        return wq.NullQuery
    return wq.Or([wq.Term(field, word) for field in SEARCH_FIELDS for word in dict.fromkeys(words)])


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
