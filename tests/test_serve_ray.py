"""A sharded index on Ray Serve: one deployment per shard on a private local cluster, the same answers as one index.

The cluster is small (2 CPUs, bound to 127.0.0.1, dashboard off) and is shut
down at the end of the module; run this module on its own (``-m ray``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hsearch.index import shards as shard_set
from hsearch.search.engine import SearchEngine
from hsearch.search.filters import Filters
from hsearch.search.request import SearchRequest
from hsearch.search.server import create_app
from hsearch.search.sharded import ShardedEngine
from hsearch.search.sharded_pool import ShardedPool

from .test_sharded import QUERIES, assert_same_page, indexes  # noqa: F401 - indexes: the fixture, one index and 3 shards

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
serve = pytest.importorskip("ray.serve", reason="Ray Serve (hsearch[serve]) is not installed")
from hsearch.index.ray_embedding import RayCluster, RaySettings  # noqa: E402
from hsearch.search.serve_ray import ServeSettings, app_name, deploy_shards  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow]
REPLICAS = 2


@pytest.fixture(scope="module")
def deployed(indexes: tuple[Path, Path]) -> Iterator[list[Any]]:
    """Three shards of two replicas each on a private 2-CPU cluster, torn down afterwards."""
    _, three = indexes
    with RayCluster(RaySettings(local_cpus=2)):
        try:
            yield deploy_shards(three, ServeSettings(replicas=REPLICAS, cpus_per_replica=0.25, preload=False))
        finally:
            serve.shutdown()
    assert not ray.is_initialized()


@pytest.fixture(scope="module")
def engines(indexes: tuple[Path, Path], deployed: list[Any]) -> Iterator[tuple[SearchEngine, ShardedEngine]]:
    one, three = indexes
    with SearchEngine(one) as single, ShardedEngine(three, deployed, timeout_s=20) as sharded:
        yield single, sharded


@pytest.mark.parametrize("mode", ["bm25", "semantic", "hybrid"])
def test_shards_on_ray_serve_give_one_index_answers(engines: tuple[SearchEngine, ShardedEngine], mode: str) -> None:
    single, sharded = engines
    for text in QUERIES[:6]:
        for filters in (Filters(), Filters.parse(source="TICO-19")):
            for page in (dict(), dict(sort="date", k=5, offset=5), dict(collapse=False)):
                request = SearchRequest.of(text, mode=mode, filters=filters, **page)
                assert_same_page(single.search(request), sharded.search(request))


def test_the_api_over_ray_serve_names_each_shard(indexes: tuple[Path, Path], deployed: list[Any]) -> None:
    _, three = indexes
    with ShardedPool(three, deployed, 1) as pool:
        client = TestClient(create_app(pool))
        found = client.get("/api/search?q=कुर्स्क").json()
        assert found["results"][0]["id"].startswith("000_d92fd9f8a8b58e48") and found["partial"] is False
        health = client.get("/api/health").json()
        assert [(s["name"], s["status"]) for s in health["shards"]] == [("000", "ok"), ("001", "ok"), ("002", "ok")]


def replica_actors(shard: str) -> list[Any]:
    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
             if a["name"].startswith(f"SERVE_REPLICA::{app_name(shard)}#")]
    return [ray.get_actor(name, namespace="serve") for name in names]


def test_a_killed_replica_loses_no_request(engines: tuple[SearchEngine, ShardedEngine]) -> None:
    single, sharded = engines
    request = SearchRequest.of("वायरस", mode="hybrid")
    expected = [h.id for h in single.search(request).hits]
    answers: list[list[str]] = []
    partial: list[bool] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def load() -> None:
        while not done.is_set():
            try:
                result = sharded.search(request)
                answers.append([h.id for h in result.hits])
                partial.append(result.partial)
            except BaseException as exc:  # noqa: BLE001 - counted: the test is that there are none
                errors.append(exc)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        while len(answers) < 5:
            time.sleep(0.05)
        victims = replica_actors("001")
        assert len(victims) == REPLICAS
        ray.kill(victims[0], no_restart=True)
        before = len(answers)
        deadline = time.monotonic() + 60
        while len(answers) < before + 30 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        done.set()
        worker.join(timeout=60)
    assert not errors and len(answers) >= before + 30
    assert not any(partial)
    assert all(answer == expected for answer in answers)
    deadline = time.monotonic() + 60  # Serve starts a replacement
    while len(replica_actors("001")) < REPLICAS and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(replica_actors("001")) == REPLICAS


def test_a_shard_without_replicas_gives_a_partial_page(indexes: tuple[Path, Path], deployed: list[Any]) -> None:
    """Last in the module: it removes shard 002's deployment."""
    _, three = indexes
    serve.delete(app_name("002"))
    with ShardedEngine(three, deployed, timeout_s=5) as sharded:
        result = sharded.search(SearchRequest.of("वायरस", mode="hybrid", k=20))
        assert result.partial and result.failed_shards == ("002",)
        built = shard_set.load(three)
        assert result.hits and all(built.owner(hit.id) != 2 for hit in result.hits)
        assert [s["status"] for s in sharded.health()] == ["ok", "ok", "down"]
    with ShardedPool(three, deployed, 1) as pool:
        body = TestClient(create_app(pool)).get("/api/search?q=वायरस").json()
        assert body["partial"] is True and body["failed_shards"] == ["002"] and body["results"]
