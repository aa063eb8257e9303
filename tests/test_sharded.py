"""A sharded index answers as one index: routing, global BM25 statistics, fusion, stories and pages at the ingress.

Everything here runs the shards in this process (:class:`LocalShardClient`);
tests/test_serve_ray.py runs the same shards as Ray Serve deployments.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hsearch.index import layout, manifest as manifest_io
from hsearch.index import shards as shard_set
from hsearch.index.encoders import encoder_for_name
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.index.errors import ArticleNotFoundError
from hsearch.search.engine import SearchEngine
from hsearch.search.engine_pool import EnginePool
from hsearch.search.filters import Filters
from hsearch.search.request import SearchRequest
from hsearch.search.server import create_app
from hsearch.search.sharded import ShardedEngine, local_clients
from hsearch.search.sharded_pool import ShardedPool

from .conftest import SEEDS, assert_clean_failure, assert_ok, cli, write_jsonl

SEED_STORY = "000_d92fd9f8a8b58e48"
QUERIES = ["कुर्स्क", "वायरस", "kursk putin samarthan", "coronavirus vaccine", '+रूस "पूर्ण समर्थन"', "रूस -किम",
           "भूकंप", "कुर्सक", "चुनाव में जीत", "!!!"]
PAGES = [dict(), dict(collapse=False), dict(sort="date"), dict(k=5, offset=5), dict(k=3, offset=0, collapse=False)]
FILTERS = [Filters(), Filters.parse(source="TICO-19"), Filters.parse(date_from="2020-03-01", date_to="2020-12-31")]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample archive as one index and as an index of 3 shards, with the same encoder."""
    encoder = encoder_for_name("e5-small")
    root = tmp_path_factory.mktemp("sharded")
    index_paths(root / "one", [SEEDS], IndexSettings(), encoder=encoder)
    shard_set.index_sharded(root / "three", [SEEDS], IndexSettings(), shards=3, encoder=encoder)
    return root / "one", root / "three"


@pytest.fixture(scope="module")
def engines(indexes: tuple[Path, Path]) -> Iterator[tuple[SearchEngine, ShardedEngine]]:
    one, three = indexes
    with SearchEngine(one) as single, ShardedEngine.local(three) as sharded:
        yield single, sharded


def page_of(result: Any) -> list[tuple[str, float, tuple[str, ...]]]:
    return [(hit.id, hit.score, tuple(c.id for c in hit.copies)) for hit in result.hits]


def tie_groups(hits: list[Any]) -> list[list[Any]]:
    """Runs of hits with the same score: BM25 ties (identical texts, or equal statistics)."""
    groups: list[list[Any]] = []
    for hit in hits:
        if groups and hit.score == pytest.approx(groups[-1][0].score, rel=1e-12, abs=1e-15):
            groups[-1].append(hit)
        else:
            groups.append([hit])
    return groups


def assert_same_page(one: Any, many: Any) -> None:
    """The same hits, scores (to float tolerance), copies and totals.

    One index breaks a tie of equal scores by Whoosh's document number (the
    order articles were added and segments merged), which no shard knows; so
    hits of equal score are compared as a set, and a tie cut by the page's end
    by its size.
    """
    # cosines are float32 dot products (a segment's rows and a shard's sum in another order), and min-max
    # fusion divides by the spread: equal to float32 precision, not to the last bit
    assert [h.score for h in many.hits] == pytest.approx([h.score for h in one.hits], rel=1e-5, abs=1e-5)
    expected, found = tie_groups(one.hits), tie_groups(many.hits)
    assert len(found) == len(expected)
    for number, (a, b) in enumerate(zip(expected, found, strict=True)):
        if number < len(expected) - 1 or not one.more:
            assert {h.id for h in b} == {h.id for h in a}
    copies = {h.id: {c.id for c in h.copies} for h in one.hits}
    assert all({c.id for c in h.copies} == copies[h.id] for h in many.hits if h.id in copies)
    assert (many.total, many.offset, many.more) == (one.total, one.offset, one.more)
    assert not many.partial


def test_articles_are_routed_by_a_stable_hash_of_their_id(indexes: tuple[Path, Path]) -> None:
    _, three = indexes
    built = shard_set.load(three)
    assert built.names == ("000", "001", "002")
    # blake2b of the id, not Python's per-process hash: the same shard on every machine and in every run
    digest = hashlib.blake2b(SEED_STORY.encode("utf-8"), digest_size=8).digest()
    assert shard_set.shard_of(SEED_STORY, 3) == int.from_bytes(digest, "little") % 3
    held = [manifest_io.load(folder).articles for folder in built.dirs(three)]
    assert sum(held) == built.articles == 154
    assert all(count > 20 for count in held)  # 154 articles spread over 3 shards, none empty
    health = shard_set.verify_set(three)
    assert health.healthy, shard_set.shard_health_words(health)


