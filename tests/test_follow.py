"""``hsearch follow``: feeds and pages from a news site on 127.0.0.1, real Hindi articles in site chrome."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench.news_site import CHROME, SeedArticle, article_page, atom_feed, page_url, rss_feed, seed_articles, sentences_of
from hsearch.index.errors import IndexInterrupted
from hsearch.index.fetch import FetchError, Fetcher, FetchSettings
from hsearch.index.follow import Follower, FollowSettings, FollowState
from hsearch.index.settings import IndexSettings

from .conftest import assert_clean_failure, assert_ok, cli
from bench.news_server import NewsSite, Route, news_site

ARTICLES = {a.key: a for a in seed_articles()}
FIRST_THREE = [ARTICLES["kim-putin-kursk"], ARTICLES["wikinews-8"], ARTICLES["wikinews-51"]]
FOURTH = ARTICLES["wikinews-95"]  # a plane bound for Irkutsk
FIFTH = ARTICLES["wikinews-38"]  # a PBS show
OTHERS = [a for a in seed_articles() if a.key.startswith("wikinews-1")][:8]  # headlines in the chrome
FAST = ["--delay", "0", "--timeout", "5"]


def normal(text: str) -> str:
    return " ".join(text.replace("\u200b", "").replace("\u200d", "").replace("\xa0", " ").split())


def publish(site: NewsSite, articles: list[SeedArticle], *, path: str = "/feed.xml", atom: bool = False) -> str:
    """Serve the articles' pages and a feed of them (newest first); the feed's URL."""
    for number, article in enumerate(articles):
        site.routes[f"/news/{article.key}.html"] = Route(
            article_page(article, base=site.base, others=OTHERS, index=number))
    items = [(a, i) for i, a in reversed(list(enumerate(articles)))]
    feed = (atom_feed if atom else rss_feed)(items, base=site.base)
    site.routes[path] = Route(feed, content_type="application/atom+xml" if atom else "application/rss+xml",
                              conditional=True)
    return site.base + path


def stored(index: Path) -> dict[str, dict[str, object]]:
    from hsearch.search.engine import SearchEngine

    with SearchEngine(index) as engine:
        ids = engine.fulltext.all_ids()
        return engine.fulltext.documents(list(ids))


def test_follow_once_indexes_each_entrys_article_without_the_site_around_it(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with news_site() as site:
        feed = publish(site, FIRST_THREE)
        result = assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, feed))
        user_agents = {headers.get("user-agent", "") for _, headers in site.log}
    assert "indexed 3 new articles" in result.output, result.output
    docs = stored(index)
    assert len(docs) == 3
    by_url = {doc["url"]: doc for doc in docs.values()}
    for article in FIRST_THREE:
        doc = by_url[page_url(site.base, article)]
        body = normal(str(doc["body"]))
        assert doc["title"] == article.title
        assert doc["source"] == "समाचार दर्पण" and doc["date"] is not None
        assert all(normal(sentence) in body for sentence in sentences_of(article)), article.key
        assert not [c for c in CHROME if c in body], (article.key, body)
        assert not [o.title for o in OTHERS if normal(o.title) in body], article.key
    assert all(agent.startswith("hsearch/") for agent in user_agents)


def test_a_second_poll_of_an_unchanged_feed_is_one_conditional_get_and_fetches_no_page(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with news_site() as site:
        feed = publish(site, FIRST_THREE)
        assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, feed))
        before = len(site.log)
        again = assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, feed))
        later = site.log[before:]
    assert [path for path, _ in later] == ["/feed.xml"]
    assert later[0][1].get("if-none-match")
    assert "1 unchanged" in again.output and "indexed 0 new articles" in again.output


def test_a_new_entry_is_the_only_page_fetched_and_entries_known_by_guid_or_url_are_skipped(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with news_site() as site:
        feed = publish(site, FIRST_THREE)
        assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, feed))
        publish(site, [*FIRST_THREE, FOURTH])
        before = len(site.log)
        result = assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, feed))
        fetched = [path for path, _ in site.log[before:]]
        # the same articles in an Atom feed (other guids, same links): nothing new
        atom = publish(site, [*FIRST_THREE, FOURTH], path="/atom.xml", atom=True)
        before = len(site.log)
        assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, atom))
        fetched_atom = [path for path, _ in site.log[before:]]
    assert fetched == ["/feed.xml", f"/news/{FOURTH.key}.html"]
    assert "indexed 1 new article," in result.output and "3 already indexed" in result.output
    assert fetched_atom == ["/atom.xml"]
    assert len(stored(index)) == 4


def test_feed_files_and_a_file_listing_feeds_are_read(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with news_site() as site:
        publish(site, FIRST_THREE[:2])
        feed_file = tmp_path / "saved-feed.xml"
        feed_file.write_bytes(atom_feed([(a, i) for i, a in enumerate(FIRST_THREE[:2])], base=site.base))
        listing = tmp_path / "feeds.txt"
        listing.write_text(f"# my feeds\n{feed_file}\n{publish(site, [FIRST_THREE[2]], path='/other.xml')}\n",
                           encoding="utf-8")
        result = assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, listing))
    assert "followed 2 feeds: indexed 3 new articles" in result.output


def test_bad_feeds_and_pages_are_reported_by_url_and_the_rest_is_indexed(tmp_path: Path) -> None:
    index = tmp_path / "index"
    legacy = replace(FIRST_THREE[1], key="legacy-charset",
                     paragraphs=[*FIRST_THREE[1].paragraphs, "(अनुवाद: “विकिन्यूज़” – फ्लोरेस)"])
    with news_site() as site:
        good = publish(site, [FIRST_THREE[0]], path="/good.xml")
        site.routes["/broken.xml"] = Route(b"<html><body>this is not a feed</body></html>")
        site.routes["/legacy.html"] = Route(article_page(legacy, base=site.base, others=OTHERS, charset="windows-1252"),
                                            content_type="text/html")
        site.routes["/server-error.html"] = Route(b"oops", status=500)
        site.routes["/empty.html"] = Route("<html><body><nav>होम | देश | विदेश</nav></body></html>".encode())
        site.routes["/loop-a.html"] = Route(status=302, location="/loop-b.html")
        site.routes["/loop-b.html"] = Route(status=302, location="/loop-a.html")
        site.routes["/huge.html"] = Route(stream_bytes=20 * 1024 * 1024)
        entries = "".join(f"<item><title>{name}</title><link>{site.base}/{name}.html</link></item>"
                          for name in ("legacy", "server-error", "empty", "loop-a", "huge", "missing"))
        site.routes["/mixed.xml"] = Route(f'<?xml version="1.0"?><rss version="2.0"><channel><title>मिश्रित</title>'
                                          f"{entries}</channel></rss>".encode(), content_type="application/rss+xml")
        result = assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST,
                               good, f"{site.base}/broken.xml", f"{site.base}/gone.xml", f"{site.base}/mixed.xml"))
        state = FollowState.load(index)
    out = result.output
    assert "indexed 2 new articles" in out, out
    assert f"{site.base}/broken.xml: not an RSS or Atom feed" in out
    assert f"{site.base}/gone.xml: HTTP 404" in out
    assert f"{site.base}/server-error.html: HTTP 500" in out
    assert f"{site.base}/empty.html: no article found in the page" in out
    assert f"{site.base}/loop-a.html: a redirect loop" in out
    assert f"{site.base}/huge.html: the page is over the 8 MB cap" in out
    assert f"{site.base}/missing.html: HTTP 404" in out
    assert "Traceback" not in out
    docs = {doc["url"]: doc for doc in stored(index).values()}
    body = normal(str(docs[page_url(site.base, legacy)]["body"]))  # its canonical URL
    assert all(normal(s) in body for s in sentences_of(FIRST_THREE[1]))
    assert "“विकिन्यूज़” – फ्लोरेस" in body  # windows-1252 quotes and dash, Devanagari as character references
    assert state.pending[f"{site.base}/server-error.html"].tries == 1
    assert state.feeds[f"{site.base}/broken.xml"].failures == 1


def test_a_failed_page_is_tried_again_at_the_next_poll_even_when_the_feed_is_unchanged(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with news_site() as site:
        feed = publish(site, FIRST_THREE[:2])
        page = f"/news/{FIRST_THREE[1].key}.html"
        working = site.routes[page]
        site.routes[page] = Route(b"busy", status=503)
        first = assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, feed))
        site.routes[page] = working
        second = assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, feed))
    assert "HTTP 503" in first.output and "try 1 of 3" in first.output
    assert "1 unchanged: indexed 1 new article" in second.output
    assert len(stored(index)) == 2


def test_an_interrupted_poll_says_what_was_committed_and_the_next_one_carries_on(tmp_path: Path) -> None:
    index = tmp_path / "index"
    settings = FollowSettings(fetch=FetchSettings(host_delay=0), index=IndexSettings(model="none"), commit_every=1)

    class Interrupting(Fetcher):
        def get(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
            if url.endswith(f"{FIRST_THREE[0].key}.html"):  # the oldest entry, the last fetched
                raise KeyboardInterrupt
            return super().get(url, **kwargs)  # type: ignore[arg-type]

    with news_site() as site:
        feed = publish(site, FIRST_THREE)
        with pytest.raises(IndexInterrupted) as stopped:
            Follower(index, settings, fetcher=Interrupting(settings.fetch)).poll([feed])
        assert "2 articles of this run were committed" in str(stopped.value)
        before = len(site.log)
        report = Follower(index, settings).poll([feed])
        fetched = [path for path, _ in site.log[before:]]
    assert report.added and len(report.added) == 1
    # the feed's ETag is kept only once all its entries are handled: read again, in full
    assert fetched == ["/feed.xml", f"/news/{FIRST_THREE[0].key}.html"]


def test_the_client_pauses_between_requests_to_one_host_and_caps_timeouts() -> None:
    pauses: list[float] = []
    now = [100.0]
    fetcher = Fetcher(FetchSettings(host_delay=2.0, read_timeout=0.5), sleep=pauses.append, clock=lambda: now[0])
    with news_site() as site:
        site.routes["/a.html"] = Route(b"<p>a</p>")
        site.routes["/slow.html"] = Route(b"<p>slow</p>", delay=2.0)
        fetcher.get(site.base + "/a.html")
        now[0] += 0.5
        fetcher.get(site.base + "/a.html")
        with pytest.raises(FetchError, match="timed out"):
            fetcher.get(site.base + "/slow.html")
    assert pauses[0] == pytest.approx(1.5)


def test_follow_needs_once_or_every_and_names_a_missing_feed_file(tmp_path: Path) -> None:
    result = cli("follow", "--index", tmp_path / "index", "feeds.txt")
    assert result.exit_code == 2 and "--once" in result.output
    assert_clean_failure(cli("follow", "--once", "--index", tmp_path / "index", tmp_path / "nope.txt"),
                         "nope.txt: no such file")


def test_hsearch_index_reads_saved_pages_and_folders_of_them(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for number, article in enumerate(FIRST_THREE):
        (pages / f"{article.key}.html").write_bytes(
            article_page(article, base="https://samachar.example", others=OTHERS, index=number,
                         canonical=number != 2))
    (pages / "index.html").write_text("<html><body><nav>होम | देश</nav></body></html>", encoding="utf-8")
    result = assert_ok(cli("index", "--index", tmp_path / "index", "--model", "none", pages))
    assert "indexed 3 new articles" in result.output and "no article found in the page" in result.output
    docs = stored(tmp_path / "index")
    assert {str(d["url"]) for d in docs.values()} == {page_url("https://samachar.example", a) for a in FIRST_THREE[:2]} | {""}
    assert FIRST_THREE[2].key in docs  # no canonical URL: its path is its id, as for .txt
    single = assert_ok(cli("index", "--index", tmp_path / "one", "--model", "none", pages / "wikinews-8.html"))
    assert "indexed 1 new article" in single.output


def test_the_followers_state_file_is_json_written_beside_the_index(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with news_site() as site:
        feed = publish(site, FIRST_THREE[:1])
        assert_ok(cli("follow", "--once", "--index", index, "--model", "none", *FAST, feed))
    state = json.loads((index / "follow" / "state.json").read_text(encoding="utf-8"))
    assert state["feeds"][feed]["etag"] and state["feeds"][feed]["title"] == "समाचार दर्पण"
    assert set(state["seen"].values()) == set(stored(index))


def test_follow_every_polls_until_ctrl_c_and_then_says_what_was_committed(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import time as time_module

    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt  # Ctrl-C while waiting for the third poll

    monkeypatch.setattr(time_module, "sleep", nap)
    with news_site() as site:
        feed = publish(site, FIRST_THREE[:2])
        result = cli("follow", "--every", "5", "--index", tmp_path / "index", "--model", "none", *FAST, feed)
        polls = len(site.requests_to("/feed.xml"))
    assert result.exit_code == 130, result.output
    assert naps == [300, 300] and polls == 2
    assert "2 articles of this run were committed" in result.output


def test_one_follower_polls_an_index_at_a_time_and_clears_a_killed_ones_leftovers(tmp_path: Path) -> None:
    from hsearch.index.errors import HsearchError
    from hsearch.index.follow import _polling

    index = tmp_path / "index"
    leftover = index / "follow" / ".state.json.abc123.tmp"  # what a follower killed mid-write leaves
    leftover.parent.mkdir(parents=True)
    leftover.write_text("{half", encoding="utf-8")
    settings = FollowSettings(fetch=FetchSettings(host_delay=0), index=IndexSettings(model="none"))
    with news_site() as site:
        feed = publish(site, FIRST_THREE[:1])
        with _polling(index):
            with pytest.raises(HsearchError, match="another hsearch follow .PID"):
                Follower(index, settings).poll([feed])
        assert Follower(index, settings).poll([feed]).added
    assert not leftover.exists()
