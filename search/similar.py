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

import numpy as np
from whoosh import query as wq

from hsearch.index.errors import ArticleNotFoundError

from .expansion import QueryPlan
from .fusion import FusionSettings
from .retrieval import Ranked, Ranking, combine
from .snapshot import Snapshot

KEY_TERMS = 20


def similar_ranking(snapshot: Snapshot, article_id: str, mode: str, depth: int, fusion: FusionSettings) -> Ranking:
    """The ranking of articles like ``article_id`` in ``mode`` (resolved), its story excluded; ``depth`` per side."""
    stored = snapshot.fulltext.documents([article_id]).get(article_id)
    if stored is None:
        raise ArticleNotFoundError(article_id, snapshot.index_dir)
    own_story = snapshot.stories.stories([article_id])[article_id]
    wanted = max(depth, fusion.candidates)

    def others(ranked: Ranked) -> Ranked:
        story_of = snapshot.stories.stories([doc for doc, _ in ranked])
        return [(doc, score) for doc, score in ranked if doc != article_id and story_of[doc] != own_story]

    terms: frozenset[str] = frozenset()
    bm25: Ranked = []
    dense: Ranked = []
    if mode in ("bm25", "hybrid"):
        text = f"{stored.get('title', '')}\n{stored.get('body', '')}"
        weighted = snapshot.fulltext.key_terms(text, KEY_TERMS)
        terms = frozenset(term for term, _ in weighted)
        if weighted:
            query = wq.Or([wq.Term(field, term, boost=weight) for term, weight in weighted
                           for field in ("title", "body")])
            bm25 = others(snapshot.fulltext.search(query, wanted + 1))
    if mode in ("semantic", "hybrid") and snapshot.semantic is not None:
        vectors = snapshot.semantic.store.vectors_of(article_id)
        if len(vectors):
            centroid = vectors.mean(axis=0)
            centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
            hits = snapshot.semantic.store.search(centroid, wanted + 1)
            dense = others([(h.article_id, h.score) for h in hits])
    # The article's own key terms are the whole query, so its best other match stands for a full match.
    title = str(stored.get("title") or "")
    return combine(mode, bm25, dense, terms, QueryPlan(text=title, semantic_text=title), fusion, depth=depth,
                   bm25_upper=bm25[0][1] if bm25 else 0.0)
