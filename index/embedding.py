"""Articles to passage vectors: the one place where articles are cut and encoded.

The writer, ``hsearch verify --repair`` (through the writer) and the
benchmarks' vector cache all call :func:`embed_articles`, so a cached vector
is exactly what indexing the same article would store.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .articles import Article
from .encoders import Encoder
from .passages import split_passages
from .settings import PassageSettings


def embed_articles(encoder: Encoder, articles: Sequence[Article],
                   settings: PassageSettings = PassageSettings()) -> list[np.ndarray]:
    """Each article's passage vectors (one row per passage), encoded in one batch for speed."""
    cut = [split_passages(article, encoder.token_count, settings) for article in articles]
    flat = [passage for passages in cut for passage in passages]
    matrix = encoder.encode_passages(flat) if flat else np.zeros((0, encoder.dim), np.float32)
    bounds = np.cumsum([0, *(len(passages) for passages in cut)])
    return [matrix[bounds[i]:bounds[i + 1]] for i in range(len(articles))]
