"""Saved searches ("alerts"): the articles that arrived since an alert was last checked and match it.

When an article arrived is an *arrival number*: each check (and each new
alert) compares the ids the index holds with those it has already numbered,
and gives every new id the next number.  An alert remembers the number it was
last checked at, so "new since last checked" is every id numbered after it,
whatever wrote the article (``hsearch index``, ``hsearch follow``, the
library).  The table holds one number per article of the index (ids deleted
from the index leave it at the next check), so it grows with the archive
only, not with the number of alerts or checks.

Which new articles match is the engine's own decision, as for ``hsearch
query``: the query is ranked over the whole index (with the alert's mode and
filters) and an article counts when it matches the query's words, or, where
the relevance floor applies (an index of 50 or more articles with a
calibrated model), when the floor lets it through by meaning.  Without a
floor every article gets some cosine, so by meaning alone everything would
"match"; then only matching words count.  Hits come in the engine's order.

State lives beside the index (:func:`hsearch.index.layout.alerts_path`), one
JSON file replaced atomically (:mod:`hsearch.index.atomic`) under an
``flock``, so a ``kill -9`` leaves the old state or the new one, and two
processes that change alerts do not lose each other's changes.  A check
prints its matches before it records the new number: killed in between, the
next check shows them again (at least once, never lost).
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hsearch.index import layout
from hsearch.index import manifest as manifest_io
from hsearch.index.atomic import atomic_write_text
from hsearch.index.errors import HsearchError, IndexNotFoundError

if TYPE_CHECKING:  # the engine loads the index libraries; `alerts list` does not need them
    from .engine import SearchEngine

from .filters import FILTER_FIELDS, Filters
from .modes import MODES

STATE_FORMAT = 1
# Letters of any script (with Devanagari's vowel signs and virama), digits, - and _: a name that is its own URL.
NAME = re.compile(r"^[\w\u0900-\u097F-]{1,64}$")
MAX_DEPTH = 10000  # articles an alert's query is ranked over at most (its whole index, up to this)
SUMMARY_CHARS = 300


class AlertError(HsearchError):
    """A saved search that cannot be made: a name that is not usable, an empty query, a bad filter."""


class AlertNotFoundError(AlertError):
    """No saved search has this name."""


class AlertExistsError(AlertError):
    """A saved search of this name exists already."""


@dataclass(frozen=True)
class Alert:
    name: str
    query: str
    mode: str | None = None
    filters: dict[str, str] = field(default_factory=dict)  # as given: date_from, date_to, source, category
    created: str = ""
    checked: int = 0  # the arrival number it was last checked at
    checked_at: str = ""

    def parsed_filters(self) -> Filters:
        return Filters.parse(**self.filters)

    def describe(self) -> str:
        extra = "".join(f" --{k.replace('_', '-')} {v}" for k, v in self.filters.items())
        return f"{self.query}{extra}{f' --mode {self.mode}' if self.mode else ''}"


@dataclass(frozen=True)
class Match:
    """A matching article as an alert shows it."""

    id: str
    rank: int
    score: float
    title: str
    date: datetime | None
    source: str
    url: str
    summary: str
    arrived: int

    def as_dict(self) -> dict[str, Any]:
        from hsearch.index.articles import iso_utc

        data = asdict(self)
        data["date"] = iso_utc(self.date) if self.date else None
        return data


@dataclass
class AlertBook:
    """Every alert of one index and the arrival numbers of its articles."""

    number: int = 0
    arrivals: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)

    @classmethod
    def load(cls, index_dir: Path) -> AlertBook:
        path = layout.alerts_path(index_dir)
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(int(data["number"]), {k: int(v) for k, v in data["arrivals"].items()},
                       {name: Alert(**alert) for name, alert in data["alerts"].items()})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AlertError(f"{path}: the saved searches cannot be read ({exc})") from None

    def save(self, index_dir: Path) -> None:
        data = {"format": STATE_FORMAT, "number": self.number, "alerts": {n: asdict(a) for n, a in self.alerts.items()},
                "arrivals": self.arrivals}
        atomic_write_text(layout.alerts_path(index_dir), json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    def sync(self, ids: set[str]) -> None:
        """Number the ids not seen before; forget the ids the index no longer holds."""
        for gone in set(self.arrivals) - ids:
            del self.arrivals[gone]
        new = ids - set(self.arrivals)
        if new:
            self.number += 1
            self.arrivals.update(dict.fromkeys(new, self.number))

    def get(self, name: str) -> Alert:
        if name not in self.alerts:
            known = ", ".join(sorted(self.alerts)) or "none yet: hsearch alerts add NAME QUERY"
            raise AlertNotFoundError(f"no saved search called {name!r} (saved: {known})")
        return self.alerts[name]


@contextmanager
def _locked(index_dir: Path) -> Iterator[AlertBook]:
    """The book, read and written by one process at a time."""
    path = layout.alerts_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            for leftover in layout.state_leftovers(path):  # of a writer killed mid-write: no one writes it now
                leftover.unlink(missing_ok=True)
            yield AlertBook.load(index_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _index_ids(index_dir: Path) -> set[str]:
    from hsearch.index.schema import read_article_digests

    if not manifest_io.exists(index_dir):
        raise IndexNotFoundError(f"no index in {index_dir}: index articles first (hsearch index, hsearch follow)")
    return set(read_article_digests(index_dir))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def add_alert(index_dir: Path, name: str, query: str, *, mode: str | None = None,
              filters: dict[str, str] | None = None) -> Alert:
    """Save a search; the articles already indexed are not new to it."""
    if not NAME.match(name):
        raise AlertError(f"{name!r} cannot name a saved search: use up to 64 letters, digits, - and _ "
                         "(it is the feed's address: /feeds/NAME.xml)")
    if not query.strip():
        raise AlertError("a saved search needs a query")
    if mode is not None and mode not in MODES:
        raise AlertError(f"unknown {{mode}} {mode!r}; choose one of {', '.join(MODES)}", params=("mode",))
    given = {k: v for k, v in (filters or {}).items() if v}
    unknown = set(given) - set(FILTER_FIELDS)
    if unknown:
        raise AlertError(f"unknown filters {sorted(unknown)}")
    Filters.parse(**given)  # a bad date is refused now, not at every check
    ids = _index_ids(index_dir)
    with _locked(index_dir) as book:
        if name in book.alerts:
            raise AlertExistsError(f"a saved search called {name!r} exists ({book.alerts[name].describe()}); "
                             f"remove it first: hsearch alerts remove {name}")
        book.sync(ids)
        alert = Alert(name, query.strip(), mode, given, _now(), book.number, _now())
        book.alerts[name] = alert
        book.save(index_dir)
    return alert


def remove_alert(index_dir: Path, name: str) -> Alert:
    with _locked(index_dir) as book:
        alert = book.get(name)
        del book.alerts[name]
        book.save(index_dir)
    return alert


def list_alerts(index_dir: Path) -> list[Alert]:
    return sorted(AlertBook.load(index_dir).alerts.values(), key=lambda a: a.name)


def get_alert(index_dir: Path, name: str) -> Alert:
    return AlertBook.load(index_dir).get(name)


def matches(engine: SearchEngine, alert: Alert, arrivals: dict[str, int], *, after: int | None = None,
            unnumbered: int | None = None) -> list[Match]:
    """The articles ``alert`` matches in ``engine``'s index, in the engine's order.

    ``after`` keeps those numbered after it (new since then); ids not yet in
    ``arrivals`` count as number ``unnumbered`` (None: left out).
    """
    snapshot = engine.snapshot()  # the ranking and the articles shown come from one commit
    total = snapshot.manifest.articles
    if not total:
        return []
    ranking = engine.rank(alert.query, mode=alert.mode, depth=min(max(total, 1), MAX_DEPTH),
                          filters=alert.parsed_filters())
    chosen = []
    for doc, score in ranking.ranked:
        number = arrivals.get(doc, unnumbered)
        if number is None or (after is not None and number <= after):
            continue
        chosen.append((doc, score, number))  # the ranking is the engine's relevance decision
    documents = snapshot.fulltext.documents([doc for doc, _, _ in chosen])
    result = []
    for doc, score, number in chosen:
        stored = documents.get(doc)
        if stored is None:
            continue
        body = snapshot.reading_text(stored)
        summary = " ".join(body[:SUMMARY_CHARS + 40].split())
        if len(summary) > SUMMARY_CHARS:
            summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
        result.append(Match(doc, len(result) + 1, float(score), stored.get("title", ""), stored.get("date"),
                            stored.get("source", ""), stored.get("url", ""), summary, number))
    return result


def check_alerts(index_dir: Path, name: str | None = None, *, engine: Any = None,
                 deliver: Any = None) -> dict[str, list[Match]]:
    """The new matches of one alert (or all), each shown once: the alert then remembers this check.

    ``deliver(results)`` is called before the new state is written (the CLI
    prints there), so a check killed before it finished shows them again.
    """
    from .engine import SearchEngine

    ids = _index_ids(index_dir)
    own = engine is None
    engine = engine or SearchEngine(index_dir)
    try:
        with _locked(index_dir) as book:
            chosen = [book.get(name)] if name else sorted(book.alerts.values(), key=lambda a: a.name)
            book.sync(ids)
            results = {alert.name: matches(engine, alert, book.arrivals, after=alert.checked) for alert in chosen}
            if deliver is not None:
                deliver(results)
            for alert in chosen:
                book.alerts[alert.name] = replace(alert, checked=book.number, checked_at=_now())
            book.save(index_dir)
    finally:
        if own:
            engine.close()
    return results


def latest(engine: Any, name: str, limit: int = 20) -> tuple[Alert, list[Match]]:
    """An alert's newest matches (for its feed), newest arrival first; reading changes nothing."""
    book = AlertBook.load(engine.index_dir)
    alert = book.get(name)
    found = matches(engine, alert, book.arrivals, unnumbered=book.number + 1)
    found.sort(key=lambda m: (-m.arrived, -(m.date.timestamp() if m.date else 0), m.rank))
    return alert, found[:limit]
