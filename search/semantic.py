"""The vector side: the index's own encoder and its FAISS store."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index import layout
from index.encoders import Encoder, encoder_for_spec
from index.manifest import ModelSpec
from index.vectors import VectorHit, VectorStore


class SemanticSearcher:
    """Loads the encoder only when the first semantic query needs it (it costs start-up time)."""

    def __init__(self, index_dir: Path, spec: ModelSpec, encoder: Encoder | None = None, *,
                 fast_queries: bool = False) -> None:
        self.index_dir = index_dir
        self.spec = spec
        self._encoder = encoder
        self._fast_queries = fast_queries
        self.store = VectorStore.load(layout.vectors_path(index_dir), spec.dim)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = encoder_for_spec(self.spec, fast_queries=self._fast_queries)
        return self._encoder

    def refresh(self) -> None:
        self.store = VectorStore.load(layout.vectors_path(self.index_dir), self.spec.dim)

    def embed(self, text: str) -> np.ndarray:
        return self.encoder.encode_queries([text])[0]

    def search(self, text: str, k: int, allowed: set[str] | None = None,
               vector: np.ndarray | None = None) -> list[VectorHit]:
        if not text.strip() or k <= 0:
            return []
        return self.store.search(self.embed(text) if vector is None else vector, k, allowed)
