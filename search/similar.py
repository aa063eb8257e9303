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

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from whoosh import query as wq

from hsearch.index.analysis import STOPWORDS
from hsearch.index.errors import ArticleNotFoundError
from hsearch.index.model_spec import ModelSpec

from .expansion import QueryPlan
from .fusion import FusionSettings
from .relevance import BACKGROUND_RANK, QueryContext, Signals, background, coverage, override, similar_floor
from .retrieval import Ranked, Ranking, combine
from .snapshot import Snapshot

KEY_TERMS = 20


def key_terms(fulltext: object, stored: Mapping[str, object]) -> list[tuple[str, float]]:
    """The article's :data:`KEY_TERMS` best key terms with their Bo1 weights, stopwords and numbers left out."""
    text = f"{stored.get('title', '')}\n{stored.get('body', '')}"
    found = fulltext.key_terms(text, KEY_TERMS + len(STOPWORDS))  # type: ignore[attr-defined]
    return [(term, weight) for term, weight in found if term not in STOPWORDS and not term.isdigit()][:KEY_TERMS]


def key_terms_query(weighted: Sequence[tuple[str, float]]) -> wq.Query:
    """The key terms searched in headline and body, each with its weight."""
    return wq.Or([wq.Term(field, term, boost=weight) for term, weight in weighted for field in ("title", "body")])


def centroid(vectors: np.ndarray) -> np.ndarray | None:
    """The mean of an article's passage vectors, renormalized (None when it has none)."""
    if not len(vectors):
        return None
    mean = vectors.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def similar_ranking(snapshot: Snapshot, article_id: str, mode: str, depth: int, fusion: FusionSettings) -> Ranking:
    """The ranking of articles like ``article_id`` in ``mode`` (resolved), its story excluded; ``depth`` per side."""
    stored = snapshot.fulltext.documents([article_id]).get(article_id)
    if stored is None:
        raise ArticleNotFoundError(article_id, snapshot.index_dir)
    wanted = max(depth, fusion.candidates)
    weighted = key_terms(snapshot.fulltext, stored) if mode in ("bm25", "hybrid") else []
    bm25 = snapshot.fulltext.search(key_terms_query(weighted), wanted + 1) if weighted else []
    dense: Ranked = []
    if mode in ("semantic", "hybrid") and snapshot.semantic is not None:
        vector = centroid(snapshot.semantic.store.vectors_of(article_id))
        if vector is not None:
            dense = [(h.article_id, h.score) for h in
                     snapshot.semantic.store.search(vector, max(wanted + 1, BACKGROUND_RANK))]
    return rank_similar(mode, article_id, str(stored.get("title") or ""), weighted, bm25, dense,
                        story_of=snapshot.stories.stories, matched_terms=snapshot.fulltext.matched_terms,
                        model=snapshot.manifest.model, fusion=fusion, depth=depth)


def rank_similar(mode: str, article_id: str, title: str, weighted: Sequence[tuple[str, float]], bm25: Ranked,
                 dense: Ranked, *, story_of: Callable[[Sequence[str]], Mapping[str, str]],
                 matched_terms: Callable[[frozenset[str], list[str]], Mapping[str, set[str]]],
                 model: ModelSpec | None, fusion: FusionSettings, depth: int) -> Ranking:
    """The similar-articles ranking from each side's raw list (one index's, or a sharded index's merged lists).

    ``dense`` is the centroid's neighbours over the whole index, deep enough
    for the background; both sides then drop the article and its story.
    """
    own_story = story_of([article_id])[article_id]

    def others(ranked: Ranked) -> Ranked:
        stories = story_of([doc for doc, _ in ranked])
        return [(doc, score) for doc, score in ranked if doc != article_id and stories[doc] != own_story]

    terms = frozenset(term for term, _ in weighted)
    base = background(dense) if dense else None
    bm25, dense = others(bm25), others(dense)
    floor = similar_floor(model) if fusion.min_score is None else \
        (override(fusion.min_score) if fusion.min_score > 0 else None)
    signals = None
    if floor is not None:
        groups = [({term: 1.0}, weight) for term, weight in weighted] if terms else []
        shares = coverage(groups, matched_terms(terms, [d for d, _ in bm25])) if bm25 else {}
        context = QueryContext(background=base, has_terms=bool(terms), latin=False, lexical_hits=bool(bm25),
                               groups=len(groups))
        signals = Signals(context, shares)
    # The article's own key terms are the whole query, so its best other match stands for a full match.
    return combine(mode, bm25, dense, terms, QueryPlan(text=title, semantic_text=title), fusion, depth=depth,
                   bm25_upper=bm25[0][1] if bm25 else 0.0, lexical=frozenset(d for d, _ in bm25), floor=floor,
                   signals=signals)
