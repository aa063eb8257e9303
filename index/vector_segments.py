"""The vector side as immutable segments with per-segment tombstones, merged by a tiered policy.

As Lucene grows an index:

* each commit that adds vectors writes **one new segment**, ``vectors/s<G>``
  (``G``: the commit's generation), a folder in the format of
  :class:`~hsearch.index.vectors.VectorStore` (rows, pids, ids ascending,
  digests, starts, the segment's own ANN index, meta last), written under a
  temporary name and renamed, never changed after;
* a commit that deletes or replaces articles held by older segments writes,
  for each such segment, a **tombstone file** ``vectors/<segment>.del<G>.npy``:
  the positions (in the segment's id array) of every article deleted from it
  so far.  A new small file per commit, never a change to an old one;
* the **manifest** lists the live segments and the generation of each one's
  current tombstone file (:class:`~hsearch.index.manifest.SegmentRef`), and is
  written last, atomically: it is the one commit point.  A kill -9 anywhere
  before its rename leaves the previous commit; files no manifest names are
  deleted by the next writer (under the write lock);
* the :class:`MergePolicy` (tiered by size, as Lucene's TieredMergePolicy)
  merges small segments into bigger ones and rewrites segments with many
  tombstoned rows, at commit; each row is rewritten about once per tier, so
  write amplification is bounded by the number of tiers (log10 of the archive
  over the floor size);
* a search scans every live segment and merges their top-k (each segment
  scores exactly, or shortlists with its ANN index and re-ranks with exact
  cosines); an article is live in at most one segment.

**Files and readers.**  Segment folders and tombstone files never change once
written.  Files that a commit makes obsolete (merged segments, older tombstone
files) are deleted only after that commit's manifest is in place; a reader that
opened (mapped) them from an older manifest keeps reading them (POSIX keeps an
unlinked file alive while it is open or mapped).  :func:`open_store` maps every
file a manifest names at once; if one has gone (a writer switched manifests
between the reader's manifest read and its open) it reads the manifest again,
once.  Only a writer holding the write lock deletes files.

**Older formats.**  Format 2's single generation folder ``vectors/g<N>`` *is*
a segment (same files): it is read as one and kept as one by the next write
(no rewrite), until a merge takes it.  Format 1's ``vectors.npz`` is read whole
and rewritten as a segment by the next write or ``verify --repair``.

Which search a segment gets (exact or approximate) is decided in one place,
:func:`segment_ann`, by the segment's size.
"""

from __future__ import annotations

import errno
import json
import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from . import layout, rerank_rows
from . import manifest as manifest_io
from .atomic import TEMP_SUFFIX, atomic_open
from .errors import IndexDamagedError, IndexWriteError, Remedy, os_error_reason
from .manifest import Manifest, SegmentRef
from .segment_policy import FAST_SCAN, MergePolicy, commit_parts, find_merges, segment_ann
from .vectors import Allowed, VectorHit, VectorStore, _ranked, _strings, remove_folder

T = TypeVar("T")
#: Filters whose ids a store keeps sorted and masked per segment (a server's readers use a few).
ALLOWED_KEPT = 8

NOTHING_COMMITTED = ("The vector files of this write were removed again: nothing was committed and the index is as "
                     "it was. Free space (or fix the permissions) and run the command again")


