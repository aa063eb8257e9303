"""Newest first and pages: stable, never overlapping, and bad input is a clear error or an empty page.

Over a full-text index of seeds/, the two Kursk fixture stories and five
dated copies of the seed story, and through the API (TestClient) on the same index.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.syndicate import syndicate
from hsearch.index.errors import QueryError
from hsearch.search.collapse import Entry, PageRequest, arrange, collapse, newest_first
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.engine_pool import EnginePool
from hsearch.search.server import create_app

from .conftest import SEED_CORPUS, cli, write_jsonl
from .test_stories import KURSK, seed_record
from hsearch.search.request import SearchRequest

QUERY = "अमेरिका के राष्ट्रपति"  # matches the seed story's copies and many Wikinews articles


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("paging")
    copies = write_jsonl(folder / "copies.jsonl", syndicate(seed_record(), 5))
    result = cli("index", "--index", folder / "index", "--model", "none", "-q", *SEED_CORPUS, KURSK, copies)
    assert result.exit_code == 0, result.output
    return folder / "index"


@pytest.fixture(scope="module")
def engine(dated_index: Path):  # type: ignore[no-untyped-def]
    with SearchEngine(dated_index, SearchSettings(mode="bm25")) as opened:
        yield opened


def all_pages(engine: SearchEngine, size: int, **options: object) -> list[str]:
    ids: list[str] = []
    offset = 0
    while True:
        page = engine.search(SearchRequest.of(QUERY, page=PageRequest(k=size, offset=offset, **options)))  # type: ignore[arg-type]
        ids += [h.id for h in page.hits]
        if not page.more:
            return ids
        offset += size


@pytest.mark.parametrize("sort", ["relevance", "date"])
@pytest.mark.parametrize("collapsed", [True, False])
def test_pages_put_together_are_the_whole_list(engine: SearchEngine, sort: str, collapsed: bool) -> None:
    whole = [h.id for h in engine.search(SearchRequest.of(QUERY, k=100, sort=sort, collapse=collapsed)).hits]
    assert len(whole) > 9
    for size in (1, 3, 4):
        assert all_pages(engine, size, sort=sort, collapse=collapsed) == whole
    assert all_pages(engine, 3, sort=sort, collapse=collapsed) == all_pages(engine, 3, sort=sort, collapse=collapsed)


def test_newest_first_keeps_relevance_as_the_filter(engine: SearchEngine) -> None:
    by_date = engine.search(SearchRequest.of(QUERY, k=100, sort="date")).hits
    by_relevance = engine.search(SearchRequest.of(QUERY, k=100)).hits
    assert {h.id for h in by_date} == {h.id for h in by_relevance}  # the same results, in another order
    dates = [h.date for h in by_date]
    dated = [d for d in dates if d is not None]
    assert dated and dated == sorted(dated, reverse=True)
    assert dates == dated + [None] * (len(dates) - len(dated))  # undated last
    undated = [h.id for h in by_date if h.date is None]
    assert undated == [h.id for h in by_relevance if h.date is None]  # in relevance order among themselves


def test_an_offset_past_the_end_is_an_empty_page(engine: SearchEngine) -> None:
    page = engine.search(SearchRequest.of(QUERY, page=PageRequest(k=10, offset=500)))
    assert page.hits == [] and page.total > 0 and not page.more
    output = cli("query", "--index", engine.index_dir, "--offset", "500", QUERY)
    assert output.exit_code == 0 and "no results past the" in output.output


def test_cli_pages_say_where_they_are(dated_index: Path) -> None:
    first = cli("query", "--index", dated_index, "-k", "3", QUERY).output
    assert "results 1-3 of" in first and "next: --offset 3" in first
    second = cli("query", "--index", dated_index, "-k", "3", "--page", "2", QUERY).output
    assert "results 4-6 of" in second and second.splitlines()[0].startswith(" 4. ")
    newest = cli("query", "--index", dated_index, "--json", "--sort", "date", "-k", "2", QUERY).output.splitlines()
    assert [json.loads(line)["rank"] for line in newest] == [1, 2]


@pytest.mark.parametrize("args, words", [
    (["--sort", "newest"], "'newest' is not one of 'relevance', 'date'"),
    (["--offset", "-1"], "--offset"),
    (["--page", "0"], "--page"),
    (["--page", "2", "--offset", "4"], "give --page or --offset, not both"),
])
def test_bad_paging_options_are_clear_errors(dated_index: Path, args: list[str], words: str) -> None:
    result = cli("query", "--index", dated_index, *args, QUERY)
    assert result.exit_code != 0 and words in result.output and "Traceback" not in result.output


def test_page_request_checks_itself() -> None:
    with pytest.raises(QueryError, match="unknown sort 'oldest'"):
        PageRequest(sort="oldest")
    with pytest.raises(QueryError, match="at least 1"):
        PageRequest(k=0)
    assert PageRequest.of_page(3, None, 10).offset == 20


# -- the arrangement itself, without an index -------------------------------------
def test_collapse_keeps_the_best_ranked_copy_and_the_order_of_stories() -> None:
    ranked = [("b~1", 9.0), ("x", 8.0), ("b", 7.0), ("y", 6.0), ("b~2", 5.0)]
    entries = collapse(ranked, {"b~1": "b", "b": "b", "b~2": "b"})
    assert [(e.id, [c for c, _ in e.copies]) for e in entries] == [("b~1", ["b", "b~2"]), ("x", []), ("y", [])]


def test_newest_first_is_stable_for_equal_dates() -> None:
    day = datetime(2025, 8, 13)
    entries = [Entry("a", 3), Entry("b", 2), Entry("c", 1), Entry("d", 0)]
    ordered = newest_first(entries, {"a": day, "b": datetime(2025, 8, 14), "c": day, "d": None})
    assert [e.id for e in ordered] == ["b", "a", "c", "d"]


def test_a_story_sorts_by_its_newest_dated_copy_even_when_the_shown_copy_is_undated() -> None:
    """The Kursk story's best copy (an undated syndicated one) is shown; its copies carry dates."""
    ranked = [("kursk-undated", 3.0), ("drone", 2.0), ("kursk-agency", 1.5), ("kursk-paper", 1.0)]
    stories = {"kursk-undated": "kursk", "kursk-agency": "kursk", "kursk-paper": "kursk", "drone": "drone"}
    dates = {"kursk-undated": None, "kursk-agency": datetime(2025, 8, 15), "kursk-paper": datetime(2025, 8, 12),
             "drone": datetime(2025, 8, 14)}
    arranged = arrange(ranked, PageRequest(sort="date"), story_of=lambda ids: stories,
                       date_of=lambda ids: {doc: dates[doc] for doc in ids})
    assert [e.id for e in arranged.entries] == ["kursk-undated", "drone"]  # 15 August beats 14 August
    assert [c for c, _ in arranged.entries[0].copies] == ["kursk-agency", "kursk-paper"]


