"""A search as the edges ask for it: one frozen value, checked once, whoever built it."""

from __future__ import annotations

from dataclasses import dataclass

from .collapse import PageRequest
from .filters import Filters
from .relevance import check_min_score


@dataclass(frozen=True)
class SearchRequest:
    """What to search for and which page to show.

    ``mode`` None is the engine's default (hybrid where the index has vectors);
    ``min_score`` None is the relevance floor calibrated for the model (0 turns
    it off); ``expand`` False searches the words exactly as typed.
    """

    text: str
    mode: str | None = None
    filters: Filters = Filters()
    page: PageRequest = PageRequest()
    min_score: float | None = None
    expand: bool = True

    def __post_init__(self) -> None:
        check_min_score(self.min_score)

    @classmethod
    def of(cls, text: str, *, k: int = 10, offset: int = 0, sort: str = "relevance", collapse: bool = True,
           page: PageRequest | None = None, **rest: object) -> SearchRequest:
        """A request from flat options (``k``, ``offset``, ``sort``, ``collapse``), as library callers write them."""
        chosen = page if page is not None else PageRequest(k=k, offset=offset, sort=sort, collapse=collapse)
        return cls(text, page=chosen, **rest)  # type: ignore[arg-type]
