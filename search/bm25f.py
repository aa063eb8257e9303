"""Whoosh's BM25F with the same scores, computed with less Python per posting.

Profiling BM25 queries over 10k articles (bench/README.md) put nearly all the
time in Whoosh's pure-Python matchers; two changes keep every score and every
ranking identical to exhaustive scoring (checked on the 500 benchmark queries
at 10k and 100k articles; tests/test_query_speedups.py pins it):

* An OR is matched by Whoosh's ``ArrayUnionMatcher``, which reads each
  term's postings in one pass and adds scores into an array, instead of a
  tree of union matchers advanced document by document.  Whoosh's own
  heuristic picks the tree for indexes over 5,000 documents; for plain-OR
  BM25 queries the array was faster at 10k and 100k articles (mean 246 ->
  154 ms at 100k).  Its upper bound for pruning is corrected below.
* BM25F needs each document's field length for every posting it scores;
  Whoosh looks it up through four calls and a column reader each time.
  :class:`LengthTableBM25F` reads each segment's lengths into a list once.
  That costs about 0.15 s per field per 100k articles on the first query, so
  only engines that answer many queries use it.
"""

from __future__ import annotations

from typing import Any

from whoosh import matching, scoring
from whoosh import query as wq


class SummedArrayUnionMatcher(matching.ArrayUnionMatcher):
    """Whoosh's array union with an upper bound that holds.

    A document's score is the *sum* of its terms' scores, but Whoosh bounds
    the union by the best single term (and ignores the scores it has already
    read into its array).  Under a NOT (``परमाणु -संयंत्र``) that bound let
    top-k pruning stop early and drop better documents: one MIRACL query
    lost 4 of its true top 10 at 100k articles.
    """

    def max_quality(self) -> float:
        ahead = sum(m.max_quality() for m in self._submatchers if m.is_active()) * self._boost
        return max(max(self._a), ahead)  # scores already in the array, or any sum still to come


class ArrayOr(wq.Or):
    """An OR matched through an array of scores (see the module docstring)."""

    def _matcher(self, subs: list[wq.Query], searcher: Any, context: Any) -> matching.Matcher:
        scored = context.weighting is not None if context else True
        matchers = [sub.matcher(searcher, context) for sub in subs]
        return SummedArrayUnionMatcher(matchers, searcher.doc_count_all(), boost=self.boost, scored=scored)


def with_array_or(q: wq.Query) -> wq.Query:
    """``q`` with every plain OR, at any depth, matched as :class:`ArrayOr`."""
    q = q.apply(with_array_or)  # a leaf returns itself
    if type(q) is wq.Or:
        return ArrayOr(q.subqueries, boost=q.boost, minmatch=q.minmatch, scale=q.scale)
    return q


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


def _and_not_find_first(self: matching.AndNotMatcher) -> None:
    """Skip the prohibited matcher to the first required document, wherever it starts.

    Whoosh's ``AndNotMatcher`` only did so when both matchers started on the
    same document: when the NOT side's first posting came before the required
    side's first, the required side's first document was returned even if the
    NOT side held it too (``राष्ट्रपति चुनाव -अमेरिका`` returned an article
    headlined with अमेरिका, found while checking the array scorer against Whoosh).
    """
    if self.a.is_active() and self.b.is_active():
        self._find_next()


matching.AndNotMatcher._find_first = _and_not_find_first  # type: ignore[method-assign]
