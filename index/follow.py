"""``hsearch follow``: news in from RSS and Atom feeds, each new entry's page extracted and indexed.

One poll reads every feed (a conditional GET: an unchanged feed costs a 304),
fetches the page of each entry it has not indexed yet (by guid or link),
extracts the article (:mod:`hsearch.index.html_pages`) and indexes it,
committing after each feed (and every ``commit_every`` pages), so a killed
poll keeps what it committed and the next one carries on.  What the follower
knows lives beside the index (:func:`hsearch.index.layout.follow_state_path`,
written atomically after each commit): each feed's validators and failures,
the entries indexed, and the pages that failed, which are tried again at the
next polls (``max_tries`` in all) without holding up the rest.

A feed or a page that fails (an HTTP error, a redirect loop, a timeout, a page
over the size cap, a malformed feed, a page without an article) is reported
in the :class:`PollReport` and never stops the other feeds.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from . import layout
from .articles import Article, stable_id
from .atomic import atomic_write_text
from .boilerplate import Boilerplate
from .encoders import Encoder
from .errors import HsearchError, IndexInterrupted
from .feeds import Feed, FeedEntry, FeedError, is_url, parse_feed
from .fetch import FetchError, Fetcher, FetchSettings
from .html_pages import PageError, extract_page
from .settings import IndexSettings

STATE_FORMAT = 1


@dataclass(frozen=True)
class FollowSettings:
    fetch: FetchSettings = FetchSettings()
    index: IndexSettings = IndexSettings()
    max_tries: int = 3  # polls a failing page is tried in before it is given up
    commit_every: int = 20  # pages: a large first poll of a feed commits as it goes


@dataclass
class FeedStatus:
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0  # polls in a row that failed
    error: str = ""
    checked: str = ""  # when it was last read (UTC, ISO 8601)


@dataclass
class PendingPage:
    """An entry whose page failed: tried again at the next poll."""

    link: str
    guid: str
    feed: str
    tries: int
    error: str


@dataclass
class FollowState:
    feeds: dict[str, FeedStatus] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)  # guid or link -> article id ("" for a page given up)
    pending: dict[str, PendingPage] = field(default_factory=dict)  # link -> the failure

    @classmethod
    def load(cls, index_dir: Path) -> FollowState:
        path = layout.follow_state_path(index_dir)
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls({url: FeedStatus(**status) for url, status in data["feeds"].items()}, dict(data["seen"]),
                       {link: PendingPage(**page) for link, page in data["pending"].items()})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise HsearchError(f"{path}: the follower's state cannot be read ({exc}); move it away to start "
                               "afresh (entries already indexed are then recognised by their URL)") from None

    def save(self, index_dir: Path) -> None:
        data = {"format": STATE_FORMAT, "feeds": {u: asdict(s) for u, s in self.feeds.items()},
                "seen": self.seen, "pending": {link: asdict(p) for link, p in self.pending.items()}}
        atomic_write_text(layout.follow_state_path(index_dir), json.dumps(data, ensure_ascii=False, indent=1))

    def knows(self, entry: FeedEntry) -> bool:
        return entry.guid in self.seen or entry.link in self.seen


@dataclass
class PollReport:
    """What one poll did; ``problems`` are one line each, naming the feed or page."""

    feeds: int = 0
    unchanged: int = 0  # feeds that answered 304
    entries: int = 0  # entries the feeds listed
    known: int = 0  # ... already indexed (by guid, link or canonical URL)
    added: list[str] = field(default_factory=list)  # article ids indexed by this poll
    committed: int = 0
    commits: int = 0
    problems: list[str] = field(default_factory=list)
    given_up: list[str] = field(default_factory=list)


Event = Callable[[str], None]


class Follower:
    """Polls feeds into one index; keeps one HTTP client and one encoder between polls."""

    def __init__(self, index_dir: Path, settings: FollowSettings = FollowSettings(), *,
                 fetcher: Fetcher | None = None, encoder: Encoder | None = None,
                 on_event: Event | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self.fetcher = fetcher or Fetcher(settings.fetch)
        self.encoder = encoder
        self.say = on_event or (lambda message: None)
        self._indexed: set[str] | None = None  # ids in the index, read at the first entry that needs it

    def close(self) -> None:
        self.fetcher.close()

    def poll(self, feeds: Sequence[str]) -> PollReport:
        """Read every feed once; index what is new.  Ctrl-C raises :class:`IndexInterrupted` saying what went in."""
        report = PollReport()
        self._indexed = None
        with _polling(self.index_dir):
            state = FollowState.load(self.index_dir)
            try:
                for feed in feeds:
                    self._poll_feed(feed, state, report)
            except KeyboardInterrupt:
                raise IndexInterrupted(self.index_dir, committed=report.commits > 0,
                                       checkpointed=report.committed) from None
        return report

    # -- one feed --------------------------------------------------------------
    def _poll_feed(self, feed: str, state: FollowState, report: PollReport) -> None:
        report.feeds += 1
        self._validators: tuple[str | None, str | None] | None = None
        status = state.feeds.setdefault(feed, FeedStatus())
        retries = [p for p in state.pending.values() if p.feed == feed]
        try:
            parsed: Feed | object | None = self._read_feed(feed, status)
        except (FetchError, FeedError, OSError) as exc:
            if isinstance(exc, OSError):
                exc = FeedError(f"{feed}: cannot read ({exc.strerror or exc})")
            status.failures += 1
            status.error = _words(exc)
            report.problems.append(f"feed {_words(exc)} (failed {status.failures} time(s) in a row; "
                                   "tried again at the next poll)")
            self.say(f"feed failed: {_words(exc)}")
            parsed = None
        status.checked = datetime.now(timezone.utc).isoformat(timespec="seconds")
        entries: list[FeedEntry] = []
        if parsed is _UNCHANGED:
            report.unchanged += 1
            self.say(f"{feed}: unchanged")
        elif isinstance(parsed, Feed):
            status.failures, status.error = 0, ""
            status.title = parsed.title or status.title
            report.entries += len(parsed.entries)
            fresh = [e for e in parsed.entries if not state.knows(e)]
            report.known += len(parsed.entries) - len(fresh)
            entries = [e for e in fresh if e.link not in state.pending]  # those come as retries below
            self.say(f"{feed}: {len(parsed.entries)} entries, {len(fresh)} new")
        todo = [(e.link, e.guid) for e in entries] + [(p.link, p.guid) for p in retries]
        source = status.title or urlsplit(feed).netloc or Path(feed).stem
        batch: list[tuple[str, str, Article]] = []
        for link, guid in todo:
            article = self._page(link, guid, feed, source, state, report)
            if article is not None:
                batch.append((link, guid, article))
            if len(batch) >= self.settings.commit_every:
                self._commit(batch, state, report)
                batch = []
        self._commit(batch, state, report)
        if self._validators is not None:  # only now: a poll stopped half-way reads the whole feed again
            status.etag, status.last_modified = self._validators
        state.save(self.index_dir)  # validators and failures, even when nothing was new

    def _read_feed(self, feed: str, status: FeedStatus) -> Feed | object:
        if not is_url(feed):
            return parse_feed(Path(feed).read_bytes(), feed)
        answer = self.fetcher.get(feed, etag=status.etag, last_modified=status.last_modified)
        if answer.not_modified:
            return _UNCHANGED
        parsed = parse_feed(answer.content, feed, charset=answer.charset)
        self._validators = (answer.etag, answer.last_modified)  # kept once every entry is handled
        return parsed

    def _page(self, link: str, guid: str, feed: str, source: str, state: FollowState,
              report: PollReport) -> Article | None:
        """The entry's article, or None (already indexed, or failed: then recorded for a later try)."""
        if stable_id(link, "", "") in self._ids():
            self._seen(state, link, guid, stable_id(link, "", ""))
            report.known += 1
            return None
        try:
            answer = self.fetcher.get(link)
            page = extract_page(answer.content, url=answer.url, charset=answer.charset,
                                max_bytes=self.settings.fetch.max_bytes)
        except (FetchError, PageError) as exc:
            self._failed(state, report, link, guid, feed, _words(exc) if isinstance(exc, FetchError)
                         else f"{link}: {exc.problem}")
            return None
        article = page.article(source=source, url=link)
        if article.id in self._ids():  # the same article under another link (its canonical URL)
            self._seen(state, link, guid, article.id)
            report.known += 1
            return None
        return article

    def _failed(self, state: FollowState, report: PollReport, link: str, guid: str, feed: str, why: str) -> None:
        earlier = state.pending.get(link)
        tries = (earlier.tries if earlier else 0) + 1
        if tries >= self.settings.max_tries:
            state.pending.pop(link, None)
            self._seen(state, link, guid, "")
            report.given_up.append(link)
            report.problems.append(f"page {why} (given up after {tries} tries)")
        else:
            state.pending[link] = PendingPage(link, guid, feed, tries, why)
            report.problems.append(f"page {why} (try {tries} of {self.settings.max_tries}; "
                                   "tried again at the next poll)")
        self.say(f"page failed: {why}")

    @staticmethod
    def _seen(state: FollowState, link: str, guid: str, article_id: str) -> None:
        state.seen[guid] = article_id
        state.seen[link] = article_id
        state.pending.pop(link, None)

    def _ids(self) -> set[str]:
        if self._indexed is None:
            from .schema import read_article_digests

            self._indexed = set(read_article_digests(self.index_dir)) \
                if layout.manifest_path(self.index_dir).exists() else set()
        return self._indexed

    # -- writing -----------------------------------------------------------------
    def _commit(self, batch: list[tuple[str, str, Article]], state: FollowState, report: PollReport) -> None:
        """Index ``batch`` and commit, then record its entries as seen (the state follows the index)."""
        if not batch:
            return
        from .writer import IndexWriter

        articles = list({article.id: article for _, _, article in batch}.values())
        with IndexWriter(self.index_dir, self.settings.index, wait=True, encoder=self.encoder) as writer:
            chrome = Boilerplate.load(self.index_dir)
            prepared = chrome.prepare(articles)
            writer.add(prepared)
            writer.commit()
            chrome.save(self.index_dir)
            self.encoder = writer.encoder  # loaded once, kept for the next polls
        report.commits += 1
        report.committed += len(articles)
        report.added += [a.id for a in articles]
        for link, guid, article in batch:
            self._seen(state, link, guid, article.id)
        self._ids().update(a.id for a in articles)
        state.save(self.index_dir)
        self.say(f"committed {len(articles)} article(s)")


_UNCHANGED = object()  # a feed that answered 304 Not Modified


@contextmanager
def _polling(index_dir: Path) -> Iterator[None]:
    """One follower polls an index at a time (the state is theirs to share); another one is told so."""
    path = layout.follow_state_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name("lock"), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise HsearchError(f"another hsearch follow ({holder}) is polling {index_dir}; "
                               "one follower per index: give it all the feeds") from None
        try:
            lock.seek(0)
            lock.truncate()
            lock.write(f"PID {os.getpid()}")
            lock.flush()
            for leftover in layout.state_leftovers(path):  # of a follower killed mid-write
                leftover.unlink(missing_ok=True)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _words(exc: HsearchError) -> str:
    return exc.words()
