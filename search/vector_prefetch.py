"""A one-shot query's vectors, opened on a second thread while the rest of the process starts.

A cold ``hsearch query`` of a million articles reads FAISS's fast-scan codes
into memory (357 MB in 8 segments, 0.2-0.3 s on one core) and spends about as
long importing Python modules, loading the query encoder and encoding, which
run on one core and hold the GIL; FAISS lets the GIL go while it reads.
:class:`VectorPrefetch`, started before the engine's modules are imported,
reads the codes beside them.  FAISS itself is imported first, on the caller's
thread: an import holds the GIL, and beside the engine's imports it would
only slow them down.

It changes nothing a query sees.  :meth:`VectorPrefetch.take` hands the store
over only when the engine's snapshot names exactly the vectors it opened (the
same manifest); a commit in between, or any failure to open, closes it and the
engine opens its own as it always does, so damage is reported by the engine's
path, in its words.
"""

from __future__ import annotations

import threading
from pathlib import Path

from hsearch.index import layout
from hsearch.index import manifest as manifest_io
from hsearch.index import vector_segments
from hsearch.index.manifest import Manifest
from hsearch.index.openmp import load_faiss
from hsearch.index.vector_segments import SegmentedStore

from .modes import FULLTEXT_MODE

__all__ = ["VectorPrefetch"]


class VectorPrefetch:
    """The vector store of ``index_dir``'s current manifest, being opened on a thread from construction."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._opened: tuple[Manifest, SegmentedStore] | None = None
        load_faiss()
        self._thread = threading.Thread(target=self._open, name="hsearch-vector-prefetch")
        self._thread.start()

    @classmethod
    def for_query(cls, index_dir: Path, mode: str | None) -> VectorPrefetch | None:
        """A prefetch for a one-shot query in ``mode`` (None: the index's default), or None where the query
        cannot use one: a BM25 query, or a sharded index (each shard opens its own)."""
        if mode == FULLTEXT_MODE or layout.is_sharded(index_dir):
            return None
        return cls(index_dir)

    def _open(self) -> None:
        try:
            built = manifest_io.load(self.index_dir)
            if built.model is not None:
                self._opened = built, vector_segments.open_store(self.index_dir, built, exact=True)
        except Exception:  # noqa: BLE001 - the engine opens its own vectors and reports what is wrong
            self._opened = None

    def take(self, built: Manifest) -> SegmentedStore | None:
        """The store, once opened, if it is ``built``'s vectors; else None (and nothing is left open)."""
        self._thread.join()
        opened, self._opened = self._opened, None
        if opened is None:
            return None
        manifest, store = opened
        if manifest == built:
            return store
        store.close()
        return None
