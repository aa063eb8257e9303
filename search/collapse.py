"""One result per story, newest first on request, and pages: what a ranked list becomes a page by.

Plain functions over ``[(id, score)]``, no I/O.  The order of work is fixed:

1. the *pool*: the ranking's top ``max(candidates, k)`` ids (hybrid fusion's
   candidate depth; the relevance rules have already decided who is in it);
2. *collapse*: each story keeps its best-ranked copy, the others travel with
   it as ``copies`` ("9 more from this story");
3. *sort*: ``relevance`` keeps the ranking's order; ``date`` puts the story
   with the newest dated copy first, undated ones last, ties in relevance order;
4. *page*: ``offset`` and ``k`` cut the result; past the end is an empty page.

The pool does not depend on ``offset``, so every page of one query is cut
from the same list: pages never repeat or skip a result, in either sort.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from hsearch.index.errors import QueryError

Sort = Literal["relevance", "date"]
SORTS: tuple[str, ...] = get_args(Sort)  # the CLI's choices, the API's enum, the check below


@dataclass(frozen=True)
class PageRequest:
    """Which page of which arrangement; validated here so every edge words errors alike."""

    k: int = 10
    offset: int = 0
    sort: str = "relevance"
    collapse: bool = True

    def __post_init__(self) -> None:
        if self.k <= 0:
            raise QueryError("the number of results ({k}) must be at least 1", params=("k",))
        if self.offset < 0:
            raise QueryError("{offset} must be 0 or more", params=("offset",))
        if self.sort not in SORTS:
            raise QueryError(f"unknown {{sort}} {self.sort!r}; choose one of {', '.join(SORTS)}", params=("sort",))

    @classmethod
    def of_page(cls, page: int | None, offset: int | None, k: int, **rest: object) -> PageRequest:
        """From a 1-based ``page`` of ``k`` results or a raw ``offset`` (not both)."""
        if page is not None and offset is not None:
            raise QueryError("give {page} or {offset}, not both", params=("page", "offset"))
        if page is not None and page < 1:
            raise QueryError("{page} counts from 1", params=("page",))
        start = (page - 1) * k if page is not None else (offset or 0)
        return cls(k=k, offset=start, **rest)  # type: ignore[arg-type]

    def pool_depth(self, candidates: int) -> int:
        """How deep the ranking is read; independent of ``offset`` so that pages agree."""
        return max(candidates, self.k)


@dataclass(frozen=True)
class Entry:
    """One result on a page: the shown copy and the other copies of its story, best first."""

    id: str
    score: float
    copies: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Arranged:
    entries: list[Entry]
    total: int  # results (stories, when collapsed) in the whole pool
    offset: int
    more: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "more", self.offset + len(self.entries) < self.total)


def collapse(ranked: Sequence[tuple[str, float]], story_of: Mapping[str, str]) -> list[Entry]:
    """Group by story, keeping the ranking's order of each story's best copy."""
    order: list[str] = []
    groups: dict[str, list[tuple[str, float]]] = {}
    for doc, score in ranked:
        story = story_of.get(doc, doc)
        if story not in groups:
            order.append(story)
            groups[story] = []
        groups[story].append((doc, score))
    return [Entry(groups[s][0][0], groups[s][0][1], tuple(groups[s][1:])) for s in order]


def newest_first(entries: Sequence[Entry], date_of: Mapping[str, datetime | None]) -> list[Entry]:
    """Newest story first, by its newest dated copy (shown or folded), undated stories last; Python's sort
    is stable, so ties keep relevance order."""
    def key(entry: Entry) -> tuple[bool, float]:
        dates = [d for d in (date_of.get(doc) for doc in (entry.id, *(c for c, _ in entry.copies))) if d is not None]
        newest = max(dates, default=None)
        return (newest is None, -newest.timestamp() if newest is not None else 0.0)

    return sorted(entries, key=key)


def arrange(ranked: Sequence[tuple[str, float]], request: PageRequest, *,
            story_of: Callable[[Sequence[str]], Mapping[str, str]],
            date_of: Callable[[Sequence[str]], Mapping[str, datetime | None]]) -> Arranged:
    """The page ``request`` asks for, cut from ``ranked`` (the pool, best first)."""
    ids = [doc for doc, _ in ranked]
    entries = collapse(ranked, story_of(ids)) if request.collapse else [Entry(d, s) for d, s in ranked]
    if request.sort == "date":
        entries = newest_first(entries, date_of([doc for e in entries for doc in (e.id, *(c for c, _ in e.copies))]))
    return Arranged(entries[request.offset:request.offset + request.k], len(entries), request.offset)


@dataclass(frozen=True)
class Copy:
    """Another copy of a shown result's story (for "N more from this story")."""

    id: str
    source: str = ""
    title: str = ""
    date: datetime | None = None
