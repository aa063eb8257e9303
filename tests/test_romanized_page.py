"""The search page says what a query was searched as, and searches the words as typed on request."""

from __future__ import annotations

import pytest

from .test_browser import browser, page, problems, server  # noqa: F401 - fixtures shared with the page tests
from .conftest import SEED_ARTICLE_ID

from playwright.sync_api import Page, expect  # noqa: E402 - test_browser skips first when it is missing

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_near_miss_shows_results_for_the_held_spelling_and_the_original_on_request(
        page: Page, server: str, problems: list[str]) -> None:  # noqa: F811
    page.goto(f"{server}/?q=%E0%A4%95%E0%A5%81%E0%A4%B0%E0%A5%8D%E0%A4%B8%E0%A4%95&mode=bm25")  # कुर्सक
    notice = page.locator("#notice")
    expect(notice).to_contain_text("Showing results for कुर्स्क")
    expect(page.locator("#results li.result").first).to_have_attribute("data-id", SEED_ARTICLE_ID)
    notice.get_by_role("button").click()
    expect(page.locator("#empty")).to_be_visible()  # कुर्सक as typed is in no article
    assert "expand=false" in page.url
    assert problems == []


def test_a_romanized_query_says_what_it_was_also_searched_as(
        page: Page, server: str, problems: list[str]) -> None:  # noqa: F811
    page.goto(f"{server}/?q=kursk")
    expect(page.locator("#notice")).to_contain_text("kursk → कुर्स्क")
    expect(page.locator("#results li.result").first).to_have_attribute("data-id", SEED_ARTICLE_ID)
    assert problems == []
