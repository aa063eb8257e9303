"""Articles like a given one ("more like this"): its own text is the query on both sides.

* BM25: the article's key terms against the index (Whoosh's ``key_terms``,
  Bo1 divergence-from-randomness weights: words frequent in this article and
  rare in the index), each searched in headline and body with its weight.
* Vectors: the mean of the article's stored passage vectors (its overall
  topic), renormalized, searched like a query vector; nothing is re-embedded.

Both sides drop the article and every copy of its story *before* fusion, so
the copies neither fill the page nor stretch the normalization; the two
sides are then fused with the engine's hybrid settings, and the result is
collapsed and paged like a search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq

from hsearch.index.errors import ArticleNotFoundError

if TYPE_CHECKING:
    from .engine import Ranking, SearchEngine

KEY_TERMS = 20


def similar_ranking(engine: SearchEngine, article_id: str, mode: str | None, depth: int) -> Ranking:
    """The fused ranking of articles like ``article_id``, its story excluded; ``depth`` per side."""
    from .engine import Ranking

    stored = engine.article(article_id)
    if stored is None:
        raise ArticleNotFoundError(article_id, engine.index_dir)
    chosen = engine.resolve_mode(mode)
    own_story = engine.stories.stories([article_id])[article_id]
    wanted = max(depth, engine.settings.fusion.candidates)

    def others(ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
        story_of = engine.stories.stories([doc for doc, _ in ranked])
        return [(doc, score) for doc, score in ranked if doc != article_id and story_of[doc] != own_story]

    terms: set[str] = set()
    bm25: list[tuple[str, float]] = []
    dense: list[tuple[str, float]] = []
    if chosen in ("bm25", "hybrid"):
        text = f"{stored.get('title', '')}\n{stored.get('body', '')}"
        weighted = engine.fulltext.key_terms(text, KEY_TERMS)
        terms = {term for term, _ in weighted}
        if weighted:
            query = wq.Or([wq.Term(field, term, boost=weight) for term, weight in weighted
                           for field in ("title", "body")])
            bm25 = others(engine.fulltext.search(query, wanted + 1))
    if chosen in ("semantic", "hybrid"):
        assert engine.semantic is not None
        vectors = engine.semantic.store.vectors_of(article_id)
        if len(vectors):
            centroid = vectors.mean(axis=0)
            centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
            hits = engine.semantic.store.search(centroid, wanted + 1)
            dense = others([(h.article_id, h.score) for h in hits])
    # The article's own key terms are the whole query, so its best other match stands for a full match.
    ranking = Ranking([], bm25, dense, terms, bm25_upper=bm25[0][1] if bm25 else 0.0)
    if chosen == "bm25":
        ranking.ranked = bm25[:depth]
    elif chosen == "semantic":
        ranking.ranked = dense[:depth]
    else:
        ranking.ranked = ranking.fused(engine.settings.fusion)[:depth]
    return ranking
