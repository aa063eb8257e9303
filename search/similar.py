"""Articles like a given one ("more like this"): its own text is the query on both sides.

* BM25: the article's key terms against the index (Whoosh's ``key_terms``,
  Bo1 divergence-from-randomness weights: words frequent in this article and
  rare in the index), each searched in headline and body with its weight.
* Vectors: the mean of the article's stored passage vectors (its overall
  topic), renormalized, searched like a query vector; nothing is re-embedded.

Both sides drop the article and every copy of its story *before* fusion, so
the copies neither fill the page nor stretch the normalization; the two
sides are then fused with the engine's hybrid settings, judged by the same
relevance decision as a search (:mod:`hsearch.search.relevance`, with the
article's key terms as the query's words, weighted as Bo1 weighs them, and
the centroid's cosine at rank 50 over the whole index as the background), and
collapsed and paged like a search.  So the list stops where the articles stop
being like this one.  Stopwords are never key terms: they are not what an
article is about, and they would be highlighted.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from hsearch.index.analysis import STOPWORDS
from hsearch.index.errors import ArticleNotFoundError

from .expansion import QueryPlan
from .fusion import FusionSettings
from .relevance import BACKGROUND_RANK, QueryContext, Signals, background, coverage, override, similar_floor
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
    weighted: list[tuple[str, float]] = []
    bm25: Ranked = []
    dense: Ranked = []
    if mode in ("bm25", "hybrid"):
        text = f"{stored.get('title', '')}\n{stored.get('body', '')}"
        weighted = [(term, weight) for term, weight in snapshot.fulltext.key_terms(text, KEY_TERMS + len(STOPWORDS))
                    if term not in STOPWORDS and not term.isdigit()][:KEY_TERMS]
        terms = frozenset(term for term, _ in weighted)
        if weighted:
            query = wq.Or([wq.Term(field, term, boost=weight) for term, weight in weighted
                           for field in ("title", "body")])
            bm25 = others(snapshot.fulltext.search(query, wanted + 1))
    base = None
    if mode in ("semantic", "hybrid") and snapshot.semantic is not None:
        vectors = snapshot.semantic.store.vectors_of(article_id)
        if len(vectors):
            centroid = vectors.mean(axis=0)
            centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
            hits = snapshot.semantic.store.search(centroid, max(wanted + 1, BACKGROUND_RANK))
            base = background([(h.article_id, h.score) for h in hits])
            dense = others([(h.article_id, h.score) for h in hits])
    floor = similar_floor(snapshot.manifest.model) if fusion.min_score is None else \
        (override(fusion.min_score) if fusion.min_score > 0 else None)
    signals = None
    if floor is not None:
        groups = [({term: 1.0}, weight) for term, weight in weighted] if terms else []
        shares = coverage(groups, snapshot.fulltext.matched_terms(terms, [d for d, _ in bm25])) if bm25 else {}
        context = QueryContext(background=base, has_terms=bool(terms), latin=False, lexical_hits=bool(bm25),
                               groups=len(groups))
        signals = Signals(context, shares)
    # The article's own key terms are the whole query, so its best other match stands for a full match.
    title = str(stored.get("title") or "")
    return combine(mode, bm25, dense, terms, QueryPlan(text=title, semantic_text=title), fusion, depth=depth,
                   bm25_upper=bm25[0][1] if bm25 else 0.0, lexical=frozenset(d for d, _ in bm25), floor=floor,
                   signals=signals)
