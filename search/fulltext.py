"""The BM25F side: a Whoosh searcher over headline and body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import scoring

from hsearch.index import layout
from hsearch.index.errors import FullTextDamagedError, IndexNotFoundError, damage_reason
from hsearch.index.schema import article_digests

from . import query_parser
from .array_scorer import ArrayScorer
from .bm25_kernels import compiled_add_term
from .bm25f import LengthTableBM25F, with_array_or

K1 = 1.2
B = 0.75


class FullTextSearcher:
    """Keeps one Whoosh searcher open; :meth:`refresh` picks up later commits.

    Queries are scored over the segments' scoring sidecars
    (:mod:`hsearch.search.array_scorer`); ``arrays=False`` keeps Whoosh's own
    search, which ``length_tables`` speeds up by reading field lengths into
    memory on the first query (see :mod:`hsearch.search.bm25f`).  ``compiled``
    scores with the numba kernel when numba is installed (about a second of
    start-up; :mod:`hsearch.search.bm25_kernels`).
    """

    def __init__(self, index_dir: Path, *, length_tables: bool = False, arrays: bool = True,
                 compiled: bool = False) -> None:
        directory = layout.fulltext_dir(index_dir)
        try:
            exists = whoosh_index.exists_in(str(directory))
        except Exception as exc:  # a TOC file that is not Whoosh's
            raise FullTextDamagedError(index_dir, damage_reason(exc)) from None
        if not exists:
            raise IndexNotFoundError(f"{index_dir} has no full-text index; rebuild it with hsearch index --rebuild")
        try:
            self._index = whoosh_index.open_dir(str(directory))
            self.schema = self._index.schema
            weighting = LengthTableBM25F(B=B, K1=K1) if length_tables else scoring.BM25F(B=B, K1=K1)
            self._searcher = self._index.searcher(weighting=weighting)
        except Exception as exc:  # a missing or cut segment file: Whoosh raises many kinds of errors
            raise FullTextDamagedError(index_dir, damage_reason(exc)) from None
        self.analyzer = self.schema["body"].analyzer
        self._parser = query_parser.make_parser(self.schema)
        self._directory = directory
        kernel = compiled_add_term() if compiled else None  # numba when installed; else numpy
        self._arrays = ArrayScorer(directory, self._searcher, add_term=kernel) if arrays else None

    def refresh(self) -> None:
        self._searcher = self._searcher.refresh()  # keeps the weighting, and the tables of unchanged segments
        if self._arrays is not None:
            self._arrays = ArrayScorer(self._directory, self._searcher, previous=self._arrays)

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
        if self._arrays is not None:
            return self._arrays.search(q, limit, filter_query)
        results = self._searcher.search(with_array_or(q), limit=limit, filter=filter_query)
        return [(hit["id"], float(hit.score)) for hit in results]

    def term_frequency(self, term: str) -> int:
        """Articles whose headline or body holds ``term`` (the larger count)."""
        return max(self._searcher.doc_frequency(f, term) for f in query_parser.SEARCH_FIELDS)

    def reference_score(self, q: wq.Query, top: tuple[str, float] | None) -> float:
        """The score that stands for a full match of ``q``, for scaling a side that cannot be spread.

        It is the top hit's score divided by the share of the query it covers
        (the idf mass of the words it matched over that of all the query's
        words): a lone hit matching every word scales to 1.0, a lone hit on one
        common word of five scales to a fraction.
        """
        if top is None:
            return 0.0
        article_id, score = top
        weights = {term: max((self._searcher.idf(f, term) for f in query_parser.SEARCH_FIELDS
                              if self._searcher.doc_frequency(f, term)), default=0.0)
                   for term in query_parser.positive_terms(q)}
        total = sum(weights.values())
        if total <= 0:
            return score
        results = self._searcher.search(q, limit=1, terms=True, filter=wq.Term("id", article_id))
        matched = {text.decode("utf-8") if isinstance(text, bytes) else text
                   for hit in results for _, text in hit.matched_terms()}
        covered = sum(weight for term, weight in weights.items() if term in matched)
        return score * total / covered if covered > 0 else score

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

    def key_terms(self, text: str, count: int) -> list[tuple[str, float]]:
        """The ``count`` terms of ``text`` that best tell it apart from the index (Whoosh's Bo1 model)."""
        return [(term, float(weight)) for term, weight in
                self._searcher.key_terms_from_text("body", text, numterms=count, normalize=True)]

    def all_ids(self) -> dict[str, str]:
        """id -> content digest of every article (for verify)."""
        return article_digests(self._searcher)
