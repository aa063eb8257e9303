"""When a query's results were published: a date histogram of them, as Kibana's Discover shows above its hits.

The counts are of the results the query's pages are cut from (the candidate pool, see
:mod:`hsearch.search.collapse`: one per story when collapsed), so the bars add up to the
result count the page shows, plus ``undated``.  Each bucket carries the ``date_from`` and
``date_to`` that filter the search to it, so a click on a bar is an ordinary date filter.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from .collapse import PageRequest
from .engine import SearchEngine
from .filters import Filters
from .request import SearchRequest

INTERVALS = ("day", "month", "year")
MAX_DAYS = 62    # a span of at most two months is shown by day
MAX_MONTHS = 48  # ... of at most four years by month; longer by year


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date  # inclusive: the bucket's date_to
    count: int


@dataclass(frozen=True)
class Timeline:
    interval: str
    buckets: list[Bucket]  # every bucket from the first dated result's to the last's, empty ones too
    undated: int
    total: int


def interval_for(first: date, last: date) -> str:
    """Days for a short span, months for a few years, years beyond."""
    if (last - first).days < MAX_DAYS:
        return "day"
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return "month" if months <= MAX_MONTHS else "year"


def _bucket_start(day: date, interval: str) -> date:
    if interval == "day":
        return day
    return date(day.year, day.month, 1) if interval == "month" else date(day.year, 1, 1)


def _bucket_end(start: date, interval: str) -> date:
    if interval == "day":
        return start
    if interval == "month":
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return date(start.year, 12, 31)


def _next(start: date, interval: str) -> date:
    if interval == "day":
        return date.fromordinal(start.toordinal() + 1)
    if interval == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def histogram(dates: list[datetime | None]) -> Timeline:
    """Buckets over ``dates`` (results' dates; None for an undated one), the interval chosen by their span."""
    days = sorted(d.date() for d in dates if d is not None)
    undated = len(dates) - len(days)
    if not days:
        return Timeline("day", [], undated, len(dates))
    interval = interval_for(days[0], days[-1])
    counts = Counter(_bucket_start(day, interval) for day in days)
    buckets = []
    start = _bucket_start(days[0], interval)
    while start <= days[-1]:
        buckets.append(Bucket(start, _bucket_end(start, interval), counts.get(start, 0)))
        start = _next(start, interval)
    return Timeline(interval, buckets, undated, len(dates))


def query_timeline(engine: SearchEngine, text: str, *, mode: str | None = None, filters: Filters = Filters(),
                   collapse: bool = True, min_score: float | None = None, expand: bool = True) -> Timeline:
    """The histogram of every result ``text`` has (all pages): one search of the whole pool."""
    depth = engine.settings.fusion.candidates
    result = engine.search(SearchRequest(text, mode=mode, filters=filters, min_score=min_score, expand=expand,
                                         page=PageRequest(k=depth, collapse=collapse)))
    return histogram([hit.date for hit in result.hits])
