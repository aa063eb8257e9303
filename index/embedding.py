"""Articles to passage vectors: the one place where articles are cut and encoded.

The writer, ``hsearch verify --repair`` (through the writer) and the
benchmarks' vector cache all call :func:`embed_articles`, so a cached vector
is exactly what indexing the same article would store.  The Ray embedder
cuts with :func:`cut_articles` on the driver and regroups the rows its actors
return with :func:`rows_per_article`: the same two steps, split across machines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .articles import Article
from .encoders import Encoder
from .passages import split_passages
from .settings import PassageSettings


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
