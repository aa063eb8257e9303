"""The HTTP API as a client meets it: FastAPI's test client over the seed index."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from fastapi.testclient import TestClient

from hsearch.index.errors import HsearchError
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.engine import SearchEngine
from hsearch.search.engine_pool import EnginePool
from hsearch.search.server import WEB_DIR, create_app, listen
from hsearch.search.request import SearchRequest

from .conftest import RECORDS, SEED_ARTICLE_ID, SEED_ARTICLES, SEED_CORPUS
from hsearch.index.writer import IndexRun

SERVE = [sys.executable, "-c", "from hsearch.search.cli import main; main()", "serve"]


@pytest.fixture(scope="module")
def pool(seed_index: Path) -> Iterator[EnginePool]:
    engines = EnginePool(seed_index, size=2)
    yield engines
    engines.close()


@pytest.fixture(scope="module")
def client(pool: EnginePool) -> Iterator[TestClient]:
    with TestClient(create_app(pool), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def text_only_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds without vectors (``--model none``): quick to build, BM25 only."""
    target = tmp_path_factory.mktemp("text-only-index")
    index_paths(target, list(SEED_CORPUS), IndexSettings(model="none"))
    return target


def copy_index(source: Path, tmp_path: Path) -> Path:
    """A private copy for tests that change the index under a running server."""
    return Path(shutil.copytree(source, tmp_path / "index"))


def write_article(tmp_path: Path, article_id: str, body: str) -> Path:
    path = tmp_path / f"{article_id}.jsonl"
    record = {"id": article_id, "title": "ताज़ा ख़बर", "body": body, "source": "Test Wire",
              "date": "2025-03-01", "url": "https://example.org/a"}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def ids(response: httpx2.Response) -> list[str]:
    return [hit["id"] for hit in response.json()["results"]]


# -- search --------------------------------------------------------------------
def test_hindi_query_finds_the_seed_article_first_with_every_field(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "कुर्स्क"})
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "hybrid" and body["query"] == "कुर्स्क" and body["k"] == 10
    first = body["results"][0]
    assert first["id"] == SEED_ARTICLE_ID and first["rank"] == 1
    assert first["title"].startswith("North Korea Russia Support")
    assert "<mark>कुर्स्क</mark>" in first["snippet"]
    assert first["bm25"]["rank"] == 1 and first["cosine"]["score"] is not None
    assert set(first) >= {"date", "source", "category", "url", "score"}
    assert body["count"] == len(body["results"]) <= 10


def test_json_keeps_devanagari_readable(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "कुर्स्क", "k": 1})
    assert "कुर्स्क" in response.text
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(("query", "mode"), [
    ("कुर्स्क", "bm25"), ("कुर्स्क", "hybrid"),
    ("North Korea Russia support", "semantic"), ("North Korea Russia support", "hybrid"),
])
def test_each_mode_finds_the_seed_article_in_hindi_or_english(client: TestClient, query: str, mode: str) -> None:
    body = client.get("/api/search", params={"q": query, "mode": mode, "k": 3}).json()
    assert body["mode"] == mode
    assert body["results"][0]["id"] == SEED_ARTICLE_ID


def test_k_limits_the_results(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "सरकार", "k": 3, "mode": "semantic"}).json()
    assert body["count"] == 3 and [hit["rank"] for hit in body["results"]] == [1, 2, 3]


def test_source_and_category_filters(client: TestClient) -> None:
    # min_score 0: this pins the filter (no Wikinews article is about Kursk: the decision shows none)
    only_wiki = {"q": "कुर्स्क", "source": "wikinews (flores-200)", "mode": "semantic", "min_score": 0}
    wiki = client.get("/api/search", params=only_wiki).json()
    assert wiki["count"] > 0 and all(hit["source"] == "Wikinews (FLORES-200)" for hit in wiki["results"])
    assert SEED_ARTICLE_ID not in {hit["id"] for hit in wiki["results"]}
    sports = client.get("/api/search", params={"q": "खेल", "category": "sports", "mode": "semantic"}).json()
    assert sports["count"] > 0 and all(hit["category"] == "sports" for hit in sports["results"])
    assert sports["filters"]["category"] == "sports"


def test_a_date_filter_leaves_out_undated_articles(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "कुर्स्क", "date_from": "2000-01-01", "mode": "bm25"}).json()
    assert body["count"] == 0 and body["filters"]["date_from"] == "2000-01-01"  # the Kursk story has no date


def test_query_syntax_never_fails(client: TestClient) -> None:
    for query in ['"', "-", "*", "((", "title:x", "AND", "😀", "a\x00b", "<script>x</script>", "body:[a TO"]:
        response = client.get("/api/search", params={"q": query, "mode": "hybrid"})
        assert response.status_code == 200, (query, response.text)


