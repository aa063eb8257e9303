"""Saved searches: new matching articles once each, as the CLI, the API and an Atom feed give them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hsearch.search.alerts import AlertBook

from .conftest import SEED_ARTICLE_ID, assert_clean_failure, assert_ok, cli, copy_of, write_jsonl
from bench.news_server import news_site
from .test_follow import FAST, FIRST_THREE, FIFTH, FOURTH, publish

KURSK_NEWS = {"id": "kursk-rebuild", "title": "कुर्स्क में पुनर्निर्माण के लिए उत्तर कोरिया के सैनिक पहुंचे",
              "source": "संवाद डेस्क", "date": "2025-09-02",
              "body": "उत्तर कोरिया के सैन्य निर्माणकर्मी रूस के कुर्स्क क्षेत्र में पुनर्निर्माण के लिए पहुंच गए हैं। "
                      "रूसी मीडिया ने बताया कि पहले दल में एक हजार सैपर हैं।"}
RAIL_NEWS = {"id": "rail-fares", "title": "रेल किराया बढ़ा", "source": "संवाद डेस्क", "date": "2025-09-02",
             "body": "भारतीय रेल ने सोमवार से यात्री किराए में मामूली बढ़ोतरी की घोषणा की है।"}


def test_an_alert_lists_each_new_matching_article_once_and_old_ones_never(seed_index: Path, tmp_path: Path) -> None:
    index = copy_of(seed_index, tmp_path)
    assert_ok(cli("alerts", "add", "kursk", "कुर्स्क", "--index", index))
    first = assert_ok(cli("alerts", "check", "kursk", "--index", index)).output
    assert "kursk: 0 new articles" in first  # the seed story was there before the alert
    assert_ok(cli("index", "--index", index, write_jsonl(tmp_path / "news.jsonl", [KURSK_NEWS, RAIL_NEWS])))
    second = assert_ok(cli("alerts", "check", "kursk", "--index", index, "--json")).output
    shown = [json.loads(line) for line in second.splitlines()]
    assert [(s["alert"], s["id"]) for s in shown] == [("kursk", "kursk-rebuild")]
    assert shown[0]["title"] == KURSK_NEWS["title"] and shown[0]["date"].startswith("2025-09-02")
    assert assert_ok(cli("alerts", "check", "kursk", "--index", index, "--json")).output == ""
    listed = assert_ok(cli("alerts", "list", "--index", index)).output
    assert listed.startswith("kursk\tकुर्स्क")


def test_alerts_check_without_a_name_checks_each_alert_with_its_filters(seed_index: Path, tmp_path: Path) -> None:
    index = copy_of(seed_index, tmp_path)
    assert_ok(cli("alerts", "add", "kursk", "कुर्स्क", "--index", index))
    assert_ok(cli("alerts", "add", "rail", "रेल किराया", "--mode", "bm25", "--index", index))
    assert_ok(cli("alerts", "add", "rail-elsewhere", "रेल किराया", "--source", "दैनिक भास्कर", "--index", index))
    assert_ok(cli("index", "--index", index, write_jsonl(tmp_path / "news.jsonl", [KURSK_NEWS, RAIL_NEWS])))
    shown = [json.loads(line) for line in
             assert_ok(cli("alerts", "check", "--index", index, "--json")).output.splitlines()]
    assert sorted((s["alert"], s["id"]) for s in shown) == [("kursk", "kursk-rebuild"), ("rail", "rail-fares")]


def test_alert_mistakes_are_one_line_messages_and_change_nothing(seed_index: Path, tmp_path: Path) -> None:
    index = copy_of(seed_index, tmp_path)
    assert_ok(cli("alerts", "add", "kursk", "कुर्स्क", "--index", index))
    assert_clean_failure(cli("alerts", "add", "kursk", "रेल", "--index", index), "'kursk' exists")
    assert_clean_failure(cli("alerts", "add", "a/b", "रेल", "--index", index), "cannot name a saved search")
    assert_clean_failure(cli("alerts", "add", "rail", "रेल", "--date-from", "कल", "--index", index), "--date-from")
    assert_clean_failure(cli("alerts", "check", "nope", "--index", index), "no saved search called 'nope'", "kursk")
    assert_clean_failure(cli("alerts", "remove", "nope", "--index", index), "no saved search called 'nope'")
    assert_clean_failure(cli("alerts", "add", "x", "रेल", "--index", tmp_path / "empty"), "no index in")
    assert [a.name for a in AlertBook.load(index).alerts.values()] == ["kursk"]
    assert_ok(cli("alerts", "remove", "kursk", "--index", index))
    assert "no saved searches" in assert_ok(cli("alerts", "list", "--index", index)).output


def test_followed_pages_fire_an_alert_for_the_new_matching_article_alone(tmp_path: Path) -> None:
    """The issue's check: three pages followed into a fresh index; an alert; a fourth entry that matches
    is listed alone; a fifth that does not match lists nothing."""
    index = tmp_path / "index"
    with news_site() as site:
        feed = publish(site, FIRST_THREE)
        assert_ok(cli("follow", "--once", "--index", index, *FAST, feed))  # the default model
        assert_ok(cli("alerts", "add", "irkutsk", "इरकुत्स्क विमान", "--index", index))
        publish(site, [*FIRST_THREE, FOURTH])
        assert_ok(cli("follow", "--once", "--index", index, *FAST, feed))
        fired = [json.loads(line) for line in
                 assert_ok(cli("alerts", "check", "irkutsk", "--index", index, "--json")).output.splitlines()]
        publish(site, [*FIRST_THREE, FOURTH, FIFTH])
        assert_ok(cli("follow", "--once", "--index", index, *FAST, feed))
        quiet = assert_ok(cli("alerts", "check", "irkutsk", "--index", index, "--json")).output
    assert [f["title"] for f in fired] == [FOURTH.title]
    assert quiet == ""


def test_the_server_offers_each_saved_search_as_an_atom_feed_and_in_the_api(seed_index: Path, tmp_path: Path) -> None:
    import feedparser
    from fastapi.testclient import TestClient

    from hsearch.search.server import EnginePool, create_app

    index = copy_of(seed_index, tmp_path)
    with EnginePool(index, 1) as pool, TestClient(create_app(pool), raise_server_exceptions=False) as client:
        made = client.post("/api/alerts", json={"name": "kursk", "query": "कुर्स्क"})
        assert made.status_code == 201 and made.json()["feed"] == "/feeds/kursk.xml"
        assert client.post("/api/alerts", json={"name": "kursk", "query": "रेल"}).status_code == 409
        assert client.post("/api/alerts", json={"name": "a b", "query": "रेल"}).status_code == 400
        assert_ok(cli("index", "--index", index, write_jsonl(tmp_path / "news.jsonl", [KURSK_NEWS, RAIL_NEWS])))
        response = client.get("/feeds/kursk.xml")
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo and parsed.version == "atom10"
        titles = [entry.title for entry in parsed.entries]
        assert titles[0] == KURSK_NEWS["title"]  # the newest arrival first, then the seed story
        assert any(entry.id.endswith(SEED_ARTICLE_ID) for entry in parsed.entries)
        assert all("Related posts" not in entry.summary for entry in parsed.entries)
        assert [a["name"] for a in client.get("/api/alerts").json()] == ["kursk"]
        assert client.get("/api/alerts/kursk").json()["matches"][0]["id"] == "kursk-rebuild"
        assert client.get("/feeds/nope.xml").status_code == 404
        assert client.delete("/api/alerts/kursk").status_code == 204
        assert client.get("/api/alerts").json() == []


CHURN = """
import sys
from hsearch.search.alerts import add_alert, remove_alert
from pathlib import Path
index = Path(sys.argv[1])
number = 0
while True:
    add_alert(index, f"a{number}", "कुर्स्क")
    if number % 2:
        remove_alert(index, f"a{number - 1}")
    if number == 0:
        print("ready", flush=True)  # one alert saved: from now on it is killed mid-change
    number += 1
"""


@pytest.mark.slow  # a child process killed with SIGKILL a few times
def test_alert_state_survives_kill_9_mid_write(seed_index: Path, tmp_path: Path) -> None:
    index = copy_of(seed_index, tmp_path)
    for delay in (0.3, 0.7, 1.1):
        child = subprocess.Popen([sys.executable, "-c", CHURN, str(index)], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        book = AlertBook.load(index)  # the old state or the new one, never half of one
        assert book.alerts and all(a.query == "कुर्स्क" for a in book.alerts.values())
        assert book.arrivals.get(SEED_ARTICLE_ID) == 1
        for name in list(book.alerts):
            assert_ok(cli("alerts", "remove", name, "--index", index))
