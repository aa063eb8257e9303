"""A one-shot query's vectors, read beside its imports: used only when they are the engine's own.

``hsearch query`` starts opening the vector segments before it imports the
engine (search/vector_prefetch.py).  The engine must answer exactly as it does
without that, use the early store only when its snapshot names the same
commit, and report damage through its own path.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hsearch.index import layout
from hsearch.index import manifest as manifest_io
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import delete_ids, index_paths
from hsearch.search.engine import SearchEngine
from hsearch.search.request import SearchRequest
from hsearch.search.vector_prefetch import VectorPrefetch

from .conftest import SEED_ARTICLE_ID, assert_clean_failure, cli, copy_of, write_jsonl

KURSK = "कुर्स्क"


@pytest.fixture
def index_dir(seed_index: Path, tmp_path: Path) -> Path:
    return copy_of(seed_index, tmp_path)


def ranked(engine: SearchEngine, text: str, mode: str) -> list[tuple[str, float]]:
    return [(hit.id, round(hit.score, 6)) for hit in engine.search(SearchRequest.of(text, mode=mode, k=10)).hits]


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_an_engine_answers_the_same_with_its_vectors_read_early(index_dir: Path, mode: str) -> None:
    with SearchEngine(index_dir) as plain:
        expected = ranked(plain, "उत्तर कोरिया के सैनिक", mode)
    prefetch = VectorPrefetch(index_dir)
    with SearchEngine(index_dir, prefetched=prefetch) as engine:
        assert ranked(engine, "उत्तर कोरिया के सैनिक", mode) == expected
        assert engine.snapshot().semantic is not None and engine.snapshot().semantic.store is not None
    assert expected and expected[0][0] == SEED_ARTICLE_ID


def test_the_early_store_is_handed_over_only_for_the_commit_it_was_opened_from(index_dir: Path) -> None:
    prefetch = VectorPrefetch(index_dir)
    current = manifest_io.load(index_dir)
    store = prefetch.take(current)
    assert store is not None and len(store.stores) >= 1
    assert prefetch.take(current) is None  # handed over once

    stale = VectorPrefetch(index_dir)
    delete_ids(index_dir, [SEED_ARTICLE_ID])  # a commit lands between the prefetch and the engine's open
    assert stale.take(manifest_io.load(index_dir)) is None


def test_a_commit_between_the_early_read_and_the_engine_is_never_mixed_in(index_dir: Path, tmp_path: Path) -> None:
    prefetch = VectorPrefetch(index_dir)
    news = write_jsonl(tmp_path / "new.jsonl", [{
        "id": "kursk-bridge", "title": "कुर्स्क में नया पुल खुला",
        "body": "कुर्स्क क्षेत्र में नदी पर बना नया पुल आज यातायात के लिए खोल दिया गया। पुल से गांवों का संपर्क जुड़ा।",
        "date": "2025-09-01", "source": "लोक ख़बर", "category": "world"}])
    index_paths(index_dir, [news], IndexSettings())
    delete_ids(index_dir, [SEED_ARTICLE_ID])
    with SearchEngine(index_dir, prefetched=prefetch) as engine:
        ids = [hit.id for hit in engine.search(SearchRequest.of("कुर्स्क में पुल", mode="semantic", k=20,
                                                                min_score=0)).hits]
    assert "kursk-bridge" in ids and SEED_ARTICLE_ID not in ids


def test_damaged_vectors_are_reported_by_the_engine_as_without_the_early_read(index_dir: Path) -> None:
    built = manifest_io.load(index_dir)
    folder = layout.vector_segment_dir(index_dir, built.segments[0].name)
    (folder / "vectors.npy").write_bytes(b"not an array")
    prefetch = VectorPrefetch(index_dir)
    assert prefetch.take(built) is None
    result = cli("query", KURSK, "--index", index_dir, "--mode", "semantic")
    assert_clean_failure(result, "cannot be read", "verify --repair")


def test_a_bm25_query_and_a_sharded_index_read_no_vectors_early(index_dir: Path, tmp_path: Path) -> None:
    assert VectorPrefetch.for_query(index_dir, "bm25") is None
    assert VectorPrefetch.for_query(index_dir, None) is not None
    shards = tmp_path / "shards"
    result = cli("index", "--shards", "2", "--index", shards, *sorted((Path(__file__).parent.parent / "seeds").glob("kursk*")))
    assert result.exit_code == 0, result.output
    assert VectorPrefetch.for_query(shards, "hybrid") is None


def test_hsearch_query_in_every_mode_prints_what_the_engine_ranks(index_dir: Path) -> None:
    for mode in ("bm25", "semantic", "hybrid"):
        result = cli("query", KURSK, "--index", index_dir, "--mode", mode, "--format", "trec")
        assert result.exit_code == 0, result.output
        with SearchEngine(index_dir) as engine:
            expected = [hit.id for hit in engine.search(SearchRequest.of(KURSK, mode=mode, k=10)).hits]
        assert [line.split()[2] for line in result.output.splitlines()] == expected


def test_the_query_encoder_is_handed_over_only_for_the_index_model(index_dir: Path) -> None:
    built = manifest_io.load(index_dir)
    assert built.model is not None
    assert VectorPrefetch(index_dir).take_encoder(replace(built.model, name="labse", dim=768)) is None
    early = VectorPrefetch(index_dir).take_encoder(built.model)
    assert early is not None and early.spec == built.model

    prefetch = VectorPrefetch(index_dir)
    with SearchEngine(index_dir, prefetched=prefetch) as engine:
        assert ranked(engine, KURSK, "semantic")
        assert engine.snapshot().semantic is not None and engine.snapshot().semantic.loaded_encoder is not None
    assert prefetch.take_encoder(built.model) is None  # the engine took it