# -- bad parameters: 400 with a message, never 500 ----------------------------------
@pytest.mark.parametrize(("params", "words"), [
    ({"q": "x", "k": "0"}, "k:"),
    ({"q": "x", "k": "abc"}, "valid integer"),
    ({"q": "x", "k": "101"}, "k:"),
    ({"q": "x", "mode": "foo"}, "mode:"),
    ({"q": "x", "date_from": "2025-13-40"}, "date_from"),
    ({"q": "x", "date_to": "yesterday"}, "date_to"),
    ({"q": "x", "date_from": "2025-02-01", "date_to": "2025-01-01"}, "swap"),
    ({}, "q is required"),
    ({"q": "   "}, "empty"),
    ({"q": "क" * 501}, "at most 500"),
])
def test_bad_parameters_get_400_with_a_message(client: TestClient, params: dict[str, str], words: str) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]
    assert "--" not in response.json()["error"]  # API names, not CLI options


def test_semantic_on_an_index_without_vectors_is_400(text_only_index: Path) -> None:
    with EnginePool(text_only_index, size=1) as engines, TestClient(create_app(engines)) as test_client:
        response = test_client.get("/api/search", params={"q": "कुर्स्क", "mode": "semantic"})
        assert response.status_code == 400 and "no vectors" in response.json()["error"]
        assert test_client.get("/api/search", params={"q": "कुर्स्क"}).json()["mode"] == "bm25"
        health = test_client.get("/api/health").json()
        assert health["modes"] == ["bm25"] and health["default_mode"] == "bm25" and health["model"] is None


# -- articles, health, facets, page ---------------------------------------------------
def test_article_by_id(client: TestClient) -> None:
    article = client.get(f"/api/articles/{SEED_ARTICLE_ID}").json()
    assert article["id"] == SEED_ARTICLE_ID and "कुर्स्क" in article["body"]
    assert article["title"].startswith("North Korea Russia Support")
    missing = client.get("/api/articles/no-such-id")
    assert missing.status_code == 404 and "no-such-id" in missing.json()["error"]


def test_health_describes_the_index(client: TestClient) -> None:
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["articles"] == SEED_ARTICLES and health["passages"] >= SEED_ARTICLES
    assert health["modes"] == ["hybrid", "bm25", "semantic"] and health["default_mode"] == "hybrid"
    assert health["model"] == "e5-small"


def test_facets_list_sources_and_categories_as_stored(client: TestClient) -> None:
    facets = client.get("/api/facets").json()
    stored = Counter(record["source"] for record in RECORDS)  # the .txt article has no source
    assert facets["sources"] == [{"value": value, "count": count} for value, count in stored.most_common()]
    categories = {facet["value"]: facet["count"] for facet in facets["categories"]}
    by_category = Counter(record["category"] for record in RECORDS if record.get("category"))
    assert categories["sports"] == by_category["sports"] > 0 and categories["politics"] == by_category["politics"] > 0


