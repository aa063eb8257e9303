"""Who turns batches of articles into passage vectors while ``hsearch index`` writes them.

The writer's loop is the same for every embedder: it hands over its batches in
order and stores each batch's vectors as they come back, committing as it
goes (:mod:`hsearch.index.checkpoints`).  :class:`LocalEmbedder` encodes in
this process; :class:`hsearch.index.ray_embedding.RayEmbedder` cuts passages
here and encodes them on a pool of Ray actors.  Both return, for each batch,
exactly what :func:`hsearch.index.embedding.embed_articles` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

import numpy as np

from .articles import Article
from .embedding import embed_articles
from .encoders import Encoder
from .settings import PassageSettings

Batch = Sequence[Article]


class Embedder(Protocol):
    """Vectors for batches of articles, yielded in the order the batches were given."""

    def embed_batches(self, batches: Iterable[Batch]) -> Iterator[list[np.ndarray]]:
        """One list per batch: each article's passage vectors, one row per passage."""
        ...

    def close(self) -> None:
        """Release what the embedder started (actors, a cluster)."""
        ...


class LocalEmbedder:
    """The index's own encoder, in this process, one batch at a time."""

    def __init__(self, encoder: Encoder, settings: PassageSettings = PassageSettings()) -> None:
        self.encoder = encoder
        self.settings = settings

    def embed_batches(self, batches: Iterable[Batch]) -> Iterator[list[np.ndarray]]:
        for batch in batches:
            yield embed_articles(self.encoder, batch, self.settings)

    def close(self) -> None:
        pass
