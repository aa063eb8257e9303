"""The BM25F side: a Whoosh searcher over headline and body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import scoring

from index import layout
from index.errors import IndexNotFoundError

from . import query_parser

K1 = 1.2
B = 0.75


class FullTextSearcher:
    """Keeps one Whoosh searcher open; :meth:`refresh` picks up later commits."""

    def __init__(self, index_dir: Path) -> None:
        directory = layout.fulltext_dir(index_dir)
        if not whoosh_index.exists_in(str(directory)):
            raise IndexNotFoundError(f"{index_dir} has no full-text index; rebuild it with hsearch index --rebuild")
        self._index = whoosh_index.open_dir(str(directory))
        self.schema = self._index.schema
        self.analyzer = self.schema["body"].analyzer
        self._parser = query_parser.make_parser(self.schema)
        self._searcher = self._index.searcher(weighting=scoring.BM25F(B=B, K1=K1))

    def refresh(self) -> None:
        self._searcher = self._searcher.refresh()

    def close(self) -> None:
        self._searcher.close()

    @property
    def doc_count(self) -> int:
        return self._searcher.doc_count()

    def parse(self, text: str) -> wq.Query:
        return query_parser.parse(self._parser, text)

    def search(self, q: wq.Query, limit: int, filter_query: wq.Query | None = None) -> list[tuple[str, float]]:
        """``(id, score)`` best first."""
        if q is wq.NullQuery or limit <= 0:
            return []
        results = self._searcher.search(q, limit=limit, filter=filter_query)
        return [(hit["id"], float(hit.score)) for hit in results]

    def upper_bound(self, q: wq.Query) -> float:
        """The score a document matching every query word at saturation would reach.

        Each BM25 term contributes less than ``idf * (K1 + 1)`` times its field
        boost, so a side with one hit can be placed on a 0..1 scale without
        calling that hit perfect.
        """
        total = 0.0
        for term in query_parser.positive_terms(q):
            best = 0.0
            for field in query_parser.SEARCH_FIELDS:
                if self._searcher.doc_frequency(field, term):
                    boost = self.schema[field].format.field_boost
                    best = max(best, boost * self._searcher.idf(field, term) * (K1 + 1))
            total += best
        return total

    def ids_matching(self, filter_query: wq.Query) -> set[str]:
        """Every article id a filter lets through (to restrict the vector side alike)."""
        return {self._searcher.stored_fields(n)["id"] for n in filter_query.docs(self._searcher)}

    def documents(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Stored fields by id; ids no longer in the index are left out."""
        found: dict[str, dict[str, Any]] = {}
        for article_id in ids:
            number = self._searcher.document_number(id=article_id)
            if number is not None:
                found[article_id] = self._searcher.stored_fields(number)
        return found

    def facet_values(self, field: str) -> list[tuple[str, int]]:
        """Each value of a facet field as stored (display case) with its live article count.

        The field is indexed case-folded, so one article's stored value stands
        for the term; counting through a search skips deleted articles.
        """
        values = []
        for term in self._searcher.reader().field_terms(field):
            results = self._searcher.search(wq.Term(field, term), limit=1, scored=False)
            if results.scored_length():
                values.append((str(results[0].get(field) or term), len(results)))
        return sorted(values, key=lambda value: (-value[1], value[0].lower()))

    def all_ids(self) -> dict[str, str]:
        """id -> content digest of every article (for verify)."""
        return {f["id"]: f.get("digest", "") for f in self._searcher.all_stored_fields()}