@pytest.mark.parametrize("mode", ["bm25", "semantic", "hybrid"])
def test_the_sharded_index_gives_one_index_answers(engines: tuple[SearchEngine, ShardedEngine], mode: str) -> None:
    single, sharded = engines
    compared = 0
    for text in QUERIES:
        for filters in FILTERS:
            for page in PAGES:
                request = SearchRequest.of(text, mode=mode, filters=filters, **page)
                one, many = single.search(request), sharded.search(request)
                assert_same_page(one, many)
                compared += bool(one.hits)
    assert compared > 60  # most combinations have results: the comparison is not of empty pages


def test_bm25_scores_with_the_whole_collection_statistics(indexes: tuple[Path, Path],
                                                          engines: tuple[SearchEngine, ShardedEngine]) -> None:
    """A shard alone scores a word by its own N and document frequency; with the set's, as one index does."""
    single, sharded = engines
    _, three = indexes
    expected = dict(single.rank("वायरस", mode="bm25", depth=200).ranked)
    owner = next(n for n, d in enumerate(shard_set.load(three).dirs(three)) if SearchEngine(d).article("tico19-799"))
    with SearchEngine(shard_set.load(three).dirs(three)[owner]) as alone:
        local = dict(alone.rank("वायरस", mode="bm25", depth=200).ranked)
    assert local["tico19-799"] != pytest.approx(expected["tico19-799"], rel=1e-6)
    assert dict(sharded.rank("वायरस", mode="bm25", depth=200).ranked) == pytest.approx(expected, rel=1e-12)


def test_copies_held_by_different_shards_fold_into_one_hit(indexes: tuple[Path, Path],
                                                           engines: tuple[SearchEngine, ShardedEngine]) -> None:
    _, three = indexes
    _, sharded = engines
    built = shard_set.load(three)
    copies = [f"{SEED_STORY}~{n}" for n in range(1, 10)] + [SEED_STORY]
    assert len({built.owner(c) for c in copies}) == 3  # the story's ten copies are on all three shards
    result = sharded.search(SearchRequest.of("कुर्स्क", mode="hybrid"))
    assert len(result.hits) == 1
    assert {result.hits[0].id, *(c.id for c in result.hits[0].copies)} == set(copies)


class DeadShard:
    """A shard whose every replica is gone: each call fails, as a Ray handle's does."""

    def __init__(self, name: str) -> None:
        self.name = name

    def call(self, method: str, *args: Any) -> Future[Any]:
        failed: Future[Any] = Future()
        failed.set_exception(ConnectionError(f"shard {self.name} has no live replica"))
        return failed

    def close(self) -> None:
        pass


def test_similar_articles_over_shards(engines: tuple[SearchEngine, ShardedEngine]) -> None:
    """The centroid's neighbours are one index's exactly; the key terms are weighted by the owning shard's own
    statistics (Bo1 needs collection frequencies the set's table does not keep), so BM25's list may differ."""
    single, sharded = engines
    article = "tico19-853"  # a COVID-19 report: other reports are like it
    assert page_of(sharded.similar(article, mode="semantic")) == page_of(single.similar(article, mode="semantic"))
    for mode in ("bm25", "hybrid"):
        found = sharded.similar(article, mode=mode).hits
        assert found and all(hit.id.startswith("tico19-") and hit.id != article for hit in found)
    assert sharded.similar("000_d92fd9f8a8b58e48").hits == []  # the Kursk story: nothing else is about it
    with pytest.raises(ArticleNotFoundError):
        sharded.similar("no-such-article")


def test_a_dead_shard_gives_a_partial_page_that_says_so(indexes: tuple[Path, Path]) -> None:
    _, three = indexes
    clients: list[Any] = local_clients(three)
    try:
        clients[1] = DeadShard("001")
        with ShardedEngine(three, clients) as engine:
            result = engine.search(SearchRequest.of("वायरस", mode="hybrid", k=20))
            assert result.partial and result.failed_shards == ("001",)
            built = shard_set.load(three)
            assert result.hits and all(built.owner(hit.id) != 1 for hit in result.hits)
            health = engine.health()
            assert [(s["name"], s["status"]) for s in health] == [("000", "ok"), ("001", "down"), ("002", "ok")]
    finally:
        for client in clients:
            client.close()


