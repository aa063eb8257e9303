"""A news article out of its web page: headline, body, date, author and canonical URL, without the site.

The extractor is trafilatura (https://trafilatura.readthedocs.io): maintained,
made for news and blog pages, and the best or among the best open extractors
in the published comparisons (the ScrapingHub article-extraction benchmark;
Bevendorff et al., "An Empirical Comparison of Web Content Extraction
Algorithms", SIGIR 2023), with its own fallbacks (jusText, readability) for
pages its rules miss.  It drops navigation, related-article lists, comments
and footers, reads the metadata news sites publish (``<link rel=canonical>``,
``article:published_time``, ``author``, JSON-LD) with htmldate for dates, and
works on any script: nothing in it is tied to English.  html.parser (what
:mod:`hsearch.index.markup` uses for markup inside JSON fields) knows no
article from its chrome, and readability-lxml or newspaper3k are less kept or
score lower on those benchmarks.  bench/extraction.py measures it on Hindi
pages in site chrome.

Bytes are decoded here, not by the extractor: the charset the server declared
(``Content-Type``) first, then the page's own ``<meta charset>``, then UTF-8,
then charset-normalizer's guess, so a page in windows-1252 or an old Hindi
site's declared encoding reads as its author wrote it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from .articles import Article, parse_date, stable_id
from .boilerplate import is_known
from .errors import HsearchError

# Larger pages are refused, not read: a news page is rarely over 2 MB with its markup.
MAX_PAGE_BYTES = 8 * 1024 * 1024
MIN_ARTICLE_CHARS = 50  # less extracted text than this is a page without an article (an index, an error page)
# trafilatura trims an author's name with a \\w that Devanagari vowel signs fail ("शर्मा" -> "शर्म"): the
# page's own <meta name="author"> is read first.
_META_AUTHOR = re.compile(r"""<meta\s+name\s*=\s*["']author["']\s+content\s*=\s*["']([^"'<>]{1,200})["']""",
                          re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class PageError(HsearchError):
    """A page cannot become an article: not decodable, too large, no article in it."""


@dataclass(frozen=True)
class ExtractedPage:
    """What a page holds: the article and its metadata (``author`` is not indexed: the schema has no field)."""

    title: str
    body: str
    date: datetime | None
    author: str
    url: str
    sitename: str

    def article(self, *, article_id: str = "", source: str = "", url: str = "", origin: str = "") -> Article:
        """The page as an :class:`Article`; its id is from its canonical URL (the same page re-read keeps it)."""
        link = self.url or url
        return Article(id=article_id or stable_id(link, self.title, self.body), title=self.title, body=self.body,
                       date=self.date, source=source or self.sitename, url=link, origin=origin)


def decode_page(raw: bytes, declared: str | None = None) -> str:
    """The text of a page: declared charset, else ``<meta charset>``, else UTF-8, else a guess."""
    for name in (declared, _meta_charset(raw)):
        if not name:
            continue
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue  # a wrong declaration: try what the page itself says, then UTF-8
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise PageError("the page's bytes are in no encoding it declares, nor UTF-8, nor one that can be guessed")
    return str(best)


def _meta_charset(raw: bytes) -> str | None:
    found = _META_CHARSET.search(raw[:4096])
    return found.group(1).decode("ascii") if found else None


def extract_page(page: bytes | str, *, url: str | None = None, charset: str | None = None,
                 max_bytes: int = MAX_PAGE_BYTES) -> ExtractedPage:
    """The article of one HTML page (``url`` is where it was fetched, for relative canonical links)."""
    import trafilatura

    if isinstance(page, bytes):
        if len(page) > max_bytes:
            raise PageError(f"the page is {len(page) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB cap")
        page = decode_page(page, charset)
    document = trafilatura.bare_extraction(
        # favor_precision: short articles otherwise fall back to extractions that keep bylines and share bars
        page, url=url, with_metadata=True, include_comments=False, include_tables=True, include_images=False,
        deduplicate=False, favor_precision=True, config=_config(),
        date_extraction_params={"extensive_search": True, "original_date": True,
                                "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    title = " ".join((getattr(document, "title", None) or "").split()) if document is not None else ""
    # a "यह भी पढ़ें: …" box or a "Loading..." left inside the article is the site's, not the article's
    lines = [line.strip() for line in text.split("\n") if line.strip() and not is_known(line)]
    if lines and title and " ".join(lines[0].split()) == title:
        lines = lines[1:]  # the headline leads the extracted text: it is the title, not the body
    body = "\n".join(lines)
    if len(body) < MIN_ARTICLE_CHARS:
        raise PageError("no article found in the page (it holds no run of article text: an index page, "
                        "an error page, or text drawn by scripts)")
    assert document is not None
    return ExtractedPage(title=title or lines[0][:120], body=body, date=_date(document.date),
                         author=_meta_author(page) or (document.author or "").strip(), url=(document.url or url or "").strip(),
                         sitename=(document.sitename or "").strip())


@lru_cache(maxsize=1)
def _config() -> Any:
    """trafilatura's settings with MIN_EXTRACTED_SIZE at :data:`MIN_ARTICLE_CHARS` instead of 250.

    Below 250 characters trafilatura distrusts its own extraction and falls
    back to looser ones that take the page's text around the article (teaser
    cards of other stories, a byline, a share bar): a one-paragraph news brief
    is shorter than that.  Measured in bench/extraction.py on two site layouts.
    """
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(MIN_ARTICLE_CHARS))
    return config


def _meta_author(page: str) -> str:
    import html

    found = _META_AUTHOR.search(page[:65536])
    return " ".join(html.unescape(found.group(1)).split()) if found else ""


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip()
    if re.search(r"[+-]\d{4}$", text):  # htmldate's %z: +0530 -> +05:30 for fromisoformat
        text = text[:-2] + ":" + text[-2:]
    try:
        return parse_date(text)
    except ValueError:
        return None
