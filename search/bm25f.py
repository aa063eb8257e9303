"""Whoosh's BM25F with field lengths read from a table: the same scores, less Python per posting.

BM25F needs each document's field length for every posting it scores; Whoosh
looks it up through four calls and a column reader each time.
:class:`LengthTableBM25F` reads each segment's length column whole into a list
once (about 10 ms per field per 500k articles; read document by document, as
it first was, the four tables of a 1M index took 2.2 s), and only engines that
answer many queries use it.  Queries are scored over the scoring
sidecars (:mod:`hsearch.search.array_scorer`); Whoosh's own matchers, and so
this weighting, score a segment without a sidecar and the reference score of
hybrid fusion.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh import scoring
from whoosh.util.numeric import byte_to_length

from hsearch.index import whoosh_compat

#: The field length Whoosh decodes from each length byte (its ``doc_field_length``).  A byte of 0 (no
#: length) is never scored: a document that holds a term of a field has a length in it.
_DECODED = np.array([1] + [byte_to_length(b) for b in range(1, 256)], dtype=object)


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
            table = _DECODED[whoosh_compat.length_bytes(reader, fieldname, reader.doc_count_all())].tolist()
            entry = self._tables[key] = (reader, table)
        return entry[1]
