"""The vector side: passage embeddings, keyed by article id, searched exactly or through FAISS.

A store on disk is one *generation*: a folder of memory-mappable files that is
written whole under a temporary name and then renamed, never changed after
(:mod:`hsearch.index.vector_segments` decides which generation is current).

* ``vectors.npy`` -- float32 rows, one per passage, the record of every vector;
* ``pids.npy`` -- each row's passage id, ascending (ids are never reused);
* ``ids.npy``, ``digests.npy``, ``starts.npy`` -- per article, in row order: its
  id, the content digest of the text its vectors embed, and its first row (an
  article's rows are contiguous);
* ``ann.faiss`` -- beyond exact search only: FAISS's index, ids = pids: 4-bit
  product-quantized codes read with FAISS's fast scan (``pq4``: 96 bytes a
  passage at 384 dims instead of 1,536, all scanned; ``ivfpq4``: the same codes
  in IVF lists, a share of them scanned), or 8-bit scalar-quantized codes (384
  bytes a passage) all scanned (``sq8``), or IVF or HNSW over those;
  :func:`~hsearch.index.segment_policy.segment_ann` picks the kind by size;
* ``meta.json`` -- written last: dims, the kind of search, and every file's size;
* ``rows8.bin`` -- fast-scan kinds only: each row scalar-quantized to 8 bits,
  derived from ``vectors.npy`` (:mod:`hsearch.index.rerank_rows`; written with
  the generation, or added to an older one at the next commit or repair).

Opening maps the files and reads nothing else but fast-scan codes (FAISS keeps
them in SIMD-aligned memory: 96 bytes a passage are read), so a query on a
million passages starts almost as fast as one on a thousand, and memory holds
only those codes and the pages a search touches.  Exact search (``flat``) is a
matrix-vector product over the mapped rows; beyond it FAISS gives a shortlist,
re-ranked by cosine: from the 8-bit rows where the segment has them (a quarter
of the pages: a warm process at a million articles holds those, not 5.4 GB of
float rows; each cosine within :meth:`~hsearch.index.rerank_rows.RerankRows.error_bound`
of the exact one), else from the float rows (exact).  Filters narrower than a
shortlist, and exact segments, are scored from the float rows.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .openmp import FAISS as faiss  # loaded at its first use, after OpenMP's wait policy is set

from . import rerank_rows
from .atomic import TEMP_SUFFIX
from .errors import IndexDamagedError, Remedy
from .layout import GENERATION_ANN_NAME as ANN_NAME
from .layout import GENERATION_ARRAYS as ARRAYS
from .layout import GENERATION_META_NAME as META_NAME
from .segment_policy import APPROXIMATE, FAST_SCAN, IVF_MIN_TRAIN, segment_ann  # noqa: F401  (re-exported)

GENERATION_FORMAT = 1
HNSW_M = 32
RERANK_DEPTH = 4  # an approximate search shortlists this many times the passages it needs ...
SHORTLIST = 256  # ... and at least this many (bench/results/ann_recall.md: recall against exact)
#: Fast-scan kinds: dimensions per 4-bit sub-quantizer (2: 192 sub-quantizers, 96 bytes a passage at 384 dims)
#: and the passages their shortlist re-ranks with exact cosines: 1,024 up to a segment of FAST_SCAN_MEASURED
#: passages, growing with the square root of the segment beyond.  bench/results/ann_fast_scan.md, on real
#: vectors: the share of the exact top 10 missed grows about as n^0.85 at a fixed shortlist and falls about
#: as its square, so a shortlist growing as sqrt(n) keeps the miss rate of 1,024 at 37k (Recall@10 0.990,
#: 0.999 counting ties); the same as sq8's on those vectors.
PQ_DIMS = 2
FAST_SCAN_SHORTLIST = 1024
FAST_SCAN_MEASURED = 37_170
IVF_FAST_SCAN_SHARE = 4  # an ``ivfpq4`` search scans this share (1/n) of its lists
FILTERED_EXACT_SHARE = 4  # a filter whose articles' rows are fewer than this many shortlists is searched exactly
RERANK_SLICE = 1024  # rows per matrix-vector product of a re-rank (one thread below OpenBLAS's threshold)
PQ_TRAIN = 65_536  # training sample of the fast-scan codebooks (FAISS uses 4,096 points per sub-quantizer)
FAST_SCAN_KERNEL = 15  # FAISS IndexFastScan.implem for pq4 segments (_choose_fast_scan_kernel)
RESCORE_MARGIN = 16  # an 8-bit re-rank scores exactly the rows of the k best articles and of k (at most this
#                     many) more, whose 8-bit rank may be off by a few
REBUILD_DEAD_SHARE = 0.25  # rebuild the ANN index when this share of it is removed passages


@dataclass(frozen=True)
class VectorHit:
    """An article's best passage for a query."""

    article_id: str
    score: float


