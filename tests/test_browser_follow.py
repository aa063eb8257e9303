"""The page's "Follow this search": a search saved from the page, its Atom feed linked (headless Chromium)."""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_browser import browser, page, problems, serving  # noqa: F401 - fixtures, shared

pytestmark = [pytest.mark.slow, pytest.mark.browser]

from playwright.sync_api import Page, expect  # noqa: E402 - test_browser skipped the module without it


@pytest.fixture(scope="module")
def server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    index = Path(shutil.copytree(seed_index, tmp_path_factory.mktemp("follow-page") / "index"))  # alerts are written
    with serving(index) as base:
        yield base


def test_follow_this_search_saves_it_and_links_its_feed(page: Page, server: str, problems: list[str]) -> None:
    page.goto(f"{server}/?q=%E0%A4%95%E0%A5%81%E0%A4%B0%E0%A5%8D%E0%A4%B8%E0%A5%8D%E0%A4%95")  # कुर्स्क
    expect(page.locator("#results li.result").first).to_be_visible()
    button = page.locator("#follow-search")
    expect(button).to_be_visible()
    button.click()
    link = page.locator(".follow-note a")
    expect(link).to_have_attribute("href", "/feeds/%E0%A4%95%E0%A5%81%E0%A4%B0%E0%A5%8D%E0%A4%B8%E0%A5%8D%E0%A4%95.xml")
    expect(page.locator(".follow-note")).to_contain_text("कुर्स्क")
    with urllib.request.urlopen(server + link.get_attribute("href")) as response:  # type: ignore[operator]
        feed = response.read().decode("utf-8")
    assert "<feed" in feed and "North Korea Russia Support" in feed
    button.click()  # again: already followed, the same feed
    expect(page.locator(".follow-note")).to_contain_text("Already followed")
    assert problems == []
