"""Readers follow writers: an open engine and a running server see every commit, deletions first of all.

A withdrawn article must vanish at once from every mode, from its own page,
from ``similar`` and from story copies; a replaced one must not be found by
its old words; and a query never reads two commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hsearch.index import manifest as manifest_io
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import delete_ids, index_paths
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.request import SearchRequest
from hsearch.search.engine_pool import EnginePool
from hsearch.search.server import create_app

from .conftest import SEED_ARTICLE_ID, copy_of, write_jsonl

KURSK = "कुर्स्क"


@pytest.fixture
def index_dir(seed_index: Path, tmp_path: Path) -> Path:
    return copy_of(seed_index, tmp_path)


@pytest.fixture
def engine(index_dir: Path) -> Iterator[SearchEngine]:
    with SearchEngine(index_dir, SearchSettings(preload=True)) as opened:
        yield opened


def found(engine: SearchEngine, text: str, mode: str) -> list[str]:
    return [hit.id for hit in engine.search(SearchRequest.of(text, mode=mode, k=20, min_score=0)).hits]


@pytest.mark.parametrize("mode", ["bm25", "semantic", "hybrid"])
def test_a_preloaded_engine_stops_showing_a_deleted_article_in_every_mode(engine: SearchEngine, index_dir: Path,
                                                                         mode: str) -> None:
    assert SEED_ARTICLE_ID in found(engine, KURSK, mode)
    delete_ids(index_dir, [SEED_ARTICLE_ID])
    assert SEED_ARTICLE_ID not in found(engine, KURSK, mode)
    assert engine.article(SEED_ARTICLE_ID) is None


def test_similar_never_lists_a_deleted_article(engine: SearchEngine, index_dir: Path) -> None:
    others = [hit.id for hit in engine.similar("wikinews-32").hits]  # Piquet's F1 crash: Massa's F1 story
    assert others
    delete_ids(index_dir, [others[0]])
    assert others[0] not in [hit.id for hit in engine.similar("wikinews-32").hits]


def test_a_replaced_article_is_found_by_its_new_words_only(engine: SearchEngine, index_dir: Path,
                                                           tmp_path: Path) -> None:
    assert found(engine, "स्टैनफ़ोर्ड", "bm25")[:1] == ["wikinews-1"]
    source = write_jsonl(tmp_path / "correction.jsonl", [
        {"id": "wikinews-1", "title": "सुधार: बिहार में बाढ़ से नदियाँ उफान पर",
         "body": "पटना में गंगा नदी का जलस्तर खतरे के निशान से ऊपर पहुँच गया है।"}])
    index_paths(index_dir, [source], IndexSettings())
    assert "wikinews-1" not in found(engine, "स्टैनफ़ोर्ड", "bm25")
    assert found(engine, "पटना", "bm25")[:1] == ["wikinews-1"]
    assert engine.article("wikinews-1")["title"].startswith("सुधार")  # type: ignore[index]


def test_a_new_article_is_found_by_an_engine_opened_before_it(engine: SearchEngine, index_dir: Path,
                                                             tmp_path: Path) -> None:
    assert "new-1" not in found(engine, "चंद्रयान", "bm25")
    source = write_jsonl(tmp_path / "new.jsonl", [
        {"id": "new-1", "title": "चंद्रयान ने चंद्रमा की नई तस्वीरें भेजीं", "body": "इसरो ने चंद्रयान की तस्वीरें जारी कीं।"}])
    index_paths(index_dir, [source], IndexSettings())
    assert found(engine, "चंद्रयान", "hybrid")[:1] == ["new-1"]


def test_both_sides_of_a_query_come_from_one_manifest(engine: SearchEngine, index_dir: Path) -> None:
    before = engine.snapshot()
    delete_ids(index_dir, [SEED_ARTICLE_ID])
    after = engine.snapshot()
    assert after is not before
    committed = manifest_io.load(index_dir)
    assert after.manifest == committed
    assert after.fulltext.generation == committed.fulltext_generation
    assert after.fulltext.doc_count == committed.articles
    assert after.semantic is not None and after.semantic.built == committed
    assert engine.snapshot() is after  # no commit since: the same snapshot, nothing reopened


def test_a_running_server_follows_delete_add_and_replace(index_dir: Path, tmp_path: Path) -> None:
    pool = EnginePool(index_dir, size=2)
    try:
        with TestClient(create_app(pool)) as client:
            def ids(text: str, mode: str = "hybrid") -> list[str]:
                response = client.get("/api/search", params={"q": text, "mode": mode, "min_score": 0})
                assert response.status_code == 200, response.text
                return [hit["id"] for hit in response.json()["results"]]

            for _ in range(2):  # both engines of the pool have opened the index
                assert SEED_ARTICLE_ID in ids(KURSK, "bm25")
            assert client.get(f"/api/articles/{SEED_ARTICLE_ID}").status_code == 200
            delete_ids(index_dir, [SEED_ARTICLE_ID])
            for _ in range(2):
                assert SEED_ARTICLE_ID not in ids(KURSK, "bm25")
                assert SEED_ARTICLE_ID not in ids(KURSK, "hybrid")
                assert client.get(f"/api/articles/{SEED_ARTICLE_ID}").status_code == 404
            source = write_jsonl(tmp_path / "more.jsonl", [
                {"id": "new-1", "title": "चंद्रयान ने चंद्रमा की नई तस्वीरें भेजीं",
                 "body": "इसरो ने चंद्रयान की तस्वीरें जारी कीं।"},
                {"id": "wikinews-1", "title": "सुधार: बिहार में बाढ़", "body": "पटना में गंगा का जलस्तर बढ़ा।"}])
            index_paths(index_dir, [source], IndexSettings())
            for _ in range(2):
                assert ids("चंद्रयान", "bm25")[:1] == ["new-1"]
                assert "wikinews-1" not in ids("स्टैनफ़ोर्ड", "bm25")
                assert client.get("/api/articles/wikinews-1").json()["title"] == "सुधार: बिहार में बाढ़"
    finally:
        pool.close()