def test_writes_reach_the_owning_shard_and_a_serving_engine_follows(tmp_path: Path) -> None:
    target = tmp_path / "live"
    records = [{"id": f"a{n}", "title": f"खबर {n}", "body": f"दिल्ली में बारिश हुई और सड़कें भर गईं, दिन {n}।"}
               for n in range(12)]
    source = write_jsonl(tmp_path / "news.jsonl", records)
    assert_ok(cli("index", str(source), "--index", str(target), "--shards", "2", "--model", "none"))
    with ShardedEngine.local(target) as engine:
        assert len(engine.search(SearchRequest.of("बारिश", k=20, collapse=False)).hits) == 12
        replaced = write_jsonl(tmp_path / "fix.jsonl", [{"id": "a3", "title": "भूकंप", "body": "पहाड़ों में भूकंप आया।"}])
        result = assert_ok(cli("index", str(replaced), "--index", str(target)))
        assert "1 replaced" in result.output
        owner = shard_set.load(target).dirs(target)[shard_set.shard_of("a3", 2)]
        assert SearchEngine(owner).article("a3")["title"] == "भूकंप"
        assert_ok(cli("delete", "a5", "--index", str(target)))
        hits = [h.id for h in engine.search(SearchRequest.of("बारिश", k=20, collapse=False)).hits]
        assert sorted(hits) == sorted(f"a{n}" for n in range(12) if n not in (3, 5))
        assert [h.id for h in engine.search(SearchRequest.of("भूकंप")).hits] == ["a3"]
    stats = json.loads(assert_ok(cli("stats", "--json", "--index", str(target))).output)
    assert stats["articles"] == 11 and [s["articles"] for s in stats["shards"]] == [
        manifest_io.load(d).articles for d in shard_set.load(target).dirs(target)]
    assert "2 shards" in assert_ok(cli("verify", "--index", str(target))).output


def test_a_shard_built_otherwise_is_refused(indexes: tuple[Path, Path], tmp_path: Path) -> None:
    _, three = indexes
    copy = tmp_path / "copy"
    shutil.copytree(three, copy)
    odd = shard_set.load(copy).dirs(copy)[2]
    built = manifest_io.load(odd)
    manifest_io.save(odd, replace(built, model=replace(built.model, name="labse", dim=768)))
    with pytest.raises(shard_set.ShardMismatchError, match="shard 002"):
        ShardedEngine.local(copy)
    assert_clean_failure(cli("query", "कुर्स्क", "--index", str(copy)), "shard 002", "labse")


def test_a_single_index_splits_into_shards_with_the_same_answers(indexes: tuple[Path, Path],
                                                                 engines: tuple[SearchEngine, ShardedEngine],
                                                                 tmp_path: Path) -> None:
    one, _ = indexes
    single, _ = engines
    result = assert_ok(cli("split", str(tmp_path / "two"), "--shards", "2", "--index", str(one)))
    assert "154 articles" in result.output
    with ShardedEngine.local(tmp_path / "two") as split:
        for text in ("कुर्स्क", "coronavirus vaccine"):
            for mode in ("bm25", "hybrid"):
                request = SearchRequest.of(text, mode=mode)
                assert_same_page(single.search(request), split.search(request))
    assert_ok(cli("verify", "--index", str(tmp_path / "two")))


def test_verify_repair_rewrites_the_sets_tables(indexes: tuple[Path, Path], tmp_path: Path) -> None:
    _, three = indexes
    copy = tmp_path / "copy"
    shutil.copytree(three, copy)
    layout.collection_path(copy).unlink()
    layout.stories_path(copy).unlink()
    assert_clean_failure(cli("verify", "--index", str(copy)), "collection statistics", "--repair")
    assert "both sides agree" in assert_ok(cli("verify", "--repair", "--index", str(copy))).output
    assert shard_set.verify_set(copy).healthy


def test_the_server_answers_a_sharded_index_as_one(indexes: tuple[Path, Path]) -> None:
    one, three = indexes
    with EnginePool(one, 1) as single_pool, ShardedPool(three, local_clients(three), 1, own_clients=True) as pool:
        single, sharded = TestClient(create_app(single_pool)), TestClient(create_app(pool))
        for query in ("q=कुर्स्क", "q=वायरस&sort=date&page=2&k=5", "q=coronavirus%20vaccine&mode=semantic",
                      "q=वायरस&source=TICO-19&collapse=false"):
            a, b = single.get(f"/api/search?{query}").json(), sharded.get(f"/api/search?{query}").json()
            assert [(r["id"], r["score"]) for r in b["results"]] == [(r["id"], r["score"]) for r in a["results"]]
            assert b["partial"] is False and b["failed_shards"] == []
        health = sharded.get("/api/health").json()
        assert health["articles"] == 154 and [s["name"] for s in health["shards"]] == ["000", "001", "002"]
        assert {s["status"] for s in health["shards"]} == {"ok"}
        assert sharded.get("/api/stats").json()["articles"] == 154
        assert sharded.get(f"/api/articles/{SEED_STORY}~3").json()["id"] == f"{SEED_STORY}~3"


def test_a_ray_replica_answers_every_call_the_ingress_makes_of_a_shard() -> None:
    """The ingress calls shards by method name; a replica missing one would fail every such query on Ray only."""
    from hsearch.search.serve_ray import ShardReplica
    from hsearch.search.sharded import Shard

    def calls(cls: type) -> set[str]:
        return {name for name in vars(cls) if not name.startswith("_") and callable(getattr(cls, name))}

    assert calls(Shard) - {"close"} <= calls(ShardReplica)
