"""The BM25F side: a Whoosh searcher over headline and body."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import scoring

from hsearch.index import layout, whoosh_compat
from hsearch.index.collection import CollectionStats, whoosh_idf
from hsearch.index.errors import FullTextDamagedError, IndexNotFoundError, Remedy, damage_reason
from hsearch.index.schema import article_digests

from . import query_parser
from .array_scorer import ArrayScorer
from .bm25_kernels import compiled_add_term
from .bm25f import LengthTableBM25F

K1 = 1.2
B = 0.75


class FullTextSearcher:
    """One Whoosh searcher over one commit generation of the full text: a snapshot's BM25 side.

    Queries are scored over the segments' scoring sidecars
    (:mod:`hsearch.search.array_scorer`), with Whoosh's own matchers for a
    segment without one; ``length_tables`` reads field lengths into memory on
    the first query that needs them (see :mod:`hsearch.search.bm25f`).
    ``compiled`` scores with the numba kernel when numba is installed (about a
    second of start-up; :mod:`hsearch.search.bm25_kernels`).  ``generation``
    is the commit to open (None: the latest); :meth:`following` opens a later
    one, sharing what did not change.
    """

    def __init__(self, index_dir: Path, *, generation: int | None = None, length_tables: bool = False,
                 compiled: bool = False, previous: FullTextSearcher | None = None) -> None:
        directory = layout.fulltext_dir(index_dir)
        try:
            exists = whoosh_index.exists_in(str(directory))
        except Exception as exc:  # a TOC file that is not Whoosh's
            raise FullTextDamagedError(index_dir, damage_reason(exc)) from None
        if not exists:
            raise IndexNotFoundError(f"{index_dir} has no full-text index", remedy=Remedy("rebuild", str(index_dir)))
        try:
            self._index = previous._index if previous is not None else whoosh_compat.open_dir(directory)
            self.schema = self._index.schema
            weighting = previous._searcher.weighting if previous is not None else \
                (LengthTableBM25F(B=B, K1=K1) if length_tables else scoring.BM25F(B=B, K1=K1))
            self._searcher, self.generation = whoosh_compat.searcher_at(
                self._index, generation, weighting, reuse=previous._searcher if previous is not None else None)
        except whoosh_compat.GenerationGone:
            raise  # that generation is gone: the caller opens the newer one
        except Exception as exc:  # a missing or cut segment file: Whoosh raises many kinds of errors
            raise FullTextDamagedError(index_dir, damage_reason(exc)) from None
        self.index_dir = Path(index_dir)
        self.analyzer = self.schema["body"].analyzer
        self._parser = previous._parser if previous is not None else query_parser.make_parser(self.schema)
        self._directory = directory
        self._compiled = compiled
        if previous is not None:
            self._arrays = ArrayScorer(directory, self._searcher, previous=previous._arrays)
        else:
            kernel = compiled_add_term() if compiled else None  # numba when installed; else numpy
            self._arrays = ArrayScorer(directory, self._searcher, add_term=kernel)

    def following(self, generation: int | None) -> FullTextSearcher:
        """The full text at a later ``generation``, sharing this one's unchanged segments and tables.

        This searcher must not be used afterwards: segments the new one does
        not share are closed (Whoosh's ``refresh`` rule).
        """
        if generation is not None and generation == self.generation:
            return self  # no commit since: every generation changes something
        return FullTextSearcher(self.index_dir, generation=generation, previous=self)

    def close(self) -> None:
        self._searcher.close()

    @property
    def doc_count(self) -> int:
        return self._searcher.doc_count()

    def parse(self, text: str) -> wq.Query:
        return query_parser.parse(self._parser, text)

    def search(self, q: wq.Query, limit: int, filter_query: wq.Query | None = None,
               stats: CollectionStats | None = None) -> list[tuple[str, float]]:
        """``(id, score)`` best first; ``stats`` scores with a whole collection's statistics (a shard's query)."""
        if q is wq.NullQuery or limit <= 0:
            return []
        return self._arrays.search(q, limit, filter_query, stats)

    def collection_stats(self, q: wq.Query) -> CollectionStats:
        """This index's own N, field lengths and document frequencies of ``q``'s terms (a shard's part)."""
        return CollectionStats.of_reader(self._searcher.reader(), q.iter_all_terms(phrases=True))

    def exhaustive(self, q: wq.Query, filter_query: wq.Query | None = None,
                   limit: int | None = None) -> list[tuple[str, float]]:
        """Every match scored by Whoosh's own matchers, no pruning: the reference :meth:`search` must equal
        (the ``limit`` best of them: only those have their ids read, which at a million articles is what costs).

        Every match is collected (``limit=None``) and the best ``limit`` kept here: asked for a limit,
        Whoosh's search gave an article of ``+must other words`` at 1M a lower score than it gives without
        one (24.89 against 29.01), so a limited search is no reference."""
        results = self._searcher.search(q, limit=None, optimize=False, filter=filter_query)
        count = results.scored_length() if limit is None else min(limit, results.scored_length())
        return [(self._searcher.stored_fields(results.docnum(i))["id"], float(results.score(i))) for i in range(count)]

    def term_frequency(self, term: str) -> int:
        """Articles whose headline or body holds ``term`` (the larger count)."""
        return self.term_statistics(term)[0]

    def term_statistics(self, term: str) -> tuple[int, float]:
        """:meth:`term_frequency` and :meth:`idf` of ``term``, from one reading of its document frequencies."""
        frequencies = [self.doc_frequency(f, term) for f in query_parser.SEARCH_FIELDS if f in self.schema]
        held = [whoosh_idf(self._searcher.doc_count_all(), n) for n in frequencies if n]
        return max(frequencies), max(held) if held else math.log(max(self.doc_count, 1)) + 1.0

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Whoosh's document frequency of ``term`` in ``fieldname`` (deleted articles counted, as Whoosh
        counts them): from the scoring sidecars, or from Whoosh's term dictionary where one is missing."""
        found = self._arrays.doc_frequency(fieldname, term)
        return found if found is not None else self._searcher.doc_frequency(fieldname, term)

    def reference_score(self, q: wq.Query, top: tuple[str, float] | None,
                        stats: CollectionStats | None = None) -> float:
        """The score that stands for a full match of ``q``, for scaling a side that cannot be spread.

        It is the top hit's score divided by the share of the query it covers
        (the idf mass of the words it matched over that of all the query's
        words): a lone hit matching every word scales to 1.0, a lone hit on one
        common word of five scales to a fraction.  For a query of words (an OR
        of terms, the usual case) the words the hit matched are the ones it
        holds, read from the scoring sidecars; asking Whoosh's search took
        3.4 ms of a hybrid query at 1M articles (0.12 s of a cold one).
        """
        if top is None:
            return 0.0
        article_id, score = top
        source = stats if stats is not None else self._searcher  # a shard weighs by its collection's statistics
        weights = {term: max((source.idf(f, term) for f in query_parser.SEARCH_FIELDS
                              if source.doc_frequency(f, term)), default=0.0)
                   for term in query_parser.positive_terms(q)}
        total = sum(weights.values())
        if total <= 0:
            return score
        if query_parser.is_union_of_terms(q):  # the top hit matched each of its words it holds: read the postings
            matched = self.matched_terms(weights, [article_id])[article_id]
        else:  # phrases, exclusions, AND: what Whoosh's matchers report at the hit
            results = self._searcher.search(q, limit=1, terms=True, filter=wq.Term("id", article_id))
            matched = {text.decode("utf-8") if isinstance(text, bytes) else text
                       for hit in results for _, text in hit.matched_terms()}
        covered = sum(weight for term, weight in weights.items() if term in matched)
        return score * total / covered if covered > 0 else score

    def idf(self, term: str) -> float:
        """How much ``term`` tells (Whoosh's BM25 idf, the larger of headline and body); a term no
        article holds is as telling as the rarest one (``log(N) + 1``), since it is the query's own word."""
        return self.term_statistics(term)[1]

    def matched_terms(self, terms: Iterable[str], ids: Sequence[str]) -> dict[str, set[str]]:
        """Which of ``terms`` each article of ``ids`` holds (headline or body): each term's postings
        looked up at the articles asked for (the scoring sidecars' arrays; no scoring)."""
        known = self._arrays.numbers_of(ids)
        if known is None:  # a segment without its sidecar: Whoosh's id postings
            known = {article_id: n for article_id in ids
                     if (n := self._searcher.document_number(id=article_id)) is not None}
        numbers = sorted((n, article_id) for article_id, n in known.items())
        found: dict[str, set[str]] = {article_id: set() for article_id in ids}
        if not numbers:
            return found
        fields = [f for f in query_parser.SEARCH_FIELDS if f in self.schema]
        held = self._arrays.holders(fields, list(terms), np.array([n for n, _ in numbers], dtype=np.int64))
        for term, holds in held.items():
            for i in np.flatnonzero(holds):
                found[numbers[i][1]].add(term)
        return found

    def ids_matching(self, filter_query: wq.Query) -> frozenset[str]:
        """Every live article id a filter lets through (to restrict the vector side alike), from the scorer's masks."""
        return self._arrays.ids_matching(filter_query)

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
