"""End to end: ``hsearch serve`` on loopback, the page in headless Chromium, a Hindi query typed in.

Needs Debian's ``chromium`` and the ``playwright`` package (its own browser
download is never used); skipped with the reason when either is missing.
A screenshot of each run is left in the temporary folder for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from bench.load import free_port, start_server, stop

from .conftest import SEED_ARTICLE_ID, SEED_ARTICLES

CHROMIUM = os.environ.get("HSEARCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOT_DIR = Path(tempfile.gettempdir())
TIMEOUT_MS = 30_000
pytestmark = [pytest.mark.slow, pytest.mark.browser]

pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, Route, ViewportSize, expect, sync_playwright

PHONE: ViewportSize = {"width": 390, "height": 844}


@contextmanager
def serving(index_dir: Path) -> Iterator[str]:
    """``hsearch serve`` as a user starts it, on a free loopback port, until the block ends; yields its URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile(mode="w+") as log:
        process = start_server(index_dir, port, log)
        try:
            wait_for_health(base, process, log)
            yield base
        finally:
            stop(process)


@pytest.fixture(scope="module")
def server(seed_index: Path) -> Iterator[str]:
    with serving(seed_index) as base:
        yield base


def wait_for_health(base: str, process: subprocess.Popen[str], log: IO[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"hsearch serve exited with {process.returncode}:\n{log.read()}")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"hsearch serve did not answer /api/health within {timeout:.0f} s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def problems() -> list[str]:
    """Requests to other sites, console errors and script errors seen by the page."""
    return []


@pytest.fixture
def page(browser: Browser, server: str, problems: list[str]) -> Iterator[Page]:
    """A phone-sized page that may load nothing but this server."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="hi-IN")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()

    def gate(route: Route) -> None:
        url = route.request.url
        if url.startswith((server, "data:")):
            route.continue_()
        else:
            problems.append(f"request to another site: {url}")
            route.abort()

    tab.route("**/*", gate)
    tab.on("console", lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()


def test_typing_a_hindi_word_finds_the_seed_article(page: Page, server: str, problems: list[str]) -> None:
    page.goto(f"{server}/")
    box = page.locator("#q")
    expect(page.locator("#index-info")).to_contain_text(f"{SEED_ARTICLES} articles")
    box.click()
    box.type("कुर्स्क")
    box.press("Enter")

    first = page.locator("#results li.result").first
    expect(first).to_have_attribute("data-id", SEED_ARTICLE_ID)
    expect(first.locator("h2")).to_contain_text("North Korea Russia Support")
    expect(first.locator(".snippet mark").first).to_have_text("कुर्स्क")
    expect(first.locator(".snippet")).to_have_attribute("lang", "hi")
    expect(page.locator("#status")).to_contain_text("hybrid")
    assert "q=%E0%A4%95" in page.url  # the query is in the address bar

    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the page scrolls sideways on a phone-sized screen"
    page.screenshot(path=str(SCREENSHOT_DIR / "hsearch-phone.png"))

    first.locator(".actions button.read").click()
    expect(first.locator(".body p").first).to_contain_text("किम जोंग-उन")
    assert problems == []


def test_no_results_suggests_what_to_try(page: Page, server: str, problems: list[str]) -> None:
    page.goto(f"{server}/?q=%E0%A4%9D%E0%A4%95%E0%A5%8D%E0%A4%B8%E0%A4%AF%E0%A5%8D%E0%A4%9C&mode=bm25")
    expect(page.locator("#empty")).to_be_visible()
    expect(page.locator("#suggestions")).to_contain_text("Try Hybrid ranking")
    page.screenshot(path=str(SCREENSHOT_DIR / "hsearch-no-results.png"))
    page.locator("#suggestions button", has_text="Try Hybrid ranking").click()
    expect(page.locator("input[name=mode][value=hybrid]")).to_be_checked()
    # a made-up word: by meaning too the archive holds nothing close, and the page says so plainly,
    # offering the nearest articles apart from results, as such
    expect(page.locator("#no-match")).to_be_visible()
    expect(page.locator("#results li.result")).to_have_count(0)
    expect(page.locator("#nearest-list li.result").first).to_be_visible()
    assert problems == []


def test_filters_narrow_the_results_and_can_be_cleared(page: Page, server: str, problems: list[str]) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{server}/?q=North+Korea+Russia+support")
    expect(page.locator("#results li.result").first).to_have_attribute("data-id", SEED_ARTICLE_ID)
    page.locator("#filters summary").click()
    page.locator("#source").select_option("Wikinews (FLORES-200)")
    expect(page.locator("#results li.result").first).not_to_have_attribute("data-id", SEED_ARTICLE_ID)
    assert "source=Wikinews" in page.url
    page.screenshot(path=str(SCREENSHOT_DIR / "hsearch-desktop.png"), full_page=True)
    page.locator("#clear-filters").click()
    expect(page.locator("#results li.result").first).to_have_attribute("data-id", SEED_ARTICLE_ID)
    assert problems == []
