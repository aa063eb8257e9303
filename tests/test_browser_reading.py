"""The page in headless Chromium: marked titles and articles, one title style, ids with '/' that open.

Same requirements and skips as ``test_browser.py`` (Debian's ``chromium``,
``fonts-noto-core`` for Devanagari, the ``playwright`` package).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_browser import PHONE, TIMEOUT_MS, browser, serving  # noqa: F401 - fixtures
from .test_page_api import folder_index  # noqa: F401 - the index with ids like sub/rail

from playwright.sync_api import Browser, Page, Route, expect  # noqa: E402 - after the skips above

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def server(folder_index: Path) -> Iterator[str]:  # noqa: F811
    with serving(folder_index) as base:
        yield base


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport=PHONE, locale="hi-IN")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []

    def gate(route: Route) -> None:
        if route.request.url.startswith((server, "data:")):
            route.continue_()
        else:
            problems.append(f"request to another site: {route.request.url}")
            route.abort()

    tab.route("**/*", gate)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert problems == []


def test_an_article_in_a_subfolder_opens_with_the_query_words_marked(page: Page, server: str) -> None:
    page.goto(f"{server}/?q=%E0%A4%95%E0%A4%BF%E0%A4%B0%E0%A4%BE%E0%A4%AF%E0%A4%BE")  # किराया
    first = page.locator("#results li.result").first
    expect(first).to_have_attribute("data-id", "sub/rail")
    expect(first.locator("h2 mark")).to_have_text("किराया")
    first.locator(".actions button.read").click()
    body = first.locator(".body")
    expect(body.locator("p").first).to_contain_text("भारतीय रेल")
    expect(body).not_to_contain_text("Could not load")
    expect(body.locator("mark")).to_have_text(["किराये", "किराया"])  # its spelling variant too, as the index matches
    expect(body).to_contain_text("5 < 10")  # text, not markup


def test_titles_with_and_without_a_link_look_the_same(page: Page, server: str) -> None:
    page.goto(f"{server}/?q=%E0%A4%B0%E0%A5%87%E0%A4%B2&k=20")  # रेल: the .txt articles have no URL
    expect(page.locator("#results li.result").first).to_be_visible()
    page.goto(f"{server}/?q=%E0%A4%B5%E0%A5%88%E0%A4%9C%E0%A5%8D%E0%A4%9E%E0%A4%BE%E0%A4%A8%E0%A4%BF%E0%A4%95"
              "+%E0%A4%B0%E0%A5%87%E0%A4%B2")  # वैज्ञानिक रेल: wikinews (with URLs) and the rail articles
    linked = page.locator("#results h2 a.title").first
    plain = page.locator("#results h2 button.title").first
    expect(linked).to_be_visible()
    expect(plain).to_be_visible()
    style = "e => { const s = getComputedStyle(e); return [s.color, s.fontSize, s.fontWeight, s.textDecorationLine]; }"
    assert linked.evaluate(style) == plain.evaluate(style)
    plain.click()  # a title without a link opens the article
    expect(plain.locator("xpath=ancestor::li").locator("button.read")).to_have_attribute("aria-expanded", "true")