def test_unknown_paths_are_json_404(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and "error" in response.json()


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert {"/api/search", "/api/articles/{article_id}", "/api/health", "/api/facets"} <= set(spec["paths"])
    parameters = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert parameters == {"q", "mode", "k", "date_from", "date_to", "source", "category", "min_score", "expand",
                          "sort", "collapse", "offset", "page"}


def test_the_page_and_its_files_are_served_from_this_server_only(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'lang="hi"' in page.text and "/static/app.js" in page.text and "/static/app.css" in page.text
    for name in ("app.js", "app.css"):
        assert client.get(f"/static/{name}").status_code == 200
    for path in WEB_DIR.iterdir():
        assert "://" not in path.read_text(encoding="utf-8"), f"{path.name} refers to another site"
    css = (WEB_DIR / "app.css").read_text(encoding="utf-8")
    assert '"Noto Sans Devanagari"' in css and '"Mangal"' in css and '"Nirmala UI"' in css


# -- concurrency -------------------------------------------------------------------------
def test_a_slow_search_blocks_neither_other_searches_nor_health(
        pool: EnginePool, monkeypatch: pytest.MonkeyPatch) -> None:
    original = SearchEngine.search  # what /api/search calls

    def search(self: SearchEngine, request: SearchRequest):  # type: ignore[no-untyped-def]
        if request.text == "धीमा":
            time.sleep(2.0)
        return original(self, request)

    monkeypatch.setattr(SearchEngine, "search", search)
    finished: dict[str, float] = {}

    async def fetch(http: httpx2.AsyncClient, name: str, url: str, delay: float) -> None:
        await anyio.sleep(delay)
        response = await http.get(url)
        assert response.status_code == 200, response.text
        finished[name] = time.perf_counter()

    async def main() -> None:
        transport = httpx2.ASGITransport(app=create_app(pool))
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http, \
                anyio.create_task_group() as group:
            group.start_soon(fetch, http, "slow", "/api/search?q=धीमा&mode=semantic", 0.0)
            group.start_soon(fetch, http, "health", "/api/health", 0.2)
            group.start_soon(fetch, http, "page", "/", 0.2)
            group.start_soon(fetch, http, "fast", "/api/search?q=कुर्स्क&mode=bm25", 0.2)

    anyio.run(main)
    assert finished["health"] < finished["slow"]
    assert finished["page"] < finished["slow"]
    assert finished["fast"] < finished["slow"]


def test_concurrent_searches_give_the_same_answers_as_one_at_a_time(client: TestClient, pool: EnginePool) -> None:
    cases = [(q, mode) for q in ("कुर्स्क", "North Korea Russia support", "चुनाव सरकार", "भूकंप")
             for mode in ("bm25", "semantic", "hybrid")]
    expected = {case: ids(client.get("/api/search", params={"q": case[0], "mode": case[1]})) for case in cases}
    seen: dict[tuple[str, str], list[str]] = {}

    async def fetch(http: httpx2.AsyncClient, case: tuple[str, str]) -> None:
        response = await http.get("/api/search", params={"q": case[0], "mode": case[1]})
        seen[case] = ids(response)

    async def main() -> None:
        transport = httpx2.ASGITransport(app=create_app(pool))
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http, \
                anyio.create_task_group() as group:
            for case in cases * 2:
                group.start_soon(fetch, http, case)

    anyio.run(main)
    assert seen == expected


# -- the index changes under the server -----------------------------------------------------
def test_new_articles_are_found_without_a_restart(seed_index: Path, tmp_path: Path) -> None:
    index_dir = copy_index(seed_index, tmp_path)
    with EnginePool(index_dir, size=2) as engines, TestClient(create_app(engines)) as test_client:
        params = {"q": "हिमकुम्भोत्सव", "mode": "bm25"}
        assert test_client.get("/api/search", params=params).json()["count"] == 0
        index_paths(index_dir, [write_article(tmp_path, "fresh-1", "पहाड़ों में हिमकुम्भोत्सव शुरू हुआ।")], IndexSettings())
        for _ in range(engines.size + 1):  # every engine in the pool sees it
            assert ids(test_client.get("/api/search", params=params)) == ["fresh-1"]
        only_new = {"q": "पहाड़", "mode": "semantic", "source": "Test Wire"}  # its vectors were loaded too
        assert ids(test_client.get("/api/search", params=only_new)) == ["fresh-1"]
        assert test_client.get("/api/health").json()["articles"] == 109
        assert {"value": "Test Wire", "count": 1} in test_client.get("/api/facets").json()["sources"]


def test_an_index_rebuilt_without_vectors_is_picked_up(seed_index: Path, tmp_path: Path) -> None:
    index_dir = copy_index(seed_index, tmp_path)
    with EnginePool(index_dir, size=1) as engines, TestClient(create_app(engines)) as test_client:
        assert test_client.get("/api/search", params={"q": "कुर्स्क"}).json()["mode"] == "hybrid"
        index_paths(index_dir, list(SEED_CORPUS), IndexSettings(model="none"), IndexRun(rebuild=True))
        assert test_client.get("/api/search", params={"q": "कुर्स्क"}).json()["mode"] == "bm25"
        assert test_client.get("/api/search", params={"q": "कुर्स्क", "mode": "semantic"}).status_code == 400


def test_a_removed_index_is_503_with_a_message(text_only_index: Path, tmp_path: Path) -> None:
    index_dir = copy_index(text_only_index, tmp_path)
    with EnginePool(index_dir, size=1) as engines, TestClient(create_app(engines)) as test_client:
        (index_dir / "manifest.json").unlink()
        for url in ("/api/search?q=कुर्स्क", "/api/health"):
            response = test_client.get(url)
            assert response.status_code == 503 and "no hsearch index" in response.json()["error"]


# -- starting the server: user errors are one line ------------------------------------------------
def test_a_busy_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HsearchError, match=f"port {port} on 127.0.0.1 is already in use"):
            listen("127.0.0.1", port)


def test_an_unknown_host_is_a_clear_error() -> None:
    with pytest.raises(HsearchError, match="cannot listen on 'no-such-host.invalid'"):
        listen("no-such-host.invalid", 8000)


def test_serve_without_an_index_says_so_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run([*SERVE, "--index", str(tmp_path / "missing"), "--port", "8765"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no hsearch index at ") and "Traceback" not in result.stderr


def test_serve_on_a_busy_port_says_so_in_one_line(text_only_index: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*SERVE, "--index", str(text_only_index), "--port", str(port)],
                                capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert f"Error: port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr
