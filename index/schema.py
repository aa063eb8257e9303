"""The Whoosh schema of the full-text side."""

from __future__ import annotations

from pathlib import Path

from whoosh import fields
from whoosh.analysis import IDTokenizer, LowercaseFilter
from whoosh.searching import Searcher

from . import layout, whoosh_compat
from .analysis import hindi_analyzer
from .versions import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "article_digests", "build_schema", "read_article_digests"]

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


def article_digests(searcher: Searcher) -> dict[str, str]:
    """id -> content digest of every live article: what each article's vectors must have been made from."""
    return {stored["id"]: stored.get("digest", "") for stored in searcher.all_stored_fields()}


def read_article_digests(index_dir: Path) -> dict[str, str]:
    """:func:`article_digests` of the full-text side of the index at ``index_dir``, read straight from Whoosh."""
    ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
    with ix.searcher() as searcher:
        return article_digests(searcher)
