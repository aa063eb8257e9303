"""Restrictions on which articles a query may return (date range, source, category)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from hsearch.index.articles import parse_date
from hsearch.index.errors import QueryError

if TYPE_CHECKING:
    from whoosh import query as wq

# Exact-match fields a query can be restricted to, and whose values the page offers.
FACET_FIELDS = ("source", "category")
# What Filters.parse takes, in the order the CLI and the API list them.
FILTER_FIELDS = ("date_from", "date_to", *FACET_FIELDS)


@dataclass(frozen=True)
class Filters:
    """All optional; ``date_to`` is inclusive (a bare date means to the end of that day)."""

    date_from: datetime | None = None
    date_to: datetime | None = None
    source: str | None = None
    category: str | None = None

    @classmethod
    def parse(cls, *, date_from: str | None = None, date_to: str | None = None,
              source: str | None = None, category: str | None = None) -> Filters:
        """Build from user text; an impossible value is a :class:`QueryError` naming the option."""
        start = _parse_bound("date_from", date_from, end_of_day=False)
        end = _parse_bound("date_to", date_to, end_of_day=True)
        if start and end and start > end:
            raise QueryError(f"{{date_from}} {date_from} is after {{date_to}} {date_to}; swap them",
                             params=("date_from", "date_to"))
        return cls(start, end, (source or "").strip() or None, (category or "").strip() or None)

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.date_from, self.date_to, self.source, self.category))

    def to_whoosh(self) -> wq.Query | None:
        from whoosh import query as wq  # Whoosh's query module is imported by searches, not by the CLI's start

        parts: list[wq.Query] = []
        if self.date_from or self.date_to:
            parts.append(wq.DateRange("date", self.date_from, self.date_to))
        for name in FACET_FIELDS:
            value = getattr(self, name)
            if value:
                parts.append(wq.Term(name, value.lower()))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


def _parse_bound(param: str, value: str | None, *, end_of_day: bool) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        parsed = parse_date(value)
    except ValueError as exc:
        raise QueryError(f"{{{param}}}: {exc}", params=(param,)) from None
    if end_of_day and _is_bare_date(value):
        return datetime.combine(parsed.date(), time.max)
    return parsed


def _is_bare_date(value: str) -> bool:
    try:
        date.fromisoformat(value.strip())
        return True
    except ValueError:
        return False
