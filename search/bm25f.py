"""Whoosh's BM25F with field lengths read from a table: the same scores, less Python per posting.

BM25F needs each document's field length for every posting it scores; Whoosh
looks it up through four calls and a column reader each time.
:class:`LengthTableBM25F` reads each segment's lengths into a list once.  That
costs about 0.15 s per field per 100k articles on the first query, so only
engines that answer many queries use it.  Queries are scored over the scoring
sidecars (:mod:`hsearch.search.array_scorer`); Whoosh's own matchers, and so
this weighting, score a segment without a sidecar and the reference score of
hybrid fusion.
"""

from __future__ import annotations

from typing import Any

from whoosh import scoring


class LengthTableBM25F(scoring.BM25F):
    """BM25F whose scorers read field lengths from a per-segment table.

    Tables are keyed by segment reader, which is kept alive with its table
    so that its ``id`` cannot pass to another reader; a refreshed searcher
    reuses the readers of unchanged segments, and the tables of readers it
    closed are dropped when the next table is made.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._tables: dict[tuple[int, str], tuple[object, list[int]]] = {}

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            scorer.dfl = self._lengths(searcher, fieldname).__getitem__
        return scorer

    def _lengths(self, searcher: Any, fieldname: str) -> list[int]:
        reader = searcher.reader()
        key = (id(reader), fieldname)
        entry = self._tables.get(key)
        if entry is None or entry[0] is not reader:
            self._tables = {k: v for k, v in self._tables.items() if not getattr(v[0], "is_closed", False)}
            table = [searcher.doc_field_length(doc, fieldname, 1) for doc in range(reader.doc_count_all())]
            entry = self._tables[key] = (reader, table)
        return entry[1]