class Allowed:
    """A filter's article ids, made once per filter and shared by every segment's search.

    Holds the ids sorted (each id at its own width: never cut to a segment's)
    and, per segment, which of its articles they are: a boolean mask made at
    the filter's first use in that segment and kept, so that a filter asked
    again costs a look-up, as the full-text side's masks do.
    """

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = ids if isinstance(ids, (set, frozenset)) else frozenset(ids)
        self._sorted: np.ndarray | None = None
        self._masks: dict[int, tuple[object, np.ndarray, np.ndarray, int]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def sorted(self) -> np.ndarray:
        if self._sorted is None:
            self._sorted = np.asarray(sorted(self.ids), dtype=str) if self.ids else np.zeros(0, dtype="<U1")
        return self._sorted

    def mask_of(self, owner: object, ids: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, int]:
        """Which of ``ids`` (one segment's article ids, their rows from ``starts``) are allowed, and how many
        rows those articles have; kept per ``owner`` (the segment's store) while its arrays stay the same."""
        kept = self._masks.get(id(owner))
        if kept is not None and kept[0] is owner and kept[1] is ids:  # a writer's store changes its ids
            return kept[2], kept[3]
        wanted = self.sorted
        if not len(wanted) or not len(ids):
            mask = np.zeros(len(ids), dtype=bool)
        else:
            at = np.minimum(np.searchsorted(wanted, ids), len(wanted) - 1)
            mask = wanted[at] == ids
        rows = int(np.diff(starts)[mask].sum()) if len(ids) else 0
        self._masks[id(owner)] = (owner, ids, mask, rows)
        return mask, rows


def as_allowed(allowed: Iterable[str] | Allowed | None) -> Allowed | None:
    return allowed if allowed is None or isinstance(allowed, Allowed) else Allowed(allowed)


class VectorStore:
    """Passage vectors of many articles; an article's rows are replaced as a whole.

    Changes are kept beside the (possibly memory-mapped) arrays and folded in
    when the store is searched or saved, so a writer that replaces a few
    articles of a large store does not copy it at each call.
    """

    def __init__(self, dim: int, *, ann: str = "flat", nprobe: int = 16) -> None:
        self.dim = dim
        self.ann = ann
        self.nprobe = nprobe
        self.ef_search = 64
        self.rerank = True  # approximate search: exact cosines of the shortlist (False: FAISS's quantized scores)
        self.shortlist = shortlist_of(ann, 0)  # passages an approximate search asks FAISS for, at least
        self._vectors = np.zeros((0, dim), np.float32)
        self._pids = np.zeros(0, np.int64)
        self._ids = np.zeros(0, "<U1")
        self._digests = np.zeros(0, "<U1")
        self._starts = np.zeros(1, np.int64)
        self._next_id = 0
        self._index: faiss.Index | None = None  # approximate search only
        self._index_dead = 0  # passages removed since the ANN index was built: still in it, skipped
        self._index_writable = False  # a memory-mapped index is read-only; a writer reads it into memory
        self._rows8: rerank_rows.RerankRows | None = None  # a mapped fast-scan segment's 8-bit re-rank rows ...
        self._floats: rerank_rows.FloatRows | None = None  # ... and its float rows read by position
        # pending changes: base articles removed, articles added (in order)
        self._removed: set[str] = set()
        self._added: dict[str, tuple[np.ndarray, str, np.ndarray]] = {}
        self._digest_of: dict[str, str] | None = None
        self._positions: dict[str, int] | None = None
        self._positions_of: np.ndarray | None = None
        self._ids_sorted = False  # a segment's ids ascending: an id is found by bisection in the mapped file
        # a segment's tombstones: True for each article position deleted by a later commit (never folded:
        # the mapped rows stay as they are, searches skip them)
        self._dead: np.ndarray | None = None
        self._dead_passages = 0

    # -- reading ---------------------------------------------------------
    @property
    def passage_count(self) -> int:
        if not self._removed and not self._added:
            return len(self._pids) - self._dead_passages
        return sum(len(rows) for _, rows in self._base_rows()) + sum(len(v) for v, _, _ in self._added.values())

    def article_ids(self) -> set[str]:
        return set(self.article_digests())

    def article_digests(self) -> dict[str, str]:
        """Which version of each article the vectors were made from (for verify)."""
        if self._digest_of is None:
            dead = self._dead if self._dead is not None else np.zeros(len(self._ids), bool)
            base = {i: d for i, d, gone in zip(self._ids.tolist(), self._digests.tolist(), dead.tolist())
                    if not gone and i not in self._removed}
            base.update((article_id, digest) for article_id, (_, digest, _) in self._added.items())
            self._digest_of = base
        return dict(self._digest_of)

    def digest_of(self, article_id: str) -> str | None:
        """The content digest this article's vectors were made from, or None when it has none."""
        if self._ids_sorted and not self._removed and not self._added:
            position = self.position_of(article_id)
            return None if position is None else str(self._digests[position])
        if self._digest_of is None:
            self.article_digests()
        assert self._digest_of is not None
        return self._digest_of.get(article_id)

    def vectors_of(self, article_id: str) -> np.ndarray:
        """One article's passage vectors (empty when it has none): "more like this" queries with them."""
        added = self._added.get(article_id)
        if added is not None:
            return np.asarray(added[0], dtype=np.float32)
        position = self.position_of(article_id)
        if position is None or article_id in self._removed:
            return np.zeros((0, self.dim), np.float32)
        rows = self._vectors[int(self._starts[position]):int(self._starts[position + 1])]
        return np.asarray(rows, dtype=np.float32)

    def position_of(self, article_id: str) -> int | None:
        """The position of a live saved article in the id array (None: not saved here, or tombstoned).

        A segment's ids are stored ascending, so this is a bisection of the
        mapped file (a few pages), not a table of every id in memory.
        """
        if self._ids_sorted:
            at = int(np.searchsorted(self._ids, article_id))
            position = at if at < len(self._ids) and self._ids[at] == article_id else None
        else:
            position = self._base_positions().get(article_id)
        if position is None or (self._dead is not None and self._dead[position]):
            return None
        return position

    def set_dead(self, positions: np.ndarray) -> None:
        """Mark these article positions tombstoned (a segment opened with its tombstone file)."""
        dead = np.zeros(len(self._ids), bool)
        dead[np.asarray(positions, np.int64)] = True
        self._dead = dead if dead.any() else None
        self._dead_passages = int(np.diff(self._starts)[dead].sum()) if dead.any() else 0
        self._digest_of = None

    def search(self, query: np.ndarray, k: int, allowed: Iterable[str] | Allowed | None = None) -> list[VectorHit]:
        """The ``k`` best articles, each scored by its best passage.

        ``allowed`` restricts hits to those articles (filters).  Exact search
        scores every passage; approximate search re-ranks a shortlist that
        grows until ``k`` allowed articles are found.  Tombstoned articles are skipped, never returned.
        """
        self._fold(tombstones=False)
        total = len(self._pids)
        if total == 0 or k <= 0:
            return []
        allowed = as_allowed(allowed)
        query = np.asarray(query, np.float32).reshape(-1)
        if self._index is None:
            return self._exact(query, k, allowed)
        depth = self._depth(k, allowed)
        if allowed is not None and self._narrow(allowed, depth):
            return self._exact_allowed(query, k, allowed)  # a narrow filter: fewer rows than a shortlist
        return self._approximate(query, k, allowed, depth)

    def search_with_whole(self, query: np.ndarray, k: int, allowed: Iterable[str] | Allowed,
                          whole: int) -> tuple[list[VectorHit], list[VectorHit]]:
        """``search(query, k, allowed)`` and the unfiltered ``search(query, whole)``, from one scan.

        A filtered query still needs the whole index's view (the relevance
        decision's background is never the filtered slice's).  Exact segments
        score every passage once for both; approximate ones re-rank one
        shortlist, as deep as the deeper of the two searches wants, for both,
        and deepen it for the filter alone when it holds too few allowed
        articles.  A filter narrower than a shortlist is searched exactly over
        its own rows, beside a plain unfiltered search.
        """
        self._fold(tombstones=False)
        total = len(self._pids)
        if total == 0 or k <= 0:
            return [], self.search(query, whole)
        allowed = as_allowed(allowed)
        assert allowed is not None  # for the type checker: a filter was given
        query = np.asarray(query, np.float32).reshape(-1)
        if self._index is None:
            per_article = self._exact_per_article(query)
            return self._top(per_article, k, allowed), self._top(per_article, whole, None)
        depth = self._depth(k, allowed)
        if self._narrow(allowed, depth):
            return self._exact_allowed(query, k, allowed), self._approximate(query, whole, None, self._depth(whole, None))
        depth = max(depth, self._depth(whole, None))
        rows, scores = self._shortlist(query, depth)
        kept = self._allowed_rows(rows, allowed)
        if self.rerank:
            order = np.argsort(rows)
            rows, kept = rows[order], kept[order]
            scores = self._rerank_scores(rows, query, [(whole, None), (k, kept)])
        unfiltered = _ranked(self._best_per_article(rows, scores, whole), whole)
        best = self._best_per_article(rows[kept], scores[kept], k)
        if len(best) >= k or depth >= self._index.ntotal:
            return _ranked(best, k), unfiltered
        return self._approximate(query, k, allowed, min(int(self._index.ntotal), depth * 4)), unfiltered

    def _depth(self, k: int, allowed: Allowed | None) -> int:
        """How many passages the first shortlist holds (deeper under a filter; more where passages are removed)."""
        total = len(self._pids)
        assert self._index is not None
        depth = min(total, max(k * RERANK_DEPTH, self.shortlist) if allowed is None else
                    max(k * 40, 2048, self.shortlist))
        dead = self._index_dead + self._dead_passages
        return min(int(self._index.ntotal), depth + dead * depth // max(total - self._dead_passages, 1))

    def _narrow(self, allowed: Allowed, depth: int) -> bool:
        """Whether this segment's allowed rows are fewer than a few shortlists (then exact over them is cheaper).

        Counted in the segment itself: a filter's share of the archive says little of its share of one
        segment (a month of a million articles is 1/120 of them, and may all lie in one segment of eight)."""
        if not self.rerank or self._added:
            return False
        return allowed.mask_of(self, self._ids, self._starts)[1] <= FILTERED_EXACT_SHARE * depth

    def _approximate(self, query: np.ndarray, k: int, allowed: Allowed | None, depth: int) -> list[VectorHit]:
        """Re-rank the shortlist, deepening it until ``k`` allowed articles are found."""
        assert self._index is not None
        while True:
            rows, scores = self._shortlist(query, depth)
            if allowed is not None:  # only allowed articles' rows are worth an exact cosine
                kept = self._allowed_rows(rows, allowed)
                rows, scores = rows[kept], scores[kept]
            if self.rerank:
                rows = np.sort(rows)
                scores = self._rerank_scores(rows, query, [(k, None)])
            best = self._best_per_article(rows, scores, k)
            if len(best) >= k or depth >= self._index.ntotal:
                return _ranked(best, k)
            depth = min(int(self._index.ntotal), depth * 4)

    def _allowed_rows(self, rows: np.ndarray, allowed: Allowed) -> np.ndarray:
        """Which of these rows belong to allowed articles (a mask)."""
        owners = np.searchsorted(self._starts, rows, side="right") - 1
        return allowed.mask_of(self, self._ids, self._starts)[0][owners]

    def _exact(self, query: np.ndarray, k: int, allowed: Allowed | None) -> list[VectorHit]:
        return self._top(self._exact_per_article(query), k, allowed)

    def _exact_per_article(self, query: np.ndarray) -> np.ndarray:
        """Every article's best exact cosine (tombstoned ones included)."""
        scores = np.empty(len(self._pids), np.float32)
        step = 1 << 16  # bounded temporaries however large the store
        for start in range(0, len(scores), step):
            np.matmul(self._vectors[start:start + step], query, out=scores[start:start + step])
        return np.maximum.reduceat(scores, self._starts[:-1]) if len(self._ids) else scores[:0]

    def _top(self, per_article: np.ndarray, k: int, allowed: Allowed | None) -> list[VectorHit]:
        """The ``k`` best live (and allowed) articles of an exact scoring."""
        if allowed is not None:
            per_article = np.where(allowed.mask_of(self, self._ids, self._starts)[0], per_article, -np.inf)
        if self._dead is not None:
            per_article = np.where(self._dead, -np.inf, per_article)
        take = min(k, len(per_article))
        top = np.argpartition(-per_article, take - 1)[:take] if take < len(per_article) else \
            np.arange(len(per_article))
        best = {str(self._ids[i]): float(per_article[i]) for i in top.tolist() if np.isfinite(per_article[i])}
        return _ranked(best, k)

    def _exact_allowed(self, query: np.ndarray, k: int, allowed: Allowed) -> list[VectorHit]:
        """Exact cosines of the allowed articles' rows only (Lucene's choice for a filter narrower than a shortlist)."""
        mask = allowed.mask_of(self, self._ids, self._starts)[0]
        if self._dead is not None:
            mask = mask & ~self._dead
        positions = np.flatnonzero(mask)
        if not len(positions):
            return []
        starts = self._starts[positions]
        counts = self._starts[positions + 1] - starts
        rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        scores = self._exact_scores(rows, query)
        return _ranked(self._best_per_article(rows, scores, k), k)

    def _exact_scores(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Exact cosines of these rows (ascending: read in file order), in slices of :data:`RERANK_SLICE`.

        A longer matrix-vector product is spread over OpenBLAS's threads, which on a busy
        machine made 9,300 rows take 7.7 ms instead of 0.44.
        """
        scores = np.empty(len(rows), np.float32)
        for start in range(0, len(rows), RERANK_SLICE):
            part = rows[start:start + RERANK_SLICE]
            np.matmul(self._vectors[part], query, out=scores[start:start + len(part)])
        return scores

    def _rerank_scores(self, rows: np.ndarray, query: np.ndarray,
                       wants: Sequence[tuple[int, np.ndarray | None]]) -> np.ndarray:
        """Cosines of a shortlist's rows (ascending), exact where they decide a top ``k`` of ``wants`` (each a
        ``k`` and the mask of the rows it ranks, None for all).

        Without 8-bit rows: every row's exact cosine, from the float rows.  With
        them: each row's 8-bit cosine, within ``e`` (:meth:`RerankRows.error_bound`)
        of the exact one, ranks the articles; the best ``k + min(k, m)`` of them
        (``m``: :data:`RESCORE_MARGIN`) have each row within ``2e`` of their best
        (the rows that can be their best) scored exactly, read by position.  So the top ``k`` are
        ranked and scored by exact cosines; a true top-``k`` article is missed only
        if 8-bit rounding puts ``k`` more articles above it (on real vectors:
        bench/notes/issue-23.md, "Fourth session").
        """
        if self._rows8 is None or self._floats is None or not len(rows):
            return self._exact_scores(rows, query)
        approx = self._rows8.scores(rows, query, RERANK_SLICE)
        owners = np.searchsorted(self._starts, rows, side="right") - 1
        first = np.flatnonzero(np.concatenate([[True], owners[1:] != owners[:-1]]))  # rows ascending: grouped
        best = np.maximum.reduceat(approx, first)
        group = np.repeat(np.arange(len(first)), np.diff(np.append(first, len(rows))))
        chosen = np.zeros(len(first), bool)
        for k, mask in wants:
            eligible = np.ones(len(first), bool) if mask is None else np.logical_or.reduceat(mask, first)
            if self._dead is not None:
                eligible &= ~self._dead[owners[first]]
            candidates = np.flatnonzero(eligible)
            take = k + min(k, RESCORE_MARGIN)
            if len(candidates) > take:
                candidates = candidates[np.argpartition(-best[candidates], take - 1)[:take]]
            chosen[candidates] = True
        band = np.flatnonzero(chosen[group] & (approx >= best[group] - 2 * self._rows8.error_bound(query)))
        if len(band):
            approx[band] = self._floats.read(rows[band]) @ query
        return approx

    def _shortlist(self, query: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the ``depth`` best passages by the ANN index, and its (quantized) scores."""
        assert self._index is not None
        if isinstance(self._index, faiss.IndexIVF):
            self._index.nprobe = self.nprobe
        else:
            inner = faiss.downcast_index(self._index.index) if isinstance(self._index, faiss.IndexIDMap) \
                else self._index
            if isinstance(inner, faiss.IndexHNSW):
                inner.hnsw.efSearch = max(self.ef_search, depth)
        with _one_thread():
            scores, pids = self._index.search(query.reshape(1, -1), depth)
        pids, scores = pids[0], scores[0]
        count = len(self._pids)
        if count and int(self._pids[0]) == 0 and int(self._pids[-1]) == count - 1:
            live = (pids >= 0) & (pids < count)  # pids sorted and unique: each row is its pid (none removed)
            return pids[live], scores[live]
        rows = np.minimum(np.searchsorted(self._pids, pids), count - 1)
        live = (pids >= 0) & (self._pids[rows] == pids)  # a removed passage has no row any more
        return rows[live], scores[live]

    def _best_per_article(self, rows: np.ndarray, scores: np.ndarray, limit: int | None = None) -> dict[str, float]:
        """Each live article's best score among these rows (a filter has chosen the rows); only the ``limit``
        best (and ties).

        In numpy: a shortlist of a thousand passages cost 0.3 ms as a Python loop, as much as
        the fast scan that found it.
        """
        owners = np.searchsorted(self._starts, rows, side="right") - 1
        if self._dead is not None:
            live = ~self._dead[owners]
            owners, scores = owners[live], scores[live]
        if not len(owners):
            return {}
        order = np.argsort(owners, kind="stable")
        owners, scores = owners[order], np.asarray(scores, np.float32)[order]
        first = np.flatnonzero(np.concatenate([[True], owners[1:] != owners[:-1]]))
        owners, scores = owners[first], np.maximum.reduceat(scores, first)
        if limit is not None and len(scores) > limit:  # the rest cannot reach the top ``limit``
            top = scores >= np.partition(scores, len(scores) - limit)[len(scores) - limit]
            owners, scores = owners[top], scores[top]
        return dict(zip(self._ids[owners].tolist(), scores.tolist()))

    # -- writing ---------------------------------------------------------
    def remove(self, article_ids: Iterable[str]) -> int:
        """Drop every passage of these articles; returns how many passages went.

        Constant work per article (a writer replaces articles one at a time: a
        rebuild of the digest table per call made a 100k-article build quadratic).
        """
        gone = 0
        base = self._base_positions()
        for article_id in set(article_ids):
            added = self._added.pop(article_id, None)
            if added is not None:  # (its base rows, if any, were marked removed before it was added)
                gone += len(added[0])
            elif article_id in base and article_id not in self._removed:
                i = base[article_id]
                self._removed.add(article_id)
                gone += int(self._starts[i + 1] - self._starts[i])
            else:
                continue
            if self._digest_of is not None:
                self._digest_of.pop(article_id, None)
        return gone

    def add(self, article_id: str, vectors: np.ndarray, digest: str) -> None:
        """Add one article's passages (call :meth:`remove` first to replace)."""
        count = len(vectors)
        if count == 0:
            return
        if article_id in self._added or (article_id in self._base_positions() and article_id not in self._removed):
            raise ValueError(f"article {article_id!r} already has vectors; remove them first")
        pids = np.arange(self._next_id, self._next_id + count, dtype=np.int64)
        self._next_id += count
        self._added[article_id] = (np.ascontiguousarray(vectors, dtype=np.float32), digest, pids)
        if self._digest_of is not None:
            self._digest_of[article_id] = digest

    def choose_ann(self, requested: str, exact_limit: int) -> None:
        """Search this store as :func:`~hsearch.index.segment_policy.segment_ann` says for its size.

        ``requested``: ``auto`` (exact up to ``exact_limit`` passages, then fast-scan
        codes re-ranked with exact cosines) or an explicit kind; the store is
        searched as one segment the size of the archive.
        """
        wanted = segment_ann(requested, self.passage_count, self.passage_count, exact_limit)
        if wanted != self.ann:
            self._fold()
            self._index, self._index_dead, self.ann = None, 0, wanted
        self.shortlist = shortlist_of(wanted, self.passage_count)
        self._ensure_ann()

    def row_owners(self) -> np.ndarray:
        """The article id of each row of :meth:`all_vectors`."""
        self._fold()
        return np.repeat(self._ids, np.diff(self._starts))

    def all_vectors(self) -> np.ndarray:
        """Every stored vector, in row order (ascending passage id)."""
        self._fold()
        return np.asarray(self._vectors, dtype=np.float32)

    # -- folding pending changes in ----------------------------------------
    def _base_positions(self) -> dict[str, int]:
        if self._positions is None or self._positions_of is not self._ids:
            self._positions = {article_id: i for i, article_id in enumerate(self._ids.tolist())}
            self._positions_of = self._ids
        return self._positions

    def _base_rows(self) -> Iterator[tuple[int, range]]:
        """(article position, its rows) of the base articles still kept."""
        for i, article_id in enumerate(self._ids.tolist()):
            if article_id not in self._removed:
                yield i, range(int(self._starts[i]), int(self._starts[i + 1]))

    def _fold(self, *, tombstones: bool = True) -> None:
        """Apply pending removals (tombstones too, unless told not to) and additions to the arrays and the ANN."""
        if self._dead is not None and (tombstones or self._removed or self._added):
            self._removed |= set(self._ids[self._dead].tolist())
            self._dead, self._dead_passages = None, 0
        if self._removed or self._added:
            keep_articles = np.asarray([a not in self._removed for a in self._ids.tolist()], bool)
            counts = np.diff(self._starts)
            keep_rows = np.repeat(keep_articles, counts)
            added = list(self._added.items())
            new_vectors = [v for _, (v, _, _) in added]
            self._vectors = np.concatenate([np.asarray(self._vectors[keep_rows]), *new_vectors]) if len(
                self._vectors) or new_vectors else np.zeros((0, self.dim), np.float32)
            removed_pids = self._pids[~keep_rows]
            self._pids = np.concatenate([self._pids[keep_rows], *[p for _, (_, _, p) in added]])
            ids = [*self._ids[keep_articles].tolist(), *[a for a, _ in added]]
            digests = [*self._digests[keep_articles].tolist(), *[d for _, (_, d, _) in added]]
            sizes = [*counts[keep_articles].tolist(), *[len(v) for v in new_vectors]]
            self._ids, self._digests = _strings(ids), _strings(digests)
            self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
            if self._index is not None and self._index_writable:
                # Lucene's way with deletes: removed passages stay in the ANN index and are skipped
                # at search (their pid has no row), until they are a quarter of it: then it is rebuilt.
                self._index_dead += len(removed_pids)
                for vectors, pids in ((v, p) for _, (v, _, p) in added):
                    self._index.add_with_ids(vectors, pids)
                if self._index_dead > REBUILD_DEAD_SHARE * self._index.ntotal:
                    self._index = None
            else:
                self._index = None
            self._removed, self._added, self._digest_of = set(), {}, None
            self._ids_sorted = False
            self._rows8 = None  # the rows changed: a saved generation gets rows of its own

    def _ensure_ann(self) -> None:
        """Build the approximate index a writer is about to save (readers search exactly without one)."""
        self._fold()
        if self.ann in APPROXIMATE and self._index is None:
            self._build_ann()

    def _build_ann(self) -> None:
        vectors = np.ascontiguousarray(self._vectors, dtype=np.float32)
        self._index, self._index_dead, self._index_writable = None, 0, True
        if len(vectors) < IVF_MIN_TRAIN:
            return
        if self.ann == "ivf":
            nlist = ivf_lists(len(vectors))
            index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(self.dim), self.dim, nlist,
                                                  faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), nlist * 64),
                                                             replace=False)]
            index.train(sample)
            index.add_with_ids(vectors, self._pids)
            self.nprobe = max(8, nlist // 16)
        elif self.ann in FAST_SCAN:
            index = self._fast_scan_index(vectors)
        else:
            if self.ann == "sq8":  # every passage's 8-bit code scanned: exact up to quantization, 1/4 of the bytes
                inner = faiss.IndexScalarQuantizer(self.dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            else:
                inner = faiss.IndexHNSWSQ(self.dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M,
                                          faiss.METRIC_INNER_PRODUCT)
            inner.train(vectors)
            index = faiss.IndexIDMap(inner)
            index.add_with_ids(vectors, self._pids)
        self._index = index

    def _fast_scan_index(self, vectors: np.ndarray) -> faiss.Index:
        """4-bit product-quantized codes laid out for FAISS's fast scan (SIMD table look-ups, André et al. 2015).

        ``pq4`` scans every code; ``ivfpq4`` keeps them in IVF lists (codes of the
        residual to the list's centroid) and scans ``nprobe`` lists of them.  Training
        runs on one thread: its k-means of 16 centroids per sub-quantizer is many tiny
        parallel regions, and on two busy cores two OpenMP threads took 5-8 s where one took 0.07.
        """
        subquantizers = pq_subquantizers(self.dim)
        rng = np.random.default_rng(0)
        if self.ann == "pq4":
            sample = vectors if len(vectors) <= PQ_TRAIN else vectors[np.sort(rng.choice(len(vectors), PQ_TRAIN,
                                                                                        replace=False))]
            inner = faiss.IndexPQFastScan(self.dim, subquantizers, 4, faiss.METRIC_INNER_PRODUCT)
            with _one_thread():  # (see above)
                inner.train(np.ascontiguousarray(sample))
            index = faiss.IndexIDMap(inner)
        else:
            nlist = fast_scan_lists(len(vectors))
            index = faiss.IndexIVFPQFastScan(faiss.IndexFlatIP(self.dim), self.dim, nlist, subquantizers, 4,
                                             faiss.METRIC_INNER_PRODUCT)
            size = min(len(vectors), max(nlist * 64, PQ_TRAIN))
            with _one_thread():
                index.train(np.ascontiguousarray(vectors[np.sort(rng.choice(len(vectors), size, replace=False))]))
            self.nprobe = fast_scan_probes(nlist)
        index.add_with_ids(vectors, self._pids)
        return index

    # -- persistence -----------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the whole store as a new generation folder (``folder`` must not exist yet).

        Files go into a temporary folder beside it, each flushed to disk, then
        the folder is renamed: a reader or a crash sees the whole generation or none.
        """
        self._ensure_ann()
        folder = Path(folder)
        tmp = folder.with_name(f".{folder.name}.{os.getpid()}{TEMP_SUFFIX}")  # the atomic helper's pattern
        tmp.mkdir(parents=True)
        try:
            arrays = {"vectors": np.ascontiguousarray(self._vectors, dtype=np.float32), "pids": self._pids,
                      "ids": self._ids, "digests": self._digests, "starts": self._starts}
            files: dict[str, int] = {}
            for name, array in arrays.items():
                path = tmp / f"{name}.npy"
                with path.open("wb") as handle:
                    np.save(handle, array, allow_pickle=False)
                    handle.flush()
                    os.fsync(handle.fileno())
                files[path.name] = path.stat().st_size
            if self._index is not None and self.ann in FAST_SCAN:  # derived, outside ``files``: see rerank_rows
                rerank_rows.write(tmp, arrays["vectors"])
            if self._index is not None:
                faiss.write_index(self._index, str(tmp / ANN_NAME))
                with (tmp / ANN_NAME).open("rb") as handle:
                    os.fsync(handle.fileno())
                files[ANN_NAME] = (tmp / ANN_NAME).stat().st_size
            meta = {"format": GENERATION_FORMAT, "dim": self.dim, "ann": self.ann, "nprobe": self.nprobe,
                    "next_id": self._next_id, "passages": len(self._pids), "articles": len(self._ids),
                    "ann_dead": self._index_dead,
                    "ids_sorted": bool(len(self._ids) < 2 or np.all(self._ids[:-1] < self._ids[1:])),
                    "files": files}
            with (tmp / META_NAME).open("w", encoding="utf-8") as handle:
                json.dump(meta, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(tmp, folder)
        except BaseException:
            remove_folder(tmp)
            raise
        _fsync_dir(folder.parent)

    @classmethod
    def load(cls, folder: Path, dim: int, *, writable: bool = False, compiled: bool = False) -> VectorStore:
        """Open a generation folder by mapping its files (``writable``: read the ANN index into memory;
        ``compiled``: re-rank with numba's kernel, for engines that answer many queries)."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
            if meta.get("format") != GENERATION_FORMAT or int(meta["dim"]) != dim:
                raise ValueError(f"format {meta.get('format')} of {meta.get('dim')} dims, expected "
                                 f"format {GENERATION_FORMAT} of {dim}")
            for name, size in meta["files"].items():
                actual = (folder / name).stat().st_size
                if actual != size:
                    raise ValueError(f"{name} has {actual} bytes, {size} were written")
            store = cls(dim, ann=str(meta["ann"]), nprobe=int(meta["nprobe"]))
            mapped = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in ARRAYS}
            store._vectors, store._pids = mapped["vectors"], mapped["pids"]
            store._ids, store._digests = np.asarray(mapped["ids"]), np.asarray(mapped["digests"])
            store._starts = np.asarray(mapped["starts"])
            store._next_id = int(meta["next_id"])
            store.shortlist = shortlist_of(store.ann, len(store._pids))
            store._ids_sorted = bool(meta.get("ids_sorted", False))
            if store._vectors.shape != (int(meta["passages"]), dim) or len(store._pids) != len(store._vectors) \
                    or len(store._starts) != len(store._ids) + 1 or int(store._starts[-1]) != len(store._pids):
                raise ValueError("the arrays do not agree in length")
            if ANN_NAME in meta["files"]:
                # IVF lists map with IO_FLAG_MMAP; flat 8-bit codes (and HNSW's) only with the
                # "in-memory format compatible" mapping, which IO_FLAG_MMAP would read into memory instead.
                # Fast-scan codes (SIMD-aligned blocks) are read into memory either way: 96 bytes a passage.
                mapping = faiss.IO_FLAG_MMAP if store.ann in ("ivf", "ivfpq4") else faiss.IO_FLAG_MMAP_IFC
                flags = 0 if writable else mapping | faiss.IO_FLAG_READ_ONLY
                store._index = faiss.read_index(str(folder / ANN_NAME), flags)
                _choose_fast_scan_kernel(store._index)
                store._index_dead, store._index_writable = int(meta.get("ann_dead", 0)), writable
                if store.ann in FAST_SCAN and not writable:
                    try:  # a derived file: without it (an older build's segment) the float rows re-rank
                        store._rows8 = rerank_rows.open_rows(folder, len(store._pids), dim, compiled=compiled)
                        store._floats = rerank_rows.FloatRows(folder / "vectors.npy", store._vectors.offset, dim)
                    except rerank_rows.RowsError:
                        store._rows8 = None
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexDamagedError(
                f"vector files in {folder} cannot be read ({type(exc).__name__}: {exc})",
                remedy=Remedy("repair", str(folder.parent.parent)), retry={"mode": "bm25"},
            ) from None
        return store

    @classmethod
    def load_legacy(cls, path: Path, dim: int) -> VectorStore:
        """Read a format-1 ``vectors.npz`` whole, as hsearch before generations did."""
        if not path.exists():
            return cls(dim)
        try:
            with np.load(path, allow_pickle=False) as data:
                index = faiss.deserialize_index(data["faiss"])
                pids, owners = data["pids"], data["owners"].tolist()
                digests, next_id = data["digests"].tolist(), int(data["next_id"])
                store = cls(int(data["dim"]), nprobe=int(data["nprobe"]))
                wanted = str(data["ann"])
        except (OSError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile, EOFError) as exc:
            raise IndexDamagedError(
                f"vector file {path} cannot be read ({type(exc).__name__}: {exc})",
                remedy=Remedy("repair", str(path.parent)), retry={"mode": "bm25"},
            ) from None
        order = np.argsort(pids, kind="stable")
        pids = np.asarray(pids, np.int64)[order]
        rows = _legacy_rows(index, pids, store.dim)
        owners, digests = np.asarray(owners)[order], np.asarray(digests)[order]
        # an article's passages got consecutive ids when it was added, so its rows are contiguous
        first = np.flatnonzero(np.concatenate([[True], owners[1:] != owners[:-1]])) if len(owners) else \
            np.zeros(0, np.int64)
        store._vectors, store._pids = rows, pids
        store._ids, store._digests = _strings(owners[first].tolist()), _strings(digests[first].tolist())
        store._starts = np.concatenate([first, [len(pids)]]).astype(np.int64)
        store._next_id = max(next_id, int(pids[-1]) + 1 if len(pids) else 0)
        store.ann = wanted if wanted in APPROXIMATE else "flat"  # searched exactly until a writer saves it
        if len(set(store._ids.tolist())) != len(store._ids):
            raise IndexDamagedError(f"vector file {path} holds an article's passages apart",
                                    remedy=Remedy("repair", str(path.parent)), retry={"mode": "bm25"})
        return store


def _choose_fast_scan_kernel(index: faiss.Index) -> None:
    """FAISS's fast scan of one query, with the kernel measured fastest for a shortlist of thousands.

    ``implem`` is a public knob of ``IndexFastScan`` (0: FAISS picks).  For a 465k-passage ``pq4``
    segment at a shortlist of 3,622, kernel 15 (one query at a time, a reservoir of candidates) took
    1.83-2.11 ms where FAISS's own pick took 2.43-2.75 (faiss 1.15.1, one thread), with the same
    shortlist and distances for 60 queries (bench/notes/issue-23.md, "Fourth session").
    """
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index
    if isinstance(inner, faiss.IndexPQFastScan):
        inner.implem = FAST_SCAN_KERNEL


def shortlist_of(kind: str, passages: int) -> int:
    """How many passages a search of this kind over this many re-ranks with exact cosines, at least."""
    if kind in FAST_SCAN:
        return max(FAST_SCAN_SHORTLIST, math.ceil(FAST_SCAN_SHORTLIST * math.sqrt(passages / FAST_SCAN_MEASURED)))
    return SHORTLIST


def pq_subquantizers(dim: int) -> int:
    """4-bit sub-quantizers of a fast-scan code: one per :data:`PQ_DIMS` dimensions (one per dimension if uneven)."""
    return dim // PQ_DIMS if dim % PQ_DIMS == 0 else dim


def ivf_lists(passages: int) -> int:
    """IVF lists of a segment: 4*sqrt(n), but at least 39 training points per list (FAISS's own floor)."""
    return max(16, min(int(4 * math.sqrt(passages)), passages // 39))


def fast_scan_lists(passages: int) -> int:
    """IVF lists of an ``ivfpq4`` segment: sqrt(n) (fast scan reads long lists well; a k-means of few is quick)."""
    return max(16, min(int(math.sqrt(passages)), passages // 39))


def fast_scan_probes(nlist: int) -> int:
    """Lists an ``ivfpq4`` search scans (bench/results/ann_fast_scan.md: recall against the probed share)."""
    return max(8, nlist // IVF_FAST_SCAN_SHARE)


def remove_folder(folder: Path) -> None:
    """Delete a generation folder (files first, so a crash midway leaves no half-named folder in use)."""
    if not folder.exists():
        return
    for path in folder.iterdir():
        path.unlink(missing_ok=True)
    folder.rmdir()


def _legacy_rows(index: faiss.Index, pids: np.ndarray, dim: int) -> np.ndarray:
    if len(pids) == 0:
        return np.zeros((0, dim), np.float32)
    if isinstance(index, faiss.IndexIVF):
        return np.ascontiguousarray(index.reconstruct_batch(pids), dtype=np.float32)
    inner = faiss.downcast_index(index.index)
    order = faiss.vector_to_array(index.id_map)
    rows = inner.reconstruct_n(0, inner.ntotal)
    position = {int(pid): i for i, pid in enumerate(order.tolist())}
    return np.ascontiguousarray(rows[[position[int(pid)] for pid in pids.tolist()]], dtype=np.float32)


def _ranked(best: dict[str, float], k: int) -> list[VectorHit]:
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]
    return [VectorHit(article_id, float(score)) for article_id, score in ranked]


def _strings(values: Sequence[str]) -> np.ndarray:
    """Fixed-width unicode (memory-mappable, unlike Python objects)."""
    width = max((len(v) for v in values), default=1) or 1
    return np.asarray(values, dtype=f"<U{width}")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run FAISS without an OpenMP team for the duration (one query's search).

    Splitting one query over threads costs more than it saves at these
    sizes, and a team that spin-waits next to the encoder's stalls both
    under load: at 37k passages p50 went from 13 to 5 ms (bench/README.md).
    The setting is per calling thread, so concurrent searches are unaffected.
    """
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)
