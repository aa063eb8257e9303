"""The page in headless Chromium: "N more from this story", similar articles, newest first, pages.

Skipped like tests/test_browser.py when Chromium or playwright is missing (its fixtures are reused).
The index: seeds/, nine outlets' copies of the seed story, two other Kursk stories; full text only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.syndicate import syndicate

from .test_browser import SCREENSHOT_DIR, browser, page, problems, serving  # noqa: F401
from .conftest import SEED_CORPUS, write_jsonl
from .test_stories import KURSK, SEED_COPIES, seed_record

from playwright.sync_api import Page, expect  # noqa: E402  (after test_browser's skips)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
QUERY = "अमेरिका के राष्ट्रपति"
SEED_STORY = {seed_record()["id"], *SEED_COPIES}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths

    folder = tmp_path_factory.mktemp("browser-stories")
    copies = write_jsonl(folder / "copies.jsonl", syndicate(seed_record(), 9))
    index_paths(folder / "index", [*SEED_CORPUS, KURSK, copies], IndexSettings(model="none"))
    with serving(folder / "index") as base:
        yield base


def result_ids(page: Page) -> list[str]:
    return page.locator("#results li.result").evaluate_all("items => items.map(i => i.dataset.id)")


def test_copies_fold_under_one_hit_and_similar_leaves_them_out(page: Page, server: str, problems: list[str]) -> None:
    page.goto(f"{server}/?q={QUERY}")
    expect(page.locator("#results li.result").first).to_be_visible()
    ours = [i for i in result_ids(page) if i in SEED_STORY]
    assert len(ours) == 1
    hit = page.locator(f'#results li.result[data-id="{ours[0]}"]')
    story = hit.locator("details.story")
    expect(story.locator("summary")).to_contain_text("9 more from this story")
    story.locator("summary").click()
    expect(story.locator("li")).to_have_count(9)
    page.screenshot(path=str(SCREENSHOT_DIR / "hsearch-story.png"), full_page=True)

    hit.locator("button.similar").click()
    expect(page.locator("#status")).to_contain_text("Similar to")
    expect(page.locator("#results li.result").first).to_have_attribute("data-id", "kursk-troops-evidence")
    assert "similar=" in page.url
    assert not set(result_ids(page)) & SEED_STORY
    assert problems == []


def test_newest_first_and_real_pages(page: Page, server: str, problems: list[str]) -> None:
    page.goto(f"{server}/?q={QUERY}")
    expect(page.locator("#results li.result").first).to_be_visible()
    page.locator("input[name=sort][value=date]").check()
    expect(page.locator("#status")).to_contain_text("newest first")
    assert "sort=date" in page.url
    dates = page.locator("#results li.result time").evaluate_all("items => items.map(t => t.getAttribute('datetime'))")
    assert dates and dates == sorted(dates, reverse=True)

    first = result_ids(page)
    expect(page.locator("#page-info")).to_contain_text("page 1 of")
    page.locator("#next").click()
    expect(page.locator("#page-info")).to_contain_text("page 2 of")
    assert "page=2" in page.url
    expect(page.locator("#results")).to_have_attribute("start", "11")
    second = result_ids(page)
    assert second and not set(first) & set(second)
    page.locator("#prev").click()
    expect(page.locator("#page-info")).to_contain_text("page 1 of")
    assert result_ids(page) == first
    assert problems == []