def test_arrange_cuts_pages_from_one_list() -> None:
    ranked = [(f"d{i}", float(100 - i)) for i in range(25)]
    pages = [arrange(ranked, PageRequest(k=10, offset=o), story_of=lambda ids: {}, date_of=lambda ids: {})
             for o in (0, 10, 20, 30)]
    assert [len(p.entries) for p in pages] == [10, 10, 5, 0]
    assert [p.more for p in pages] == [True, True, False, False]
    assert [e.id for p in pages for e in p.entries] == [d for d, _ in ranked]


# -- the API -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(dated_index: Path):  # type: ignore[no-untyped-def]
    with EnginePool(dated_index, 1) as pool:
        yield TestClient(create_app(pool))


def test_api_pages_and_sorts(client: TestClient) -> None:
    whole = client.get("/api/search", params={"q": QUERY, "k": 100, "sort": "date"}).json()
    pages = [client.get("/api/search", params={"q": QUERY, "k": 4, "sort": "date", "page": p}).json()
             for p in range(1, 4)]
    assert [r["id"] for p in pages for r in p["results"]] == [r["id"] for r in whole["results"]][:12]
    assert pages[1]["offset"] == 4 and pages[1]["results"][0]["rank"] == 5
    assert all(p["total"] == whole["total"] for p in pages)
    beyond = client.get("/api/search", params={"q": QUERY, "offset": 5000}).json()
    assert beyond["count"] == 0 and beyond["results"] == []


def test_api_collapse_false_shows_every_copy(client: TestClient) -> None:
    collapsed = client.get("/api/search", params={"q": QUERY, "k": 100}).json()
    every = client.get("/api/search", params={"q": QUERY, "k": 100, "collapse": "false"}).json()
    more = sum(r["more"]["count"] for r in collapsed["results"])
    assert more == 5 and every["count"] == collapsed["count"] + more
    assert every["collapse"] is False


@pytest.mark.parametrize("params, words", [
    ({"sort": "oldest"}, "sort"),
    ({"offset": "-3"}, "offset"),
    ({"page": "2", "offset": "3"}, "give page or offset, not both"),
])
def test_api_bad_paging_is_400(client: TestClient, params: dict[str, str], words: str) -> None:
    response = client.get("/api/search", params={"q": QUERY, **params})
    assert response.status_code == 400 and words in response.json()["error"]


def test_api_similar_and_its_404(client: TestClient) -> None:
    seed_id = seed_record()["id"]
    response = client.get(f"/api/articles/{seed_id}/similar", params={"k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == seed_id and body["title"] and body["count"] == 3
    assert not any(r["id"].startswith(seed_id) for r in body["results"])
    assert body["results"][0]["id"] == "kursk-troops-evidence"
    missing = client.get("/api/articles/no-such-article/similar")
    assert missing.status_code == 404 and missing.json() == {"error": "no article with id 'no-such-article'"}
