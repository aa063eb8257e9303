"""Query behaviour on the seed corpus: operators, stemming, filters, both sides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths

from hsearch.search.engine import SearchEngine
from hsearch.search.filters import Filters
from hsearch.search.request import SearchRequest

from .conftest import SEED_ARTICLE_ID


def ids(engine: SearchEngine, text: str, mode: str = "bm25", k: int = 10, **filters: str) -> list[str]:
    return [hit.id for hit in engine.search(SearchRequest.of(text, mode=mode, k=k, filters=Filters.parse(**filters))).hits]


def test_inflected_query_meets_the_form_in_the_text(seed_engine: SearchEngine) -> None:
    # The seed says "सैनिकों के साहस"; the query's plural-oblique and singular forms must both find it.
    assert SEED_ARTICLE_ID in ids(seed_engine, "सैनिक")
    assert SEED_ARTICLE_ID in ids(seed_engine, "सैनिकों")


def test_more_matching_words_rank_higher_but_not_all_are_required(tmp_path: Path) -> None:
    corpus = tmp_path / "news.jsonl"
    rows = [
        {"id": "both", "title": "समाचार", "body": "रूस ने कुर्स्क में पुनर्निर्माण की घोषणा की है।"},
        {"id": "kursk-only", "title": "समाचार", "body": "रूस ने कुर्स्क में नई सड़क की घोषणा की है।"},
        {"id": "rebuild-only", "title": "समाचार", "body": "रूस ने शहर में पुनर्निर्माण की घोषणा की है।"},
        {"id": "neither", "title": "समाचार", "body": "भारत ने दिल्ली में नई सड़क की घोषणा की है।"},
    ]
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    index_paths(tmp_path / "ix", [corpus], IndexSettings(model="none"))
    with SearchEngine(tmp_path / "ix") as engine:
        found = ids(engine, "कुर्स्क पुनर्निर्माण")
    assert found[0] == "both"
    assert set(found) == {"both", "kursk-only", "rebuild-only"}


def test_quoted_phrase_needs_the_words_together(seed_engine: SearchEngine) -> None:
    assert ids(seed_engine, '"पूर्ण समर्थन"')[0] == SEED_ARTICLE_ID
    assert SEED_ARTICLE_ID not in ids(seed_engine, '"समर्थन पूर्ण"')


def test_plus_must_and_minus_not(seed_engine: SearchEngine) -> None:
    must = ids(seed_engine, "+कुर्स्क समर्थन", k=50)
    assert must == [SEED_ARTICLE_ID]
    assert SEED_ARTICLE_ID not in ids(seed_engine, "समर्थन -कुर्स्क", k=50)


@pytest.mark.parametrize("text", ['"', "(", "किम)", "सियोल: पुतिन", "AND", "NOT", "*", "कुर्स्क^2", "[a TO", "~", "-", "+"])
def test_query_syntax_characters_never_crash(seed_engine: SearchEngine, text: str) -> None:
    for mode in ("bm25", "hybrid"):
        hits = seed_engine.search(SearchRequest.of(text, mode=mode)).hits
        assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1)), (text, mode)
        assert len({hit.id for hit in hits}) == len(hits) and all(hit.title or hit.snippet for hit in hits)
    if "किम" in text or "कुर्स्क" in text:  # a real word survives the syntax around it
        assert SEED_ARTICLE_ID in ids(seed_engine, text, mode="bm25", k=10)


def test_colon_in_a_hindi_query_is_text_not_a_field(seed_engine: SearchEngine) -> None:
    assert ids(seed_engine, "सियोल: किम")[0] == SEED_ARTICLE_ID


def test_semantic_finds_the_seed_article_for_hindi_words_it_does_not_use(seed_engine: SearchEngine) -> None:
    # "सैन्य सहयोग" (military cooperation): the article speaks of troops, a defence pact, aid.
    assert SEED_ARTICLE_ID in ids(seed_engine, "उत्तर कोरिया सैन्य सहयोग", mode="semantic", k=3)


def test_english_query_reaches_the_hindi_article_through_hybrid(seed_engine: SearchEngine) -> None:
    hits = seed_engine.search(SearchRequest.of("North Korean troops in Kursk", mode="hybrid", k=5)).hits
    assert hits[0].id == SEED_ARTICLE_ID
    assert hits[0].cosine_rank == 1


def test_date_filter_excludes_undated_articles(seed_engine: SearchEngine) -> None:
    # the seed article alone says कुर्स्क, and it has no date; the Wikinews articles are dated
    assert ids(seed_engine, "कुर्स्क", mode="bm25", date_from="2020-01-01") == []
    for mode in ("hybrid", "semantic"):
        request = SearchRequest("कुर्स्क", mode=mode, min_score=0, filters=Filters.parse(date_from="2020-01-01"))
        found = [hit.id for hit in seed_engine.search(request).hits]
        assert found and SEED_ARTICLE_ID not in found


def test_category_filter_applies_to_the_vector_side_too(seed_engine: SearchEngine) -> None:
    # min_score=0: this pins the filter; the relevance decision is pinned in test_relevance.py
    hits = seed_engine.search(SearchRequest.of("football match", mode="semantic", k=5, min_score=0,
                                               filters=Filters.parse(category="sports"))).hits
    assert hits and all(hit.category == "sports" for hit in hits)


def test_a_lone_bm25_hit_is_scaled_by_how_much_of_the_query_it_covers(seed_engine: SearchEngine) -> None:
    fulltext = seed_engine.fulltext
    full = fulltext.parse("कुर्स्क")
    (top,) = fulltext.search(full, 10)
    assert fulltext.reference_score(full, top) == pytest.approx(top[1])  # covers the whole query: 1.0
    partial = fulltext.parse("कुर्स्क हेस्पेरोनिकस")  # the second word is in another article only
    seed_hit = next(hit for hit in fulltext.search(partial, 10) if hit[0] == SEED_ARTICLE_ID)
    assert fulltext.reference_score(partial, seed_hit) > 1.5 * seed_hit[1]


def test_hybrid_keeps_a_rare_exact_name_first_when_the_vectors_miss_it(seed_engine: SearchEngine) -> None:
    hits = seed_engine.search(SearchRequest.of("कुर्स्क", mode="hybrid", k=3)).hits
    assert hits[0].id == SEED_ARTICLE_ID and hits[0].bm25_rank == 1