# --------------------------------------------------------------------------
# Reading: the vector state one manifest names
# --------------------------------------------------------------------------
class SegmentedStore:
    """Every live segment of one commit, memory-mapped and read-only: the read API of the vector side.

    ``search`` asks each segment for its top ``k`` (exact cosines) and merges
    them; tombstoned articles are never returned.  With ``threads`` above 1 the
    segments that FAISS scans (fast-scan or 8-bit codes) are searched at once by
    a pool of that many threads that the store owns (made at the first search
    that needs it): FAISS releases the GIL while it scans and each of its calls
    runs on one OpenMP thread (``vectors._one_thread``), and the re-rank's
    numpy products release it too.  Segments searched exactly (``flat``) are
    scanned by the calling thread, one after the other: their long matrix
    products are spread over OpenBLAS's own threads, and two of them at once
    from the pool made a query 1.35x slower at 1M articles on two cores
    (bench/notes/issue-23.md, "segments searched concurrently").
    ``threads=None``: :func:`search_threads`.
    """

    def __init__(self, dim: int, segments: Sequence[tuple[SegmentRef | None, VectorStore]], ann: str = "flat",
                 *, threads: int | None = None) -> None:
        self.dim = dim
        self.segments = list(segments)
        self.ann = ann
        self.threads = search_threads(len(self.segments)) if threads is None else threads
        if self.threads < 1:
            raise ValueError(f"threads must be 1 or more, not {self.threads}")
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self._pool_lock = threading.Lock()
        self._allowed_kept: dict[int, tuple[Iterable[str], Allowed]] = {}  # oldest first

    @property
    def stores(self) -> list[VectorStore]:
        return [store for _, store in self.segments]

    @property
    def passage_count(self) -> int:
        return sum(store.passage_count for store in self.stores)

    def search(self, query: np.ndarray, k: int, allowed: Iterable[str] | None = None) -> list[VectorHit]:
        """The ``k`` best articles over every segment, each scored by its best passage (exact cosine).

        The same hits and scores however many threads search: each segment's
        top ``k`` is merged by best score per article (an article is live in one
        segment) and ranked by score, then id.
        """
        chosen = self._allowed(allowed)
        per_segment = self._each(lambda store: store.search(query, k, chosen))
        return _merged(per_segment, k)

    def search_with_whole(self, query: np.ndarray, k: int, allowed: Iterable[str],
                          whole: int) -> tuple[list[VectorHit], list[VectorHit]]:
        """The filtered ``k`` best and the unfiltered ``whole`` best, each segment scanned once for both."""
        chosen = self._allowed(allowed)
        assert chosen is not None  # for the type checker: a filter was given
        per_segment = self._each(lambda store: store.search_with_whole(query, k, chosen, whole))
        return _merged([found for found, _ in per_segment], k), _merged([rest for _, rest in per_segment], whole)

    def _allowed(self, allowed: Iterable[str] | None) -> Allowed | None:
        """The filter's ids as the segments use them, kept for the same set (the full-text side keeps one
        set per filter and snapshot), so that its sorting and per-segment masks are made once."""
        if allowed is None or isinstance(allowed, Allowed):
            return allowed
        with self._pool_lock:
            kept = self._allowed_kept.get(id(allowed))
            if kept is not None and kept[0] is allowed:
                return kept[1]
        made = Allowed(allowed)
        with self._pool_lock:
            self._allowed_kept[id(allowed)] = (allowed, made)
            while len(self._allowed_kept) > ALLOWED_KEPT:
                self._allowed_kept.pop(next(iter(self._allowed_kept)))
        return made

    def _each(self, search: Callable[[VectorStore], T]) -> list[T]:
        """``search`` of every segment, in segment order: those with FAISS codes side by side in the pool."""
        stores = self.stores
        scanned = [i for i, store in enumerate(stores) if store._index is not None]  # FAISS's codes
        if self.threads <= 1 or len(scanned) <= 1:
            return [search(store) for store in stores]
        per_segment: dict[int, T] = {i: search(store) for i, store in enumerate(stores) if store._index is None}
        pool = self._executor()
        # the largest segments first, so that the last one to finish is a small one
        futures = {i: pool.submit(search, stores[i]) for i in sorted(scanned, key=lambda i: -len(stores[i]._pids))}
        per_segment.update((i, future.result()) for i, future in futures.items())
        return [per_segment[i] for i in range(len(stores))]

    def _executor(self) -> ThreadPoolExecutor:
        """This store's pool (a new one in a forked child: the parent's threads are not there)."""
        with self._pool_lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="hsearch-segments")
                self._pool_pid = os.getpid()
            return self._pool

    def close(self) -> None:
        """Stop the search threads (idle ones also end when the store is garbage-collected)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def vectors_of(self, article_id: str) -> np.ndarray:
        for store in reversed(self.stores):
            if store.position_of(article_id) is not None or article_id in store._added:
                return store.vectors_of(article_id)
        return np.zeros((0, self.dim), np.float32)

    def digest_of(self, article_id: str) -> str | None:
        for store in reversed(self.stores):
            digest = store.digest_of(article_id)
            if digest is not None:
                return digest
        return None

    def article_digests(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for store in self.stores:
            found.update(store.article_digests())
        return found

    def article_ids(self) -> set[str]:
        return set(self.article_digests())

    def all_vectors(self) -> np.ndarray:
        """Every live vector, segment by segment (benchmarks; reads them all)."""
        parts = [_live(store)[0] for store in self.stores]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)

    def row_owners(self) -> np.ndarray:
        """The article id of each row of :meth:`all_vectors`."""
        parts = [np.repeat(ids, counts) for _, ids, _, counts in (_live(s) for s in self.stores)]
        return np.concatenate(parts) if parts else np.zeros(0, "<U1")


def _merged(per_segment: Sequence[Sequence[VectorHit]], k: int) -> list[VectorHit]:
    """Segments' hits merged: each article's best score (it is live in one segment), the ``k`` best."""
    best: dict[str, float] = {}
    for hits in per_segment:
        for hit in hits:
            if hit.score > best.get(hit.article_id, -math.inf):
                best[hit.article_id] = hit.score
    return _ranked(best, k)


def search_threads(segments: int) -> int:
    """Threads that search one query's segments by default: one a segment, at most one a CPU this process may use."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(segments, cpus))


