"""The page on the sample archive (all of seeds/): an article's own page, copies that open, one row of actions,
ISO date inputs, the footer, and the date histogram that filters by a click.

Skipped like tests/test_browser.py when Chromium or playwright is missing (its fixtures are reused).
Screenshots at phone and desktop width are left in the temporary folder for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from .test_browser import PHONE, SCREENSHOT_DIR, browser, page, problems, serving  # noqa: F401
from .conftest import SAMPLE_ARTICLES, SEED_ARTICLE_ID, SEED_COPIES

from playwright.sync_api import Page, expect  # noqa: E402  (after test_browser's skips)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
DESKTOP = {"width": 1200, "height": 900}
SEED_STORY = {SEED_ARTICLE_ID, *(copy["id"] for copy in SEED_COPIES)}


@pytest.fixture(scope="module")
def server(sample_index: Path) -> Iterator[str]:
    with serving(sample_index) as base:
        yield base


def test_a_result_has_one_quiet_row_of_actions_and_the_footer_one_line(page: Page, server: str,
                                                                        problems: list[str]) -> None:
    page.goto(f"{server}/?q={quote('वायरस')}")
    expect(page.locator("#index-info")).to_contain_text(f"{SAMPLE_ARTICLES} articles")
    first = page.locator("#results li.result").first
    expect(first).to_be_visible()
    assert first.locator(".actions").count() == 1
    expect(first.locator(".actions")).to_have_text("Read · Open · Similar")
    assert first.locator("details.read").count() == 0  # no second row of links
    links = page.locator("footer .links")
    expect(links).to_have_text("API docs · OpenAPI")
    footer_box, links_box = page.locator("footer").bounding_box(), links.bounding_box()
    assert footer_box and links_box and links_box["height"] < 30  # "API docs · OpenAPI" stays together
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SCREENSHOT_DIR / "hsearch-overview-phone.png"), full_page=True)
    assert problems == []


def test_date_inputs_take_iso_dates(page: Page, server: str, problems: list[str]) -> None:
    page.goto(f"{server}/?q={quote('वायरस')}")
    expect(page.locator("#results li.result").first).to_be_visible()
    page.locator("#filters summary").click()
    box = page.locator("#date_from")
    expect(box).to_have_attribute("placeholder", "YYYY-MM-DD")
    assert box.get_attribute("type") == "text"  # not the browser's mm/dd/yyyy picker
    box.fill("2021-01-01")
    box.press("Enter")
    expect(page.locator("#status")).to_contain_text("results")
    assert "date_from=2021-01-01" in page.url
    dates = page.locator("#results li.result time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
    assert dates and all(d >= "2021-01-01" for d in dates)
    assert problems == []


def test_the_date_histogram_shows_when_results_were_published_and_filters_by_a_click(
        page: Page, server: str, problems: list[str]) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/?q={quote('वायरस')}")
    timeline = page.locator("#timeline")
    expect(timeline).to_be_visible()
    expect(page.locator("#timeline-caption")).to_contain_text("by year")
    bars = page.locator("#timeline .bar:not([disabled])")
    titles = bars.evaluate_all("bs => bs.map(b => b.title)")
    assert any(title.startswith("2020:") for title in titles), titles
    page.screenshot(path=str(SCREENSHOT_DIR / "hsearch-overview-desktop.png"), full_page=True)
    page.locator('#timeline .bar[data-from="2020-01-01"]').click()
    expect(page.locator("#date_from")).to_have_value("2020-01-01")
    expect(page.locator("#date_to")).to_have_value("2020-12-31")
    expect(page.locator("#timeline-caption")).to_contain_text("by month")  # one year now: by month
    dates = page.locator("#results li.result time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
    assert dates and all(d.startswith("2020-") for d in dates)
    assert problems == []


def test_an_article_has_its_own_page_with_its_story_and_similar_articles(page: Page, server: str,
                                                                          problems: list[str]) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/?q={quote('कुर्स्क')}")
    hit = page.locator("#results li.result").first
    expect(hit.locator("details.story summary")).to_contain_text("9 more from this story")
    hit.locator("details.story summary").click()
    copy = hit.locator("details.story li a").first
    copy_href = copy.get_attribute("href")
    assert copy_href and copy_href.startswith("/?article=")
    copy.click()  # a copy opens, on its own page
    view = page.locator("#article")
    expect(view).to_be_visible()
    expect(page.locator("#results li.result")).to_have_count(0)
    expect(view.locator("#article-body p").first).to_be_visible()
    expect(view.locator("#article-body mark").first).to_have_text("कुर्स्क")  # the query's word marked
    expect(page.locator("#article-copy-list li")).to_have_count(9)  # the story's other copies, this one left out
    shown = set(page.locator("#article-copy-list a").evaluate_all(
        "as => as.map(a => new URLSearchParams(a.getAttribute('href').slice(1)).get('article'))"))
    opened = page.evaluate("new URLSearchParams(location.search).get('article')")
    assert opened in SEED_STORY and shown == SEED_STORY - {opened}
    # nothing else in the archive is about Kursk: the relevance decision stops "similar" at nothing
    expect(page.locator("#article-similar")).to_be_hidden()
    page.screenshot(path=str(SCREENSHOT_DIR / "hsearch-article-desktop.png"), full_page=True)
    page.goto(f"{server}/?article=tico19-853")  # a COVID-19 report: the other reports are like it
    expect(page.locator("#article-similar-list li").first).to_be_visible()
    similar = set(page.locator("#article-similar-list a").evaluate_all(
        "as => as.map(a => new URLSearchParams(a.getAttribute('href').slice(1)).get('article'))"))
    assert similar and all(s.startswith("tico19-") and s != "tico19-853" for s in similar)

    page.set_viewport_size(PHONE)  # the URL is shareable: it opens the same page on its own
    page.goto(f"{server}/?article={quote(SEED_ARTICLE_ID)}")
    expect(page.locator("#article-title")).to_contain_text("North Korea Russia Support")
    expect(page.locator("#article-copy-list li")).to_have_count(9)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SCREENSHOT_DIR / "hsearch-article-phone.png"), full_page=True)
    page.locator("#article-back").click()
    expect(page.locator("#examples")).to_be_visible()
    assert problems == []


def test_an_unknown_article_says_so(page: Page, server: str) -> None:
    page.goto(f"{server}/?article=no-such-article")
    expect(page.locator("#article-title")).to_have_text("Article not found")
    expect(page.locator("#article-body")).to_contain_text("no article with id")
