"""The vector side: passage embeddings in FAISS, keyed by article id.

Inner product on L2-normalized vectors is cosine.  Exact search
(``IndexFlatIP``) up to ``exact_limit`` passages; beyond it an IVF index,
which, unlike HNSW, supports removing ids, so replacing an article never needs
a rebuild.  The whole store is one ``.npz`` file written to a temporary name
and renamed, so a crash leaves the previous file intact.
"""

from __future__ import annotations

import math
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import openmp  # noqa: F401  (before faiss loads OpenMP)

import faiss
import numpy as np

from .atomic import atomic_open
from .errors import IndexDamagedError

IVF_MIN_TRAIN = 4096  # below this an IVF index has too little to learn its lists from


@dataclass(frozen=True)
class VectorHit:
    """An article's best passage for a query."""

    article_id: str
    score: float


class VectorStore:
    """Passage vectors of many articles; an article's rows are replaced as a whole."""

    def __init__(self, dim: int, *, ann: str = "flat", index: faiss.Index | None = None,
                 pids: np.ndarray | None = None, owners: Sequence[str] = (),
                 digests: Sequence[str] = (), next_id: int = 0, nprobe: int = 16) -> None:
        self.dim = dim
        self.ann = ann
        self.nprobe = nprobe
        self._index = index if index is not None else _flat(dim)
        self._pids = list(pids.tolist()) if pids is not None else []
        self._owners = list(owners)
        self._digests = list(digests)  # content digest of the article text each row embeds
        self._next_id = next_id
        self._by_article: dict[str, list[int]] | None = None
        self._owner_of: dict[int, str] | None = None

    # -- reading ---------------------------------------------------------
    @property
    def passage_count(self) -> int:
        return int(self._index.ntotal)

    def article_ids(self) -> set[str]:
        return set(self._owners)

    def article_digests(self) -> dict[str, str]:
        """Which version of each article the vectors were made from (for verify)."""
        return dict(zip(self._owners, self._digests))

    def search(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[VectorHit]:
        """The ``k`` best articles, each scored by its best passage.

        ``allowed`` restricts hits to those articles (filters); the search
        then looks deeper so that filtering does not starve the result.
        """
        total = self.passage_count
        if total == 0 or k <= 0:
            return []
        if isinstance(self._index, faiss.IndexIVF):
            self._index.nprobe = self.nprobe
        depth = min(total, max(k * 4, 64) if allowed is None else max(k * 40, 2048))
        owner_of = self._owner_map()
        while True:
            with _one_thread():
                scores, ids = self._index.search(np.asarray(query, np.float32).reshape(1, -1), depth)
            best: dict[str, float] = {}
            for score, pid in zip(scores[0].tolist(), ids[0].tolist()):
                if pid < 0:
                    continue
                owner = owner_of[pid]
                if allowed is not None and owner not in allowed:
                    continue
                if owner not in best:
                    best[owner] = score
            if len(best) >= k or depth >= total:
                break
            depth = min(total, depth * 4)
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [VectorHit(article_id, float(score)) for article_id, score in ranked]

    # -- writing ---------------------------------------------------------
    def remove(self, article_ids: Iterable[str]) -> int:
        """Drop every passage of these articles; returns how many passages went."""
        by_article = self._article_map()
        doomed = [pid for article_id in set(article_ids) for pid in by_article.pop(article_id, [])]
        if not doomed:
            return 0
        self._index.remove_ids(np.asarray(doomed, dtype=np.int64))
        gone = set(doomed)
        kept = [row for row in zip(self._pids, self._owners, self._digests) if row[0] not in gone]
        self._pids = [pid for pid, _, _ in kept]
        self._owners = [owner for _, owner, _ in kept]
        self._digests = [digest for _, _, digest in kept]
        self._owner_of = None
        return len(doomed)

    def add(self, article_id: str, vectors: np.ndarray, digest: str) -> None:
        """Add one article's passages (call :meth:`remove` first to replace)."""
        count = len(vectors)
        if count == 0:
            return
        pids = np.arange(self._next_id, self._next_id + count, dtype=np.int64)
        self._next_id += count
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), pids)
        self._pids.extend(pids.tolist())
        self._owners.extend([article_id] * count)
        self._digests.extend([digest] * count)
        if self._by_article is not None:
            self._by_article.setdefault(article_id, []).extend(pids.tolist())
        self._owner_of = None

    def choose_ann(self, requested: str, exact_limit: int) -> None:
        """Switch between exact and IVF search as ``requested`` (``auto`` by size)."""
        wanted = requested
        if requested == "auto":
            wanted = "ivf" if self.passage_count > exact_limit else "flat"
        if wanted == "ivf" and self.passage_count < IVF_MIN_TRAIN:
            wanted = "flat"
        if wanted != self.ann:
            self._rebuild(wanted)

    def _rebuild(self, ann: str) -> None:
        vectors = self.all_vectors()
        pids = np.asarray(self._pids, dtype=np.int64)
        if ann == "ivf":
            # 4*sqrt(n) lists, but at least 39 training points per list (FAISS's own floor).
            nlist = max(16, min(int(4 * math.sqrt(len(vectors))), len(vectors) // 39))
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
            self.nprobe = max(8, nlist // 16)
        else:
            index = _flat(self.dim)
        index.add_with_ids(vectors, pids)
        self._index, self.ann = index, ann

    def all_vectors(self) -> np.ndarray:
        """Every stored vector, in the order of ``self._pids``."""
        if isinstance(self._index, faiss.IndexIVF):
            return np.vstack([self._index.reconstruct(int(pid)) for pid in self._pids]).astype(np.float32) \
                if self._pids else np.zeros((0, self.dim), np.float32)
        inner = faiss.downcast_index(self._index.index)
        order = faiss.vector_to_array(self._index.id_map)
        rows = inner.reconstruct_n(0, inner.ntotal) if inner.ntotal else np.zeros((0, self.dim), np.float32)
        position = {int(pid): i for i, pid in enumerate(order.tolist())}
        return np.ascontiguousarray(rows[[position[pid] for pid in self._pids]], dtype=np.float32)

    # -- persistence -----------------------------------------------------
    def save(self, path: Path) -> None:
        """Write to a temporary file in the same folder, then rename over ``path``."""
        blob = faiss.serialize_index(self._index)
        with atomic_open(path, "wb") as handle:
            np.savez(
                handle, faiss=blob, pids=np.asarray(self._pids, dtype=np.int64),
                owners=np.asarray(self._owners, dtype=str),
                digests=np.asarray(self._digests, dtype=str), next_id=np.int64(self._next_id),
                dim=np.int64(self.dim), ann=np.asarray(self.ann), nprobe=np.int64(self.nprobe),
            )

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorStore:
        if not path.exists():
            return cls(dim)
        try:
            with np.load(path, allow_pickle=False) as data:
                index = faiss.deserialize_index(data["faiss"])
                return cls(
                    int(data["dim"]), ann=str(data["ann"]), index=index, pids=data["pids"],
                    owners=data["owners"].tolist(), digests=data["digests"].tolist(),
                    next_id=int(data["next_id"]), nprobe=int(data["nprobe"]),
                )
        except (OSError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile, EOFError) as exc:
            raise IndexDamagedError(
                f"vector file {path} cannot be read ({type(exc).__name__}: {exc})",
                advice=f"Run hsearch verify --repair --index {path.parent} to rebuild it from the stored articles",
                retry={"mode": "bm25"},
            ) from None

    # -- maps ------------------------------------------------------------
    def _owner_map(self) -> dict[int, str]:
        if self._owner_of is None:
            self._owner_of = dict(zip(self._pids, self._owners))
        return self._owner_of

    def _article_map(self) -> dict[str, list[int]]:
        if self._by_article is None:
            grouped: dict[str, list[int]] = defaultdict(list)
            for pid, owner in zip(self._pids, self._owners):
                grouped[owner].append(pid)
            self._by_article = dict(grouped)
        return self._by_article


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


def _flat(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
