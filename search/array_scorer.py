"""Whoosh's BM25F scores computed over the segments' scoring sidecars with numpy.

A parsed query (a Whoosh query tree) is evaluated segment by segment into a
dense array of scores and a mask of matching documents:

* ``Term`` of a field the sidecar holds: its posting list is scored in one
  call of a kernel (:mod:`hsearch.search.bm25_kernels`: numpy, or numba when
  asked for), Whoosh's own ``bm25()`` term for term (the same operations in
  the same order on the same float64 values), with the index-wide
  statistics (N, document frequency, average field length) taken from the
  Whoosh searcher, so scores equal Whoosh's;
* ``Or``, ``And``, ``AndMaybe`` (``+must``), ``AndNot`` (``-not``), ``Require``
  and ``Not`` are array operations with Whoosh's matcher semantics (a ``Not``
  matches everything else with score 1.0, as Whoosh's ``InverseMatcher``);
* anything else (phrases, other query types) is matched by Whoosh's own
  matcher on that segment and its (document, score) pairs enter the arrays:
  exact, and slower only for the part it covers.  Phrases stay on this path: a
  phrase needs positions, which Whoosh reads only for the documents that hold
  all the words (measured in bench/README.md, "Where the time goes").

The arrays are either one entry per document of the segment (the *dense*
path) or one entry per *candidate*: for a sum of terms (the plain query),
MaxScore over the sidecar's per-term score bounds finds a superset of the
top k without scoring every posting (compiled, document at a time, in
:mod:`hsearch.search.maxscore` for engines; term at a time with numpy
otherwise), and the same evaluation then scores only those documents, so the
scores are the dense path's to the bit.  :func:`use_candidates` picks the path
by segment size and postings, as measured (``bench.bm25_paths``).

A segment whose sidecar is missing or unusable is scored entirely through
Whoosh's matchers (correct, slower) and says so once on stderr.  Deleted
documents are masked out with Whoosh's own deletion set; filters (date range,
source, category) become per-segment document masks, cached per open searcher,
made without decoding a stored field: a date range compares the sidecar's
date column, a source or category reads that term's postings in blocks; the
vector side's id set comes from the masks and the sidecars' id tables.
``stats`` (a :class:`~hsearch.index.collection.CollectionStats`) replaces the
searcher's own N, document frequencies and average field lengths, on both
paths: a shard of a sharded index then scores as the whole collection would.
Top-k takes Whoosh's order: score descending, then document number ascending.
Sums of several terms can differ from Whoosh's in the last bits (Whoosh adds
them in the order of its matcher tree); ``bench.bm25_exact`` checks ids and
scores against exhaustive Whoosh scoring.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.util.numeric import byte_to_length

from hsearch.index import bm25_sidecar, whoosh_compat
from hsearch.index.bm25_sidecar import Sidecar, SidecarError
from hsearch.index.collection import CollectionStats

from .bm25_kernels import AddTerm, compiled_holding, numpy_add_term
from .maxscore import WINDOW, compiled_maxscore

# Whoosh's field length of each length byte; 0 means "no length", which its BM25F scorer reads as 1
LENGTH_OF_BYTE = np.array([1.0] + [float(byte_to_length(b)) for b in range(1, 256)], dtype=np.float64)
FILTER_CACHE = 32
ID_SET_CACHE = 4
_NOTHING = np.zeros(0, dtype=bool)
#: Where MaxScore's candidates rank faster than one score per document (:func:`use_candidates`): segments of
#: at least this many documents, by whether the compiled walk or numpy's runs ...
CANDIDATES_FROM_SIZE = {True: 200_000, False: 500_000}
#: ... and queries whose posting lists hold at least this many postings per document of the segment.
CANDIDATES_FROM_SHARE = {True: 0.0, False: 0.5}
#: "dense" or "candidates" forces that path whatever the sizes (benchmarks and tests compare them); None: measured rule.
PATH: str | None = None
#: Relative slack of MaxScore's decisions, far above the rounding of a sum of a query's terms in another order.
MARGIN = 1e-9
_warned: set[str] = set()


@dataclass
class _Segment:
    """One leaf of the open searcher, with what scoring it needs."""

    searcher: Any      # Whoosh's searcher of this segment
    offset: int        # its first global document number
    size: int          # documents, deleted ones included
    segment_id: str
    sidecar: Sidecar | None
    live: np.ndarray | None  # True for documents not deleted; None when none are


class ArrayScorer:
    """Scores queries for one open Whoosh searcher; make a new one when the searcher is refreshed."""

    def __init__(self, fulltext_dir: Path, searcher: Any, previous: ArrayScorer | None = None,
                 add_term: AddTerm | None = None) -> None:
        weighting = searcher.weighting
        self._add = add_term or (previous._add if previous else numpy_add_term)
        # the compiled MaxScore walk goes with the compiled kernel (engines that answer many queries)
        self._daat = compiled_maxscore() if self._add is not numpy_add_term else None
        self._holding = compiled_holding() if self._add is not numpy_add_term else None
        if not isinstance(weighting, scoring.BM25F):
            raise TypeError("the array scorer computes BM25F only")
        self._searcher = searcher
        self._weighting = weighting
        self._dir = Path(fulltext_dir)
        fields = bm25_sidecar.scorable_fields(searcher.schema)
        kept = {s.segment_id: s.sidecar for s in previous._segments} if previous else {}
        self._norms: dict[tuple[str, str, float], np.ndarray] = previous._norms if previous else {}
        self._filters: OrderedDict[Any, np.ndarray] = OrderedDict()
        self._averages: dict[str, float] = {}
        self._tables: dict[tuple[str, float], np.ndarray] = {}
        self._id_sets: dict[Any, frozenset[str]] = {}
        self._id_lock = threading.Lock()
        self._segments: list[_Segment] = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if reader.segment() is None:  # an empty index: nothing to score
                continue
            segment_id = reader.segment().segment_id()
            size = reader.doc_count_all()
            sidecar = kept.get(segment_id)
            if sidecar is None or sidecar.doc_count != size:
                try:
                    sidecar = bm25_sidecar.open_sidecar(self._dir, segment_id, size, fields)
                except SidecarError as exc:
                    sidecar = None
                    if segment_id not in _warned:
                        _warned.add(segment_id)
                        bm25_sidecar.warn(f"{exc}; scoring segment {segment_id} ({size:,} articles) with Whoosh's "
                                          "slower path; repairing the index (verify with repair) rebuilds it")
            live = None
            if reader.has_deletions():
                live = np.ones(size, dtype=bool)
                live[np.fromiter(reader.deleted_docs_set, dtype=np.int64)] = False
            self._segments.append(_Segment(sub, offset, size, segment_id, sidecar, live))
        self._context = searcher.context(weighting=weighting)

    @property
    def complete(self) -> bool:
        """Whether every segment has a usable sidecar."""
        return all(s.sidecar is not None for s in self._segments)

    # -- public ------------------------------------------------------------
    def search(self, q: wq.Query, limit: int, filter_query: wq.Query | None = None,
               stats: CollectionStats | None = None) -> list[tuple[str, float]]:
        """``(id, score)`` best first: the first ``limit`` of what Whoosh's exhaustive search returns.

        ``stats`` scores with a collection's statistics instead of this index's own.
        """
        found_scores, found_docs, owners = [], [], []
        floor = -np.inf  # the limit-th best score of the segments before: a later one's match below it cannot enter
        for seg in self._segments:
            allowed = self._allowed(seg, filter_query)
            if seg.sidecar is None:
                scores, matched = self._whoosh(q, seg, stats)
                local = top_k(scores, matched, allowed, limit)
                found_scores.append(scores[local])
            else:
                local, best = self._top(q, seg, stats, allowed, limit, floor)
                found_scores.append(best)
            held = np.concatenate(found_scores)
            if len(held) >= limit:  # (a tie with it loses too: the earlier segment's number is lower)
                floor = float(-np.partition(-held, limit - 1)[limit - 1])
            found_docs.append(local)
            owners.append(np.full(len(local), len(owners), dtype=np.int64))
        if not found_scores:
            return []
        scores = np.concatenate(found_scores)
        local = np.concatenate(found_docs)
        owner = np.concatenate(owners)
        offsets = np.array([s.offset for s in self._segments], dtype=np.int64)
        order = np.lexsort((offsets[owner] + local, -scores))[:limit]
        hits = []
        for i in order:
            seg = self._segments[int(owner[i])]
            doc = int(local[i])
            if seg.sidecar is not None:
                article_id = seg.sidecar.article_ids(np.array([doc]))[0]
            else:
                article_id = seg.searcher.stored_fields(doc)["id"]
            hits.append((article_id, float(scores[i])))
        return hits

    def ids_matching(self, filter_query: wq.Query) -> frozenset[str]:
        """Every live article id ``filter_query`` lets through, from the cached per-segment masks.

        Ids come from the sidecars' document-number table (no stored field is
        decoded); a segment without a sidecar reads its stored ids.  The last
        :data:`ID_SET_CACHE` sets are kept (a filter is usually asked again).
        """
        key = _hashable(filter_query)
        held = self._id_sets.get(key) if key is not None else None
        if held is not None:
            return held
        found: set[str] = set()
        for seg in self._segments:
            mask = self._allowed(seg, filter_query)
            docs = np.flatnonzero(mask) if mask is not None else np.arange(seg.size)
            if seg.sidecar is not None:
                found.update(seg.sidecar.article_ids(docs))
            else:
                found.update(seg.searcher.stored_fields(int(d))["id"] for d in docs)
        result = frozenset(found)
        if key is not None:
            with self._id_lock:  # the server's threads share the scorer
                self._id_sets[key] = result
                while len(self._id_sets) > ID_SET_CACHE:
                    self._id_sets.pop(next(iter(self._id_sets)))
        return result

    def numbers_of(self, ids: Sequence[str]) -> dict[str, int] | None:
        """Each live article's global document number, by id (ids not in the index are left out).

        Read from the sidecars' id hashes (one vectorized search per
        segment); None when a segment has no sidecar (ask Whoosh then).
        """
        if any(seg.sidecar is None for seg in self._segments):
            return None
        ids = list(ids)
        found: dict[str, int] = {}
        for seg in self._segments:
            assert seg.sidecar is not None  # checked above
            positions, docs = seg.sidecar.documents_of(ids)
            if seg.live is not None:
                alive = seg.live[docs]
                positions, docs = positions[alive], docs[alive]
            for position, doc in zip(positions.tolist(), docs.tolist()):
                found[ids[position]] = seg.offset + doc
        return found

    def doc_frequency(self, fieldname: str, text: str) -> int | None:
        """Whoosh's document frequency of a term (``MultiReader.doc_frequency``: deleted documents included),
        summed from the sidecars' record of each segment's term info; None when a segment has no sidecar of
        that field (ask Whoosh then)."""
        if any(seg.sidecar is None or fieldname not in seg.sidecar.fields for seg in self._segments):
            return None
        term = self._searcher.schema[fieldname].to_bytes(text)
        return sum(seg.sidecar.fields[fieldname].doc_frequency(term) for seg in self._segments)  # type: ignore[union-attr]

    def holders(self, fields: Sequence[str], terms: Sequence[str], numbers: np.ndarray) -> dict[str, np.ndarray]:
        """Which of ``numbers`` (global document numbers, ascending) hold each of ``terms`` in any of ``fields``.

        One boolean array per term, aligned with ``numbers``; read from the
        sidecars' postings with a binary search per document (no scoring), or
        from Whoosh's postings in a segment without a sidecar.
        """
        held = {term: np.zeros(len(numbers), dtype=bool) for term in terms}
        for seg in self._segments:
            lo, hi = (int(at) for at in np.searchsorted(numbers, [seg.offset, seg.offset + seg.size]))
            if lo == hi:
                continue
            local = numbers[lo:hi] - seg.offset
            for fieldname in fields:
                if self._holding is not None and seg.sidecar is not None and fieldname in seg.sidecar.fields:
                    # compiled: every term's postings searched in one call
                    field = seg.sidecar.fields[fieldname]
                    to_bytes = self._searcher.schema[fieldname].to_bytes
                    ordinals = [field.find(to_bytes(term)) for term in terms]
                    starts = np.array([field.starts[o] if o >= 0 else 0 for o in ordinals], dtype=np.int64)
                    ends = np.array([field.starts[o + 1] if o >= 0 else 0 for o in ordinals], dtype=np.int64)
                    holds = self._holding(field.docs, starts, ends, local)
                    for term, row in zip(terms, holds):
                        held[term][lo:hi] |= row
                    continue
                for term in terms:
                    docs = self._documents_holding(seg, fieldname, term)
                    if docs is None or not len(docs):
                        continue
                    at = np.minimum(np.searchsorted(docs, local), len(docs) - 1)
                    held[term][lo:hi] |= docs[at] == local
        return held

    def _documents_holding(self, seg: _Segment, fieldname: str, term: str) -> np.ndarray | None:
        """The ascending document numbers of this segment whose ``fieldname`` holds ``term``."""
        if fieldname not in self._searcher.schema:
            return None
        if seg.sidecar is not None and fieldname in seg.sidecar.fields:
            found = self._term_postings(wq.Term(fieldname, term), seg)
            return found[0] if found is not None else None
        reader = seg.searcher.reader()
        if (fieldname, term) not in reader:
            return None
        return np.fromiter(reader.postings(fieldname, term).all_ids(), dtype=np.int64)

    # -- masks ---------------------------------------------------------------
    def _allowed(self, seg: _Segment, filter_query: wq.Query | None) -> np.ndarray | None:
        if filter_query is None:
            return seg.live
        mask = self._filter_mask(seg, filter_query)
        return mask if seg.live is None else mask & seg.live

    def _filter_mask(self, seg: _Segment, filter_query: wq.Query) -> np.ndarray:
        key = _hashable((seg.segment_id, filter_query))
        if key is not None and key in self._filters:
            self._filters.move_to_end(key)
            return self._filters[key]
        mask = self._mask_of(seg, filter_query)
        if key is not None:
            self._filters[key] = mask
            while len(self._filters) > FILTER_CACHE:
                self._filters.popitem(last=False)
        return mask

    def _mask_of(self, seg: _Segment, q: wq.Query) -> np.ndarray:
        """The documents of this segment ``q`` matches, as a mask, with no stored field decoded.

        ``And``/``Or`` combine their parts' masks; a date (numeric) range
        compares the sidecar's column of that field; a term reads its
        postings in blocks; anything else asks Whoosh for its documents.
        """
        kind = type(q)
        if kind in (wq.And, wq.Or) and q.subqueries:
            parts = [self._mask_of(seg, sub) for sub in q.subqueries]
            return np.logical_and.reduce(parts) if kind is wq.And else np.logical_or.reduce(parts)
        mask = np.zeros(seg.size, dtype=bool)
        span = whoosh_compat.numeric_range_keys(self._searcher.schema, q)
        if span is not None and seg.sidecar is not None and span[0] in seg.sidecar.numeric:
            return seg.sidecar.numeric[span[0]].between(span[1], span[2])
        reader = seg.searcher.reader()
        if kind is wq.Term and q.fieldname in self._searcher.schema:
            try:
                text = self._searcher.schema[q.fieldname].to_bytes(q.text)
            except ValueError:
                text = None
            if text is not None:
                if (q.fieldname, text) in reader:
                    for docs, _ in whoosh_compat.block_postings(whoosh_compat.unwrap(reader.postings(q.fieldname, text))):
                        mask[docs] = True
                return mask
        mask[np.fromiter(q.docs(seg.searcher), dtype=np.int64)] = True
        return mask

    # -- top k without a score per document ----------------------------------
    def _top(self, q: wq.Query, seg: _Segment, stats: CollectionStats | None, allowed: np.ndarray | None,
             k: int, floor: float = -np.inf) -> tuple[np.ndarray, np.ndarray]:
        """``(local document numbers, scores)`` of the segment's best ``k`` allowed matches, exactly (the
        candidate path may leave out those scoring below ``floor``, a score k matches elsewhere reach).

        Either every document gets a score (the dense path: one array the
        size of the segment), or the query is scored only at its *candidates*
        (:meth:`_candidates`, MaxScore: a sorted superset of the top k),
        through the same evaluation restricted to them (:meth:`_eval` with
        ``at``), so every score is the dense path's to the bit.  Which one is
        :func:`use_candidates`'s choice.
        """
        memo: dict[tuple[str, Any], Any] = {}
        at = self._candidates(q, seg, stats, allowed, k, memo, floor)
        if at is None:
            scores, matched = self._eval(q, seg, stats, memo=memo)
            local = top_k(scores, matched, allowed, k)
            return local, scores[local]
        scores, matched = self._eval(q, seg, stats, at, memo)
        picked = top_k(scores, matched, None if allowed is None else allowed[at], k)
        return at[picked], scores[picked]

    def _candidates(self, q: wq.Query, seg: _Segment, stats: CollectionStats | None,
                    allowed: np.ndarray | None, k: int, memo: dict[tuple[str, Any], Any],
                    floor: float = -np.inf) -> np.ndarray | None:
        """Sorted local document numbers that hold every allowed top-``k`` match scoring at least ``floor``;
        None: score densely."""
        if PATH == "dense" or (PATH is None and seg.size < min(CANDIDATES_FROM_SIZE.values())):
            return None
        leaves = self._sum_of_terms(q, seg, 1.0)
        if leaves is None:  # operators, phrases: one score per document (measured faster, see use_candidates)
            return None
        postings = [(self._term_postings(term, seg, memo), factor, term) for term, factor in leaves]
        postings = [(found, factor, term) for found, factor, term in postings if found is not None]
        if PATH is None and not use_candidates(seg.size, sum(len(found[0]) for found, _, _ in postings),
                                               compiled=self._daat is not None):
            return None
        return self._maxscore(postings, seg, stats, allowed, k, memo, floor)

    def _sum_of_terms(self, q: wq.Query, seg: _Segment, factor: float) -> list[tuple[wq.Term, float]] | None:
        """The query's terms with the product of the boosts above each, when it is a plain sum of terms
        (``Or``s of sidecar terms, positive boosts); None for anything else."""
        kind = type(q)
        if kind is wq.Term:
            return [(q, factor * q.boost)] if q.fieldname in seg.sidecar.fields and q.boost > 0 else None  # type: ignore[union-attr]
        if kind is wq.Or and not q.minmatch and not q.scale and q.subqueries and q.boost > 0:
            scale = factor * q.boost if len(q.subqueries) > 1 else factor  # a lone child is matched without the boost
            found: list[tuple[wq.Term, float]] = []
            for sub in q.subqueries:
                part = self._sum_of_terms(sub, seg, scale)
                if part is None:
                    return None
                found += part
            return found
        return None

    def _term_postings(self, q: wq.Term, seg: _Segment,
                       memo: dict[tuple[str, Any], Any] | None = None) -> tuple[np.ndarray, np.ndarray, int] | None:
        """``(documents, weights, term ordinal)`` of a term in this segment, or None (``memo``: one segment's
        look-ups during one query)."""
        key = ("postings", q.fieldname, q.text)
        if memo is not None and key in memo:
            return memo[key]  # type: ignore[no-any-return]
        found = None
        try:
            text = self._searcher.schema[q.fieldname].to_bytes(q.text)
        except ValueError:
            text = None
        if text is not None:
            field = seg.sidecar.fields[q.fieldname]  # type: ignore[union-attr]
            ordinal = field.find(text)
            if ordinal >= 0:
                docs, weights = field.postings_at(ordinal)
                found = (docs, weights, ordinal) if len(docs) else None
        if memo is not None:
            memo[key] = found
        return found

    def _maxscore(self, postings: list[tuple[tuple[np.ndarray, np.ndarray, int], float, wq.Term]], seg: _Segment,
                  stats: CollectionStats | None, allowed: np.ndarray | None, k: int,
                  memo: dict[tuple[str, Any], Any], floor: float = -np.inf) -> np.ndarray:
        """MaxScore over a sum of terms: the candidates that can still reach the top ``k`` (and ``floor``).

        Each term's best possible contribution (its bound: idf, its largest
        weight and its documents' shortest field length, from the sidecar) is
        known before its postings are read.  Terms are merged best bound
        first into sorted candidate arrays with partial scores; once the
        bounds of the terms left sum to less than the k-th best partial score
        (a lower bound of the final k-th score), a document that only they
        hold cannot enter the top k, so they are only looked up at the
        candidates, and a candidate whose partial score plus the bounds left
        stays below that k-th score is dropped.  Partial sums are only for
        these decisions (with a relative margin of :data:`MARGIN` for the
        order of additions); the candidates are then scored exactly.
        """
        k1 = self._weighting.K1
        terms = []
        for (docs, weights, ordinal), factor, term in postings:
            field = seg.sidecar.fields[term.fieldname]  # type: ignore[union-attr]
            idf = self._idf(term, stats, memo)
            norm = self._norm(seg, term.fieldname, stats)
            # the best of the term's impacts (weight, length) is its best score here
            impact_weights, impact_lengths = field.impacts(ordinal)
            tf = impact_weights.astype(np.float64)
            top = float(((tf * (k1 + 1)) / (tf + self._length_norms(term.fieldname, stats)[impact_lengths])).max())
            bound = factor * idf * top * (1 + MARGIN)
            terms.append((bound, docs, weights, norm, idf * factor, term.fieldname, ordinal))
        if not terms:
            return np.zeros(0, dtype=np.int64)
        if self._daat is not None:  # compiled: document at a time
            return self._maxscore_daat(sorted(terms, key=lambda t: t[0]), seg, stats, allowed, k, floor)
        terms.sort(key=lambda t: -t[0])
        rest = np.cumsum([t[0] for t in terms][::-1])[::-1].tolist() + [0.0]
        cands = np.zeros(0, dtype=np.int64)
        partial = np.zeros(0)
        theta = floor * (1 - MARGIN)
        i = 0
        while i < len(terms):  # essential terms: every document they hold is a candidate
            if rest[i] < theta:
                break
            _, docs, weights, norm, scale, _, _ = terms[i]
            docs = docs.astype(np.int64)
            if allowed is not None:
                keep = allowed[docs]
                docs, weights = docs[keep], weights[keep]
            tf = weights.astype(np.float64)
            parts = scale * ((tf * (k1 + 1)) / (tf + norm[docs]))
            cands, partial = _merge(cands, partial, docs, parts)
            if len(cands) >= k:
                theta = max(theta, _kth(partial, k) * (1 - MARGIN))
            i += 1
        for j in range(i, len(terms)):  # the rest: looked up at the candidates only
            keep = partial + rest[j] >= theta
            cands, partial = cands[keep], partial[keep]
            _, docs, weights, norm, scale, _, _ = terms[j]
            pos = np.searchsorted(docs, cands)
            pos[pos >= len(docs)] = 0
            hit = np.flatnonzero(docs[pos] == cands)
            tf = weights[pos[hit]].astype(np.float64)
            partial[hit] += scale * ((tf * (k1 + 1)) / (tf + norm[cands[hit]]))
            if len(cands) >= k:
                theta = max(theta, _kth(partial, k) * (1 - MARGIN))
        if i < len(terms):
            cands = cands[partial >= theta]
        return cands

    def _maxscore_daat(self, terms: list[Any], seg: _Segment, stats: CollectionStats | None,
                       allowed: np.ndarray | None, k: int, floor: float = -np.inf) -> np.ndarray:
        """:meth:`_maxscore` by the compiled kernel (:mod:`hsearch.search.maxscore`), terms smallest bound first.

        The kernel reads the postings of every scorable field where they lie in the sidecar (each term by
        its slice); where the fields' weights differ in dtype (a tuple holds one), the terms' postings are
        gathered into one array first, their weights as ``float32``.
        """
        fields = seg.sidecar.fields  # type: ignore[union-attr]
        names = tuple(fields)
        columns = [fields[name] for name in names]
        parts = [fields[t[5]] for t in terms]
        starts = np.array([int(f.starts[t[6]]) for f, t in zip(parts, terms)], dtype=np.int64)
        ends = np.array([int(f.starts[t[6] + 1]) for f, t in zip(parts, terms)], dtype=np.int64)
        if len({f.weights.dtype for f in columns}) == 1:
            docs = tuple(f.docs for f in columns)
            weights = tuple(f.weights for f in columns)
        else:
            docs = (np.concatenate([t[1] for t in terms]),) * len(names)
            weights = (np.concatenate([t[2].astype(np.float32) for t in terms]),) * len(names)
            ends = np.cumsum(ends - starts)
            starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
        return self._daat(docs, weights, np.array([names.index(t[5]) for t in terms], dtype=np.int64),  # type: ignore[misc]
                          starts, ends, tuple(f.length_bytes for f in columns),
                          np.stack([self._length_norms(name, stats) for name in names]), np.array([t[4] for t in terms]),
                          np.array([t[0] for t in terms]), allowed if allowed is not None else _NOTHING, k,
                          float(self._weighting.K1), MARGIN, floor, WINDOW)

    # -- evaluation --------------------------------------------------------
    def _eval(self, q: wq.Query, seg: _Segment, stats: CollectionStats | None = None,
              at: np.ndarray | None = None,
              memo: dict[tuple[str, Any], Any] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(scores, matched) of ``q`` on one segment; ``matched`` None means "score > 0".

        Dense (one entry per document) when ``at`` is None; else one entry per
        document of ``at`` (sorted local numbers), with the same values.
        """
        size = seg.size if at is None else len(at)
        kind = type(q)
        if q is wq.NullQuery or kind is wq.NullQuery.__class__ or (kind in (wq.Or, wq.And) and not q.subqueries):
            return np.zeros(size), np.zeros(size, dtype=bool)
        if kind in (wq.Or, wq.And) and len(q.subqueries) == 1:  # Whoosh matches the child alone (no boost)
            return self._eval(q.subqueries[0], seg, stats, at, memo)
        if kind is wq.Term and q.fieldname in seg.sidecar.fields:  # type: ignore[union-attr]
            scores = np.zeros(size)
            self._add_term(scores, q, seg, stats, at, memo)
            return scores, None
        if kind is wq.Or and not q.minmatch and not q.scale:
            scores = np.zeros(size)
            matched: np.ndarray | None = None
            for sub in q.subqueries:
                if type(sub) is wq.Term and sub.fieldname in seg.sidecar.fields:  # type: ignore[union-attr]
                    docs = self._add_term(scores, sub, seg, stats, at, memo)
                    if matched is not None and docs is not None:
                        matched[docs] = True
                    continue
                s, m = self._eval(sub, seg, stats, at, memo)
                if matched is None:
                    matched = scores > 0
                m = _mask(s, m)
                scores[m] += s[m]
                matched |= m
            return _boosted(scores, q.boost), matched
        if kind is wq.And:
            parts = [self._eval(sub, seg, stats, at, memo) for sub in q.subqueries]
            matched = np.logical_and.reduce([_mask(s, m) for s, m in parts])
            total = parts[0][0].copy()
            for s, _ in parts[1:]:
                total += s
            return _boosted(np.where(matched, total, 0.0), q.boost), matched
        if kind is wq.AndMaybe:
            (sa, ma), (sb, mb) = self._eval(q.a, seg, stats, at, memo), self._eval(q.b, seg, stats, at, memo)
            matched = _mask(sa, ma)
            return np.where(matched, sa + np.where(_mask(sb, mb), sb, 0.0), 0.0), matched
        if kind in (wq.AndNot, wq.Require):
            (sa, ma), (sb, mb) = self._eval(q.a, seg, stats, at, memo), self._eval(q.b, seg, stats, at, memo)
            other = _mask(sb, mb)
            matched = _mask(sa, ma) & (~other if kind is wq.AndNot else other)
            return np.where(matched, sa, 0.0), matched
        if kind is wq.Not:
            s, m = self._eval(q.query, seg, stats, at, memo)
            matched = ~_mask(s, m)
            if seg.live is not None:
                matched &= seg.live if at is None else seg.live[at]
            return matched.astype(np.float64), matched  # Whoosh's InverseMatcher: 1.0, whatever the boost
        scores, matched = self._whoosh(q, seg, stats)
        return (scores, matched) if at is None else (scores[at], matched[at])

    def _add_term(self, scores: np.ndarray, q: wq.Term, seg: _Segment, stats: CollectionStats | None = None,
                  at: np.ndarray | None = None, memo: dict[tuple[str, Any], Any] | None = None) -> np.ndarray | None:
        """Add a term's BM25F scores into ``scores`` (per document, or per entry of ``at``); returns the
        entries it added to (None if the term is absent)."""
        found = self._term_postings(q, seg, memo)
        if found is None:
            return None
        docs, weights, _ = found
        norm = self._norm(seg, q.fieldname, stats)
        if at is not None:  # the postings of the documents asked for, by their place in ``at``
            pos = np.searchsorted(docs, at)
            pos[pos >= len(docs)] = 0
            hit = np.flatnonzero(docs[pos] == at)
            docs, weights, norm = hit, weights[pos[hit]], norm[at]
        self._add(scores, docs, weights, norm, self._idf(q, stats, memo), self._weighting.K1, q.boost)
        return docs

    def _idf(self, q: wq.Term, stats: CollectionStats | None, memo: dict[tuple[str, Any], Any] | None = None) -> float:
        key = ("idf", q.fieldname, q.text)
        if memo is not None and key in memo:
            return memo[key]  # type: ignore[no-any-return]
        text = self._searcher.schema[q.fieldname].to_bytes(q.text)
        idf = stats.idf(q.fieldname, text) if stats is not None else self._searcher.idf(q.fieldname, text)
        if memo is not None:
            memo[key] = idf
        return idf

    def _average(self, fieldname: str, stats: CollectionStats | None) -> float:
        """The average field length BM25F divides by: the collection's, or this searcher's (computed once)."""
        if stats is not None:
            return stats.avg_field_length(fieldname)  # type: ignore[no-any-return]
        average = self._averages.get(fieldname)
        if average is None:
            average = self._averages[fieldname] = self._searcher.avg_field_length(fieldname)
        return average

    def _length_norms(self, fieldname: str, stats: CollectionStats | None) -> np.ndarray:
        """:meth:`_norm` of each field-length byte (256 values; the same operations, so the same floats)."""
        avgfl = self._average(fieldname, stats) or 1
        key = (fieldname, avgfl)
        table = self._tables.get(key)
        if table is None:
            b = whoosh_compat.field_b(self._weighting, fieldname)
            table = self._weighting.K1 * ((1 - b) + b * LENGTH_OF_BYTE / avgfl)
            self._tables = {k: v for k, v in self._tables.items() if k[0] != fieldname}  # older averages
            self._tables[key] = table
        return table

    def _norm(self, seg: _Segment, fieldname: str, stats: CollectionStats | None = None) -> np.ndarray:
        """``K1 * ((1 - B) + B * fl / avgfl)`` of every document: the length part of Whoosh's bm25()."""
        average = self._average(fieldname, stats)
        avgfl = average or 1
        key = (seg.segment_id, fieldname, avgfl)
        norm = self._norms.get(key)
        if norm is None:
            b = whoosh_compat.field_b(self._weighting, fieldname)
            k1 = self._weighting.K1
            fl = LENGTH_OF_BYTE[seg.sidecar.fields[fieldname].length_bytes]  # type: ignore[union-attr]
            norm = k1 * ((1 - b) + b * fl / avgfl)
            self._norms = {k: v for k, v in self._norms.items() if k[:2] != key[:2]}  # older averages
            self._norms[key] = norm
        return norm

    def _whoosh(self, q: wq.Query, seg: _Segment,
                stats: CollectionStats | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Whoosh's own matcher for ``q`` on this segment, every match with its score."""
        scores = np.zeros(seg.size)
        matched = np.zeros(seg.size, dtype=bool)
        context = self._context if stats is None else \
            self._searcher.context(weighting=CollectionWeighting(self._weighting, stats))
        matcher = q.matcher(seg.searcher, context)
        docs, values = [], []
        while matcher.is_active():
            docs.append(matcher.id())
            values.append(matcher.score())
            matcher.next()
        if docs:
            at = np.asarray(docs, dtype=np.int64)
            scores[at] = values
            matched[at] = True
        return scores, matched


def use_candidates(size: int, postings: int, *, compiled: bool) -> bool:
    """Whether a sum of terms with ``postings`` postings in a segment of ``size`` documents is ranked at its
    candidates (MaxScore) rather than with a score for every document: the one place the choice is made.

    Measured per segment and query, medians by postings per document (``python -m bench.bm25_paths``,
    bench/results/bm25-candidates; bench/notes/issue-23.md, "BM25 and filters"): one score per document
    is faster in segments of 50k documents, whatever the query (1.4-2.3x: the array is small, MaxScore's
    bookkeeping per term costs more).  The numpy walk: in segments replicated to 500k documents, from 0.5
    postings per document the candidates take 0.65-0.74x of the dense time, and about the same or more
    below; at 1M 0.76-0.94x from 0.5.  The compiled walk, in windows since (bench/notes/issue-23.md, "BM25
    at 1M"): in the 1M bench index's two real 500k segments every query of the bench ranks faster at its
    candidates (``hsearch bm25`` p50 4.25 ms against 13.59 with every segment dense and 6.82 with the light
    queries dense; the three paths in turn per query, 300 queries, 0 rankings differ), and in the 100k index's 50k segments slower (1.06 ms against 0.88); segments between
    200k and 500k were not measured again.  Candidates' peak memory is 3-80x lower.  Operators and phrases
    are always scored densely: their candidate sets, merged with numpy, measured 1.6-40x slower than the
    dense array at 500k.
    """
    return size >= CANDIDATES_FROM_SIZE[compiled] and postings >= CANDIDATES_FROM_SHARE[compiled] * size


def _hashable(key: Any) -> Any:
    """``key`` if it can key a cache (Whoosh queries hash by value), else None."""
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _merge(cands: np.ndarray, partial: np.ndarray, docs: np.ndarray,
           parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted candidates with partial scores, and a term's (sorted) documents with their parts, merged."""
    if not len(cands):
        return docs, parts.copy()
    pos = np.searchsorted(cands, docs)
    inside = pos < len(cands)
    held = np.zeros(len(docs), dtype=bool)
    held[inside] = cands[pos[inside]] == docs[inside]
    partial = partial.copy()
    partial[pos[held]] += parts[held]  # a posting list holds each document once
    new = np.flatnonzero(~held)
    if not len(new):
        return cands, partial
    at = pos[new] + np.arange(len(new))  # where the new documents land in the merged arrays
    old = np.ones(len(cands) + len(new), dtype=bool)
    old[at] = False
    merged_docs = np.empty(len(old), dtype=cands.dtype)
    merged_docs[at], merged_docs[old] = docs[new], cands
    merged = np.empty(len(old))
    merged[at], merged[old] = parts[new], partial
    return merged_docs, merged


def _kth(values: np.ndarray, k: int) -> float:
    """The k-th largest of ``values`` (there are at least k)."""
    return float(-np.partition(-values, k - 1)[k - 1])


def _mask(scores: np.ndarray, matched: np.ndarray | None) -> np.ndarray:
    return scores > 0 if matched is None else matched


def _boosted(scores: np.ndarray, boost: float) -> np.ndarray:
    if boost != 1.0:
        scores *= boost
    return scores


def top_k(scores: np.ndarray, matched: np.ndarray | None, allowed: np.ndarray | None, k: int) -> np.ndarray:
    """Local document numbers of the best ``k`` (score descending, then document number), exactly.

    Candidates are the matching documents (``np.flatnonzero`` of a mask); a partition of
    their negated scores finds the k-th best, and every candidate at least as
    good is sorted, so ties at the cut are broken by document number as
    Whoosh breaks them.
    """
    # a bool mask: np.flatnonzero of a float array was 2x (100k) to 6x (1M documents) slower
    candidates = np.flatnonzero(scores > 0 if matched is None else matched)
    if allowed is not None:
        candidates = candidates[allowed[candidates]]
    values = scores[candidates]
    if len(candidates) > k:
        kth = -np.partition(-values, k - 1)[k - 1]
        keep = values >= kth
        candidates, values = candidates[keep], values[keep]
    return candidates[np.lexsort((candidates, -values))[:k]]


class CollectionWeighting(scoring.WeightingModel):
    """Whoosh's own weighting, with a collection's idf and average field lengths (phrases, unsidecarred segments)."""

    def __init__(self, base: scoring.WeightingModel, stats: CollectionStats) -> None:
        self._base = base
        self._stats = stats

    def supports_block_quality(self) -> bool:
        return False

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        scorer = self._base.scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            scorer.idf = self._stats.idf(fieldname, text)
            scorer.avgfl = self._stats.avg_field_length(fieldname) or 1
        return scorer
