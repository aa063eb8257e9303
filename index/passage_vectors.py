"""Articles to passage vectors: the one place where articles are cut and encoded, and who runs it.

The writer, ``hsearch verify --repair`` (through the writer) and the
benchmarks' vector cache all call :func:`embed_articles`, so a cached vector
is exactly what indexing the same article would store.

While ``hsearch index`` writes, an :class:`Embedder` turns its batches of
articles into passage vectors.  The writer's loop is the same for every
embedder: it hands over its batches in order and stores each batch's vectors
as they come back, committing as it goes (:mod:`hsearch.index.checkpoints`).
:class:`LocalEmbedder` encodes in this process;
:class:`hsearch.index.ray_embedding.RayEmbedder` cuts with
:func:`cut_articles` here (the driver) and regroups the rows its Ray actors
return with :func:`rows_per_article`: the same two steps, split across
machines.  Both return, for each batch, exactly what :func:`embed_articles`
would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

import numpy as np

from .articles import Article
from .encoders import Encoder
from .passages import split_passages
from .settings import PassageSettings

Batch = Sequence[Article]


def cut_articles(encoder: Encoder, articles: Sequence[Article],
                 settings: PassageSettings = PassageSettings()) -> list[list[str]]:
    """Each article's passages, cut to the encoder's token budget."""
    return [split_passages(article, encoder.token_count, settings) for article in articles]


def rows_per_article(matrix: np.ndarray, cut: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Split the rows of the flattened passages of ``cut`` back into one matrix per article."""
    bounds = np.cumsum([0, *(len(passages) for passages in cut)])
    return [matrix[bounds[i]:bounds[i + 1]] for i in range(len(cut))]


def embed_articles(encoder: Encoder, articles: Sequence[Article],
                   settings: PassageSettings = PassageSettings()) -> list[np.ndarray]:
    """Each article's passage vectors (one row per passage), encoded in one batch for speed."""
    cut = cut_articles(encoder, articles, settings)
    flat = [passage for passages in cut for passage in passages]
    matrix = encoder.encode_passages(flat) if flat else np.zeros((0, encoder.dim), np.float32)
    return rows_per_article(matrix, cut)


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