def segments_of(built: Manifest) -> list[SegmentRef]:
    """The segments a manifest names: format 3's list, or format 2's one generation folder as a segment."""
    if built.format_version >= 3:
        return list(built.segments)
    if built.vector_generation:
        name = layout.vector_generation_dir(Path("."), built.vector_generation).name
        return [SegmentRef(name=name, articles=-1, passages=-1)]  # counts: read from the folder
    return []


def is_legacy(built: Manifest) -> bool:
    """Format 1: the whole vector side in one ``vectors.npz``."""
    return built.format_version < 3 and not built.vector_generation


def vectors_path(index_dir: Path) -> Path:
    """The newest vector segment's folder (the format-1 file for an index not yet upgraded)."""
    if not manifest_io.exists(index_dir):
        return layout.legacy_vectors_path(index_dir)
    built = manifest_io.load(index_dir)
    segments = segments_of(built)
    if is_legacy(built) or not segments:
        return layout.legacy_vectors_path(index_dir)
    return layout.vector_segment_dir(index_dir, segments[-1].name)


class SegmentsGone(Exception):
    """A segment or tombstone file the manifest names was removed by a later commit (not damage)."""


def open_store(index_dir: Path, manifest: Manifest | None = None, *, exact: bool = False,
               threads: int | None = None, compiled: bool = False) -> SegmentedStore:
    """The vector state ``manifest`` names (the current manifest without one), mapped and read-only.

    Maps every segment and reads its tombstones now (small files), so the
    result keeps working whatever writers do afterwards.  A named file that
    is missing is looked for again under a fresh manifest once (a writer may
    have switched and deleted it since ``manifest`` was read), then reported as
    damage that ``verify --repair`` fixes.  With ``exact`` (a snapshot that
    pairs these vectors with ``manifest``'s full text) nothing newer is
    opened: :class:`SegmentsGone` says the caller must read the new manifest.
    ``threads``: how many threads search one query's segments (:class:`SegmentedStore`); ``compiled``:
    re-rank with numba's kernel (:class:`~hsearch.index.rerank_rows.RerankRows`).
    """
    index_dir = Path(index_dir)
    built = manifest if manifest is not None else manifest_io.load(index_dir)
    assert built.model is not None, "a full-text-only index has no vectors"
    for attempt in range(2):
        if is_legacy(built):
            legacy = VectorStore.load_legacy(layout.legacy_vectors_path(index_dir), built.model.dim)
            return SegmentedStore(built.model.dim, [(None, legacy)], built.ann, threads=threads)
        missing = [ref for ref in segments_of(built) if not _segment_present(index_dir, ref)]
        if not missing:
            try:
                refs = segments_of(built)
                return SegmentedStore(built.model.dim, list(zip(refs, _open_segments(index_dir, refs, built.model.dim,
                                                                                     compiled=compiled))),
                                      built.ann, threads=threads)
            except IndexDamagedError:
                missing = [ref for ref in segments_of(built) if not _segment_present(index_dir, ref)]
                if not missing:  # every file is there: real damage
                    raise
        if exact:
            raise SegmentsGone(f"vector segment {missing[0].name} of commit {built.vector_generation} is gone")
        if attempt == 0:
            built = manifest_io.load(index_dir)
    ref = missing[0]
    gone = layout.vector_segment_dir(index_dir, ref.name)
    if gone.is_dir():
        gone = layout.tombstone_path(index_dir, ref.name, ref.deletes)
    raise IndexDamagedError(
        f"{layout.manifest_path(index_dir)} names vector segment {ref.name}, but {gone} is missing",
        remedy=Remedy("repair", str(index_dir)),
        retry={"mode": "bm25"},
    )


