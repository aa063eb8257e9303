"""Chrome lines of news sites: kept in the stored body, left out of snippets, passages and story shingles."""

from __future__ import annotations

from pathlib import Path

from hsearch.index.articles import Article
from hsearch.index.boilerplate import Boilerplate, BoilerplateSettings, content_of, is_known, learned_from
from hsearch.index.passages import split_passages
from hsearch.index.settings import PassageSettings
from hsearch.index.stories import shingles
from hsearch.search.request import SearchRequest

from .conftest import RECORDS, SEED_ARTICLE, SEED_ARTICLE_ID, assert_ok, cli

FOOTER = "(यह खबर एजेंसी फीड से ऑटो-पब्लिश की गई है। हमारी टीम ने इसमें कोई बदलाव नहीं किया है।)"


def test_the_seed_storys_related_posts_and_loading_lines_are_chrome_and_its_sentences_are_not() -> None:
    body = SEED_ARTICLE.read_text(encoding="utf-8").split("\n", 1)[1]
    content = content_of(Article(id=SEED_ARTICLE_ID, title="", body=body))
    assert "Related posts" in body and "Loading..." in body
    assert "Related" not in content and "Loading" not in content and "More from author" not in content
    assert "उत्तर कोरिया कुर्स्क में पुनर्निर्माण के लिए 5,000 सैन्य निर्माणकर्मी और 1,000 सैपर भेजेगा।" in content
    assert content.startswith("किम जोंग-उन ने पुतिन को")


def test_datelines_and_read_also_pointers_are_chrome_only_as_whole_lines() -> None:
    assert is_known("नई दिल्ली, (भाषा)")
    assert is_known("मुंबई, 5 अगस्त (आईएएनएस)")
    assert is_known("यह भी पढ़ें: किम ने पुतिन को पूर्ण समर्थन दिया")
    assert is_known("  • Loading…")
    assert not is_known("नई दिल्ली, (भाषा) चुनाव आयोग ने लोकसभा चुनाव की तारीखें घोषित कीं।")
    assert not is_known("उत्तर कोरिया पहले ही रूस को सैनिक और हथियार भेज चुका है।")


def _articles(source: str, count: int, footer: str = FOOTER) -> list[Article]:
    return [Article(id=f"{source}-{i}", title=RECORDS[i]["title"], body=f"{RECORDS[i]['body']}\n{footer}",
                    source=source) for i in range(count)]


def test_a_line_repeated_in_three_articles_of_one_source_is_learned_and_only_for_that_source() -> None:
    table = learned_from((a.id, a.source, a.body) for a in _articles("दैनिक भास्कर", 3))
    assert table.is_chrome(FOOTER, "दैनिक भास्कर")
    assert not table.is_chrome(FOOTER, "अमर उजाला")
    assert not table.is_chrome(RECORDS[0]["body"], "दैनिक भास्कर")
    fewer = learned_from((a.id, a.source, a.body) for a in _articles("दैनिक भास्कर", 2))
    assert not fewer.is_chrome(FOOTER, "दैनिक भास्कर")


def test_the_same_article_read_again_is_counted_once() -> None:
    article = _articles("दैनिक भास्कर", 1)[0]
    table = learned_from([(article.id, article.source, article.body)] * 5)
    assert not table.is_chrome(FOOTER, "दैनिक भास्कर")


def test_the_learned_table_survives_saving_and_bounds_its_candidates(tmp_path: Path) -> None:
    table = Boilerplate(BoilerplateSettings(max_pending=10))
    prepared = table.prepare(_articles("दैनिक भास्कर", 4))
    assert all(FOOTER not in a.content and FOOTER in a.body for a in prepared)
    table.save(tmp_path)
    again = Boilerplate.load(tmp_path, BoilerplateSettings(max_pending=10))
    assert again.is_chrome(FOOTER, "दैनिक भास्कर")
    for i, record in enumerate(RECORDS[:40]):
        again.learn(f"x-{i}", "दैनिक भास्कर", record["body"])
    assert len(again.sources["दैनिक भास्कर"].pending) <= 10
    (tmp_path / "boilerplate.json").write_text("{not json", encoding="utf-8")
    assert Boilerplate.load(tmp_path).sources == {}  # derived: unreadable is empty, never an error


def test_passages_and_story_shingles_leave_the_chrome_out() -> None:
    article = Boilerplate().prepare(_articles("दैनिक भास्कर", 3))[0]
    passages = split_passages(article, lambda text: len(text.split()), PassageSettings())
    assert FOOTER not in " ".join(passages) and RECORDS[0]["body"] in " ".join(passages)
    body = SEED_ARTICLE.read_text(encoding="utf-8")
    assert (shingles(body) == shingles(body.replace("Related posts", "").replace("Loading...", "")
                                       .replace("More from author", ""))).all()


def test_the_stored_body_keeps_the_chrome_and_the_first_kursk_snippet_shows_article_text(seed_index: Path) -> None:
    from hsearch.search.engine import SearchEngine

    with SearchEngine(seed_index) as engine:
        stored = engine.article(SEED_ARTICLE_ID)
        hits = engine.search(SearchRequest.of("कुर्स्क")).hits
    assert stored is not None and "Related posts" in str(stored["body"])
    snippet = "".join(segment.text for segment in hits[0].snippet)
    assert hits[0].id == SEED_ARTICLE_ID
    assert "कुर्स्क" in snippet and "Related" not in snippet and "Loading" not in snippet
    shown = assert_ok(cli("query", "--index", seed_index, "कुर्स्क")).output
    assert "Related" not in shown and "कुर्स्क" in shown


def test_learned_chrome_is_left_out_of_snippets_of_an_index(tmp_path: Path) -> None:
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths
    from hsearch.search.engine import SearchEngine

    from .conftest import write_jsonl

    records = [{"id": a.id, "title": a.title, "body": f"{FOOTER}\n{a.body}", "source": a.source}
               for a in _articles("दैनिक भास्कर", 3, footer="")]
    index_paths(tmp_path / "index", [write_jsonl(tmp_path / "news.jsonl", records)], IndexSettings(model="none"))
    with SearchEngine(tmp_path / "index") as engine:
        hits = engine.search(SearchRequest.of("एजेंसी", mode="bm25")).hits  # a word of the footer only: the hit is shown, its lead is not chrome
        assert hits and all("एजेंसी फीड" not in "".join(s.text for s in h.snippet) for h in hits)
        assert FOOTER in str(engine.article(records[0]["id"])["body"])


def test_the_read_view_leaves_the_chrome_out_and_the_api_body_keeps_it(seed_index: Path) -> None:
    from fastapi.testclient import TestClient

    from hsearch.search.server import EnginePool, create_app

    with EnginePool(seed_index, 1) as pool, TestClient(create_app(pool)) as client:
        article = client.get(f"/api/articles/{SEED_ARTICLE_ID}", params={"q": "कुर्स्क"}).json()
    assert "Related posts" in article["body"]
    assert "Related" not in article["body_html"] and "Loading" not in article["body_html"]
    assert "<mark>कुर्स्क</mark> में पुनर्निर्माण" in article["body_html"]
