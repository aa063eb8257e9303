"""The Whoosh schema of the full-text side."""

from __future__ import annotations

from whoosh import fields
from whoosh.analysis import IDTokenizer, LowercaseFilter

from .analysis import hindi_analyzer

SCHEMA_VERSION = 1
TITLE_BOOST = 2.0


def build_schema() -> fields.Schema:
    """Headline and body are analysed with the Hindi chain; the headline counts double.

    ``source`` and ``category`` are exact-match facets (case-folded) for filters.
    """
    analyzer = hindi_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST, phrase=True),
        body=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        date=fields.DATETIME(stored=True, sortable=True),
        source=fields.ID(stored=True, analyzer=IDTokenizer() | LowercaseFilter()),
        category=fields.ID(stored=True, analyzer=IDTokenizer() | LowercaseFilter()),
        url=fields.STORED(),
        digest=fields.STORED(),
    )