def _open_segments(index_dir: Path, refs: Sequence[SegmentRef], dim: int, *, compiled: bool) -> list[VectorStore]:
    """:func:`open_segment` of each of ``refs``, in order, side by side: FAISS reads fast-scan codes into
    memory (357 MB in 8 segments at 1M articles), and two threads did it in 0.155 s where one took 0.214
    (the open of a one-shot query; bench/notes/issue-23.md)."""
    workers = search_threads(len(refs))
    if workers <= 1:
        return [open_segment(index_dir, ref, dim, compiled=compiled) for ref in refs]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hsearch-open") as pool:
        return list(pool.map(lambda ref: open_segment(index_dir, ref, dim, compiled=compiled), refs))


def _segment_present(index_dir: Path, ref: SegmentRef) -> bool:
    return (layout.vector_segment_dir(index_dir, ref.name).is_dir()
            and (not ref.deletes or layout.tombstone_path(index_dir, ref.name, ref.deletes).is_file()))


def open_segment(index_dir: Path, ref: SegmentRef, dim: int, *, writable: bool = False,
                 compiled: bool = False) -> VectorStore:
    """One segment, mapped, with its tombstones applied; its counts are checked against the manifest's."""
    folder = layout.vector_segment_dir(index_dir, ref.name)
    store = VectorStore.load(folder, dim, writable=writable, compiled=compiled)
    if ref.articles >= 0 and (len(store._ids) != ref.articles or len(store._pids) != ref.passages):
        raise _damaged(folder, f"it holds {len(store._ids)} articles and {len(store._pids)} passages, "
                               f"the manifest says {ref.articles} and {ref.passages}")
    if ref.deletes:
        path = layout.tombstone_path(index_dir, ref.name, ref.deletes)
        try:
            positions = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise _damaged(path, f"{type(exc).__name__}: {exc}") from None
        if positions.ndim != 1 or len(positions) != ref.deleted_articles or (
                len(positions) and (positions.min() < 0 or positions.max() >= len(store._ids))):
            raise _damaged(path, f"it lists {len(positions)} deleted articles, the manifest says "
                                 f"{ref.deleted_articles}")
        store.set_dead(positions)
    return store


def _damaged(path: Path, why: str) -> IndexDamagedError:
    index_dir = path.parent.parent
    return IndexDamagedError(
        f"vector files in {path} cannot be read ({why})",
        remedy=Remedy("repair", str(index_dir)),
        retry={"mode": "bm25"},
    )


