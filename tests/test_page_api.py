"""The API and page as a new user meets them: ids with '/', marked titles and articles, HEAD /, local docs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.engine_pool import EnginePool
from hsearch.search.server import create_app

from .conftest import SEED_ARTICLE_ID, SEEDS

RAIL = ("रेल किराया बढ़ा", "भारतीय रेल ने यात्री किराये में बढ़ोतरी की।\n\nरेल मंत्री ने कहा कि 5 < 10 नहीं, किराया ज़रूरी है।")


def folder_of_articles(root: Path) -> Path:
    """A folder as the README describes: .txt files in subfolders, whose ids hold '/'."""
    folder = root / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "समाचार").mkdir()
    (folder / "sub" / "rail.txt").write_text("\n".join(RAIL), encoding="utf-8")
    (folder / "समाचार" / "रेल.txt").write_text("रेल बजट\nरेल बजट संसद में पेश हुआ।", encoding="utf-8")
    shutil.copy(SEEDS / f"{SEED_ARTICLE_ID}.txt", folder / f"{SEED_ARTICLE_ID}.txt")
    return folder


@pytest.fixture(scope="module")
def folder_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("folder-index")
    target = root / "index"
    index_paths(target, [folder_of_articles(root), SEEDS / "wikinews-flores-hi.jsonl"], IndexSettings(model="none"))
    return target


@pytest.fixture(scope="module")
def client(folder_index: Path) -> Iterator[TestClient]:
    with EnginePool(folder_index, size=1) as pool, \
            TestClient(create_app(pool), raise_server_exceptions=False) as test_client:
        yield test_client


# -- every id hsearch makes can be opened -------------------------------------------------------------
@pytest.mark.parametrize("article_id", ["sub/rail", "समाचार/रेल"])
def test_an_id_with_a_slash_opens_plain_and_encoded(client: TestClient, article_id: str) -> None:
    found = client.get("/api/search", params={"q": "रेल", "mode": "bm25"}).json()
    assert article_id in {hit["id"] for hit in found["results"]}
    for path in (quote(article_id, safe="/"), quote(article_id, safe="")):  # sub/rail and sub%2Frail
        response = client.get(f"/api/articles/{path}")
        assert response.status_code == 200, (path, response.text)
        assert response.json()["id"] == article_id


def test_a_missing_id_with_a_slash_is_404_with_the_id(client: TestClient) -> None:
    response = client.get("/api/articles/sub%2Fnone")
    assert response.status_code == 404 and response.json() == {"error": "no article with id 'sub/none'"}


# -- the query's words marked in titles and articles --------------------------------------------------------
def test_search_results_carry_the_title_with_the_query_words_marked(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": "किराया", "mode": "bm25"}).json()["results"][0]
    assert hit["id"] == "sub/rail"
    assert hit["title_html"] == "रेल <mark>किराया</mark> बढ़ा"


def test_an_opened_article_marks_the_query_words_and_escapes_the_rest(client: TestClient) -> None:
    article = client.get("/api/articles/sub%2Frail", params={"q": "रेल किराया"}).json()
    assert article["title_html"] == "<mark>रेल</mark> <mark>किराया</mark> बढ़ा"
    # रेल twice, किराया and its spelling variant किराये: the words the index matches for the query
    assert article["body_html"].count("<mark>") == 4 and "<mark>किराये</mark>" in article["body_html"]
    assert "<mark>रेल</mark> मंत्री" in article["body_html"] and "<mark>किराया</mark> ज़रूरी" in article["body_html"]
    assert "5 &lt; 10" in article["body_html"] and "\n" in article["body_html"]
    assert re.sub(r"</?mark>", "", article["body_html"]).replace("&lt;", "<") == article["body"]
    plain = client.get("/api/articles/sub%2Frail").json()
    assert plain["title_html"] is None and plain["body_html"] is None


# -- the page and the docs ------------------------------------------------------------------------------------
def test_head_on_the_page_is_answered_like_get_without_a_body(client: TestClient) -> None:
    head, get = client.head("/"), client.get("/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"] == "text/html; charset=utf-8"
    assert head.headers["content-length"] == str(len(get.content))


def test_the_api_docs_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/api/openapi.json" in page.text
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
    assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets), assets
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert "cdn" not in page.text.lower()
    assert 'href="/api/docs"' in client.get("/").text  # the page's footer points to it
