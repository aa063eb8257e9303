"""RSS and Atom feeds read into entries (feedparser underneath), and lists of feeds.

feedparser is the long-kept reader of every RSS version, Atom 0.3/1.0 and
RDF, tolerant of the broken XML sites publish (it says so in ``bozo`` and
reads what it can); a document it can read nothing from is a
:class:`FeedError` naming the feed.
"""

from __future__ import annotations

from calendar import timegm
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import HsearchError, InputError


class FeedError(HsearchError):
    """A feed that is not an RSS or Atom feed, or that holds nothing readable."""


@dataclass(frozen=True)
class FeedEntry:
    """One entry: its guid (the feed's id for it, else its link), link, title and date."""

    guid: str
    link: str
    title: str = ""
    published: datetime | None = None


@dataclass(frozen=True)
class Feed:
    title: str
    entries: list[FeedEntry]


def parse_feed(raw: bytes, where: str, *, charset: str | None = None) -> Feed:
    """The entries of the feed document ``raw`` (``where``: its URL or file, for messages)."""
    import feedparser

    headers = {"content-type": f"application/xml; charset={charset}"} if charset else None
    parsed = feedparser.parse(raw, response_headers=headers)
    entries = []
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip()
        guid = (entry.get("id") or link).strip()
        if not link or not guid:
            continue  # an entry without a page cannot be followed
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(timegm(stamp), tz=timezone.utc).replace(tzinfo=None) if stamp else None
        entries.append(FeedEntry(guid, link, " ".join((entry.get("title") or "").split()), published))
    if not parsed.get("version") and not entries:
        problem = parsed.get("bozo_exception")
        reason = f" ({str(problem).strip()[:160]})" if problem else ""
        raise FeedError(f"{where}: not an RSS or Atom feed{reason}")
    title = " ".join((parsed.feed.get("title") or "").split())
    return Feed(title, entries)


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def expand_feed_list(arguments: list[str]) -> list[str]:
    """The feeds ``hsearch follow`` was given: URLs, feed files, and files that list feeds (one a line, # comments)."""
    feeds: list[str] = []
    for argument in arguments:
        if is_url(argument):
            feeds.append(argument)
            continue
        path = Path(argument)
        if not path.is_file():
            raise InputError(f"{argument}: no such file, and not an http(s) URL of a feed")
        try:
            head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        except OSError as exc:
            raise InputError(f"{argument}: cannot read ({exc.strerror})") from None
        if head.startswith(b"<"):
            feeds.append(str(path))  # a feed document itself
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            raise InputError(f"{argument}: neither a feed nor a UTF-8 list of feeds") from None
        for number, line in enumerate(lines, start=1):
            item = line.split("#", 1)[0].strip() if not line.lstrip().startswith("http") else line.strip()
            if not item:
                continue
            if not is_url(item) and not Path(item).is_file():
                raise InputError(f"{argument}:{number}: {item!r} is neither an http(s) URL nor a feed file")
            feeds.append(item)
    return list(dict.fromkeys(feeds))