def _live(store: VectorStore) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows, ids, digests, passages per article) of the live articles of a store, in its order."""
    store._fold(tombstones=False)  # pending (in-memory) changes only; a segment has none
    counts = np.diff(np.asarray(store._starts))
    alive = np.ones(len(store._ids), bool) if store._dead is None else ~store._dead
    if store._removed:
        alive &= ~np.isin(store._ids, list(store._removed))
    rows = np.repeat(alive, counts)
    return (np.asarray(store._vectors[rows], dtype=np.float32), np.asarray(store._ids)[alive],
            np.asarray(store._digests)[alive], counts[alive])


# --------------------------------------------------------------------------
# Writing: what one writer adds and deletes, staged as a segment and tombstones
# --------------------------------------------------------------------------
class SegmentWriter:
    """One writer's changes to the vector side; memory grows with what it adds, never with the archive.

    The committed segments are mapped (their id arrays are ascending, so a
    lookup is a bisection of the mapped file); additions are kept in memory
    until :meth:`stage` writes them as one new segment; deletions of committed
    articles are positions, written as tombstone files.
    """

    def __init__(self, index_dir: Path, built: Manifest, dim: int, *, fresh: bool = False,
                 ann: str = "auto", exact_limit: int = 200_000, policy: MergePolicy = MergePolicy()) -> None:
        self.index_dir = Path(index_dir)
        self.dim = dim
        self.requested_ann = ann
        self.exact_limit = exact_limit
        self.policy = policy
        self._legacy: VectorStore | None = None  # format 1, read whole: rewritten as a segment at the next stage
        self._base: list[tuple[SegmentRef, VectorStore]] = []
        if not fresh:
            if is_legacy(built):
                self._legacy = VectorStore.load_legacy(layout.legacy_vectors_path(self.index_dir), dim)
            else:
                for ref in segments_of(built):
                    store = open_segment(self.index_dir, ref, dim)
                    if ref.articles < 0:  # format 2's folder: its counts are its own
                        ref = replace(ref, articles=len(store._ids), passages=len(store._pids), ann=store.ann)
                    self._base.append((ref, store))
        self._added: dict[str, tuple[np.ndarray, str]] = {}
        self._deleted: dict[int, set[int]] = {}  # base segment -> positions deleted by this writer
        self.last_merges: list[dict[str, int]] = []  # what the last stage merged (benchmarks, messages)

    # -- reading ---------------------------------------------------------
    @property
    def passage_count(self) -> int:
        base = sum(store.passage_count for _, store in self._base)
        for i, positions in self._deleted.items():
            starts = self._base[i][1]._starts
            base -= int(sum(int(starts[p + 1] - starts[p]) for p in positions))
        legacy = self._legacy.passage_count if self._legacy is not None else 0
        return base + legacy + sum(len(v) for v, _ in self._added.values())

    @property
    def ann(self) -> str:
        """The kind of the biggest segment (what ``hsearch stats`` shows)."""
        refs = [ref for ref, _ in self._base]
        return max(refs, key=lambda r: r.live_passages).ann if refs else "flat"

    def _find(self, article_id: str) -> tuple[int, int] | None:
        """(base segment, position) of a committed live article this writer has not deleted."""
        for i in range(len(self._base) - 1, -1, -1):
            position = self._base[i][1].position_of(article_id)
            if position is not None and position not in self._deleted.get(i, ()):
                return i, position
        return None

    def digest_of(self, article_id: str) -> str | None:
        added = self._added.get(article_id)
        if added is not None:
            return added[1]
        if self._legacy is not None:
            return self._legacy.digest_of(article_id)
        found = self._find(article_id)
        return None if found is None else str(self._base[found[0]][1]._digests[found[1]])

    def article_ids(self) -> set[str]:
        """Every live article id (reads every segment's ids: for orphan checks, not per article)."""
        ids: set[str] = set(self._legacy.article_ids()) if self._legacy is not None else set()
        for i, (_, store) in enumerate(self._base):
            live = store.article_digests()
            deleted = self._deleted.get(i)
            if deleted:
                live = {a: d for a, d in live.items() if store.position_of(a) not in deleted}
            ids.update(live)
        return ids | set(self._added)

    def article_digests(self) -> dict[str, str]:
        return {article_id: self.digest_of(article_id) or "" for article_id in self.article_ids()}

    # -- changing ----------------------------------------------------------
    def remove(self, article_ids: Iterable[str]) -> int:
        """Delete these articles' vectors; returns how many passages went."""
        gone = 0
        for article_id in set(article_ids):
            added = self._added.pop(article_id, None)
            if added is not None:
                gone += len(added[0])
            if self._legacy is not None:
                gone += self._legacy.remove([article_id]) if added is None else 0
                continue
            found = self._find(article_id)
            if found is not None:
                i, position = found
                self._deleted.setdefault(i, set()).add(position)
                starts = self._base[i][1]._starts
                gone += int(starts[position + 1] - starts[position])
        return gone

    def add(self, article_id: str, vectors: np.ndarray, digest: str) -> None:
        """Add one article's passages (call :meth:`remove` first to replace)."""
        if len(vectors) == 0:
            return
        if article_id in self._added or (self._legacy is not None and self._legacy.digest_of(article_id)) \
                or (self._legacy is None and self._find(article_id) is not None):
            raise ValueError(f"article {article_id!r} already has vectors; remove them first")
        self._added[article_id] = (np.ascontiguousarray(vectors, dtype=np.float32), digest)

    # -- committing --------------------------------------------------------
    def stage(self, generation: int, *, at_commit: bool = True) -> tuple[SegmentRef, ...]:
        """Write this writer's segment, tombstones and merges as commit ``generation``; returns the segment list.

        Nothing written here is visible until a manifest names it; a failure
        (a full disk, a read-only folder) removes what this call wrote and
        raises :class:`IndexWriteError`, leaving the index as it was.
        """
        folder = layout.vectors_dir(self.index_dir)
        written: list[Path] = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            refs = self._write_tombstones(generation, written)
            archive = sum(r.live_passages for r, _ in refs) + sum(len(v) for v, _ in self._added.values())
            if self._legacy is not None:
                vectors, ids, digests, counts = _live(self._legacy)
                archive += len(vectors)
                refs.append(self._write_segment(f"s{generation:06d}l", vectors, ids, digests, counts, archive,
                                                written))
            if self._added:
                ids = sorted(self._added)
                parts = commit_parts([len(self._added[a][0]) for a in ids], self.policy)
                for number, (start, stop) in enumerate(parts):
                    part = ids[start:stop]
                    vectors = np.concatenate([self._added[a][0] for a in part])
                    counts = np.asarray([len(self._added[a][0]) for a in part], np.int64)
                    name = f"s{generation:06d}" if number == 0 else f"s{generation:06d}p{number}"
                    refs.append(self._write_segment(name, vectors, _strings(part),
                                                    _strings([self._added[a][1] for a in part]), counts, archive,
                                                    written))
            refs = self._merge(refs, generation, archive, written, at_commit=at_commit)
        except OSError as exc:
            for path in written:
                remove_folder(path) if path.is_dir() else path.unlink(missing_ok=True)
            reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else os_error_reason(exc)
            raise IndexWriteError(str(exc.filename or folder), reason, NOTHING_COMMITTED) from None
        return tuple(ref for ref, _ in refs)

    def _write_tombstones(self, generation: int, written: list[Path]) -> list[tuple[SegmentRef, VectorStore]]:
        refs: list[tuple[SegmentRef, VectorStore]] = []
        for i, (ref, store) in enumerate(self._base):
            new = self._deleted.get(i)
            if not new:
                refs.append((ref, store))
                continue
            old = np.flatnonzero(store._dead) if store._dead is not None else np.zeros(0, np.int64)
            positions = np.union1d(old, np.fromiter(new, np.int64)).astype(np.int32)
            if len(positions) == ref.articles:  # every article gone: the segment leaves the list
                continue
            path = layout.tombstone_path(self.index_dir, ref.name, generation)
            written.append(path)
            with atomic_open(path, "wb") as handle:
                np.save(handle, positions, allow_pickle=False)
            counts = np.diff(np.asarray(store._starts))
            ref = replace(ref, deletes=generation, deleted_articles=len(positions),
                          deleted_passages=int(counts[positions].sum()))
            view = VectorStore.__new__(VectorStore)  # the same mapped segment, with the new tombstones
            view.__dict__.update(store.__dict__)
            view.set_dead(positions)
            refs.append((ref, view))
        return refs

    def _write_segment(self, name: str, vectors: np.ndarray, ids: np.ndarray, digests: np.ndarray,
                       counts: np.ndarray, archive: int, written: list[Path]) -> tuple[SegmentRef, VectorStore]:
        """A new segment folder of these articles (ids ascending), with the ANN index its size gets."""
        order = np.argsort(ids, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        if not np.array_equal(order, np.arange(len(ids))):
            new_starts = np.concatenate([[0], np.cumsum(counts[order])]).astype(np.int64)
            rows = np.repeat(starts[:-1][order] - new_starts[:-1], counts[order]) + np.arange(int(new_starts[-1]))
            vectors, ids, digests, starts = vectors[rows], ids[order], digests[order], new_starts
        store = VectorStore(self.dim)
        store._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        store._pids = np.arange(len(vectors), dtype=np.int64)
        store._ids, store._digests, store._starts = ids, digests, starts
        store._next_id = len(vectors)
        kind = segment_ann(self.requested_ann, len(vectors), archive, self.exact_limit)
        store.choose_ann(kind, exact_limit=0)
        path = layout.vector_segment_dir(self.index_dir, name)
        if path.exists():  # left by a writer killed before its manifest: never named by one
            remove_folder(path)
        written.append(path)
        store.save(path)
        ref = SegmentRef(name=name, articles=len(ids), passages=len(vectors), ann=store.ann)
        return ref, open_segment(self.index_dir, ref, self.dim)

    def _merge(self, refs: list[tuple[SegmentRef, VectorStore]], generation: int, archive: int,
               written: list[Path], *, at_commit: bool) -> list[tuple[SegmentRef, VectorStore]]:
        self.last_merges = []
        groups = find_merges([ref for ref, _ in refs], self.policy, at_commit=at_commit)
        if not groups:
            return refs
        merged_away: set[int] = set()
        results = []
        for number, group in enumerate(groups):
            parts = [_live(refs[i][1]) for i in group]
            vectors = np.concatenate([p[0] for p in parts])
            ids = np.concatenate([p[1].astype(str) for p in parts])
            digests = np.concatenate([p[2].astype(str) for p in parts])
            counts = np.concatenate([p[3] for p in parts])
            merged_away.update(group)
            if not len(ids):
                continue
            results.append(self._write_segment(f"s{generation:06d}m{number}", vectors, _strings(ids.tolist()),
                                               _strings(digests.tolist()), counts, archive, written))
            self.last_merges.append({"segments": len(group), "passages": len(vectors)})
        return [r for i, r in enumerate(refs) if i not in merged_away] + results

    def committed(self, refs: Sequence[SegmentRef]) -> None:
        """The manifest naming ``refs`` is in place: carry on writing from them (a checkpoint)."""
        self._legacy = None
        self._base = [(ref, open_segment(self.index_dir, ref, self.dim)) for ref in refs]
        self._added, self._deleted = {}, {}


def force_merge(index_dir: Path, *, wait: bool = False, max_segments: int = 1) -> dict[str, int]:
    """Merge the vector segments down to ``max_segments``, under the write lock (benchmarks; an "optimize")."""
    return merge_pending(index_dir, MergePolicy(max_segments=max_segments), wait=wait)


def merge_pending(index_dir: Path, policy: MergePolicy = MergePolicy(), *, wait: bool = False) -> dict[str, int]:
    """Run the merges ``policy`` asks for with no per-commit ceiling, as a commit of the vector side only.

    For a background job: it takes the write lock (``wait`` for it), writes the
    merged segments, switches the manifest (the full text and every count stay
    as they are) and deletes what the merge made obsolete; readers keep the
    segments they mapped.  A full-text-only index has nothing to merge.
    """
    from .lock import WriteLock

    index_dir = Path(index_dir)
    with WriteLock(index_dir, wait=wait):
        built = manifest_io.load(index_dir)
        if built.model is None:
            return {"segments_before": 0, "segments_after": 0, "passages": 0, "merged": 0}
        before = len(segments_of(built))
        drop_unreferenced(index_dir, built)  # what killed writers left
        writer = SegmentWriter(index_dir, built, built.model.dim, policy=policy)
        generation = built.vector_generation + 1
        refs = writer.stage(generation, at_commit=False)
        if writer.last_merges or is_legacy(built):
            updated = replace(built, format_version=manifest_io.FORMAT_VERSION, vector_generation=generation,
                              segments=refs, passages=sum(r.live_passages for r in refs),
                              ann=max(refs, key=lambda r: r.live_passages).ann if refs else "flat")
            manifest_io.save(index_dir, updated)
            retire(index_dir, updated)
        return {"segments_before": before, "segments_after": len(refs),
                "passages": sum(r.live_passages for r in refs), "merged": len(writer.last_merges)}


# --------------------------------------------------------------------------
# Clean-up
# --------------------------------------------------------------------------
def referenced(built: Manifest) -> set[str]:
    """Names inside ``vectors/`` that a manifest needs."""
    names = set()
    for ref in segments_of(built):
        names.add(ref.name)
        if ref.deletes:
            names.add(layout.tombstone_path(Path("."), ref.name, ref.deletes).name)
    return names


def drop_unreferenced(index_dir: Path, built: Manifest) -> list[Path]:
    """Delete every file and folder of ``vectors/`` that ``built`` does not name, and format 1's file once upgraded.

    Half-written segments, segments merged away, older tombstone files:
    only safe under the write lock, after ``built`` is the current manifest.
    """
    keep = referenced(built)
    folder = layout.vectors_dir(index_dir)
    gone = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.name in keep:
                continue
            gone.append(path)
            if path.is_dir():
                remove_folder(path)
            else:
                path.unlink(missing_ok=True)
    if not is_legacy(built):
        layout.legacy_vectors_path(index_dir).unlink(missing_ok=True)
    return gone


def retire(index_dir: Path, committed: Manifest) -> list[Path]:
    """After ``committed`` is in place: delete what only older commits named (merged segments, old tombstones).

    A reader that mapped them from an older manifest keeps reading them.
    """
    return drop_unreferenced(index_dir, committed)


def segment_names(index_dir: Path) -> list[str]:
    """Names of the segment folders present (committed or not), sorted."""
    folder = layout.vectors_dir(index_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.endswith(TEMP_SUFFIX)
                  and not p.name.startswith("."))


# --------------------------------------------------------------------------
# Derived: the 8-bit re-rank rows of fast-scan segments (index/rerank_rows.py)
# --------------------------------------------------------------------------
def _fast_scan_folders(index_dir: Path, built: Manifest) -> list[tuple[Path, int, int]]:
    """``(folder, rows, dims)`` of each segment ``built`` names whose search is a fast scan (from its meta)."""
    found = []
    for ref in segments_of(built):
        folder = layout.vector_segment_dir(index_dir, ref.name)
        try:
            meta = json.loads((folder / layout.GENERATION_META_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an unreadable segment is the store's damage to report, not the rows'
        if meta.get("ann") in FAST_SCAN and layout.GENERATION_ANN_NAME in meta.get("files", {}):
            found.append((folder, int(meta["passages"]), int(meta["dim"])))
    return found


def rows_problems(index_dir: Path, built: Manifest) -> list[str]:
    """One line per fast-scan segment whose 8-bit re-rank rows are missing or unusable (for verify)."""
    return rerank_rows.problems(_fast_scan_folders(index_dir, built))


def write_missing_rows(index_dir: Path, built: Manifest, *, checksum: bool = False) -> list[str]:
    """Write the 8-bit re-rank rows of every fast-scan segment that has none (one an older hsearch wrote), or,
    with ``checksum``, an unusable one; under the write lock (after a commit, and by ``verify --repair``).
    Returns the segments written."""
    written = []
    for folder, rows, dims in _fast_scan_folders(index_dir, built):
        try:
            rerank_rows.open_rows(folder, rows, dims, checksum=checksum)
            continue
        except rerank_rows.RowsError:
            pass
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        rerank_rows.write(folder, vectors)
        written.append(folder.name)
    return written
