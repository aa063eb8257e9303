"""From a ranking to a page: collapse stories, sort, cut the page, fetch its articles, make snippets.

Reads the same snapshot the ranking was made from, so a page never shows an
article (or a story copy) that its ranking's commit did not hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .collapse import Arranged, Copy, PageRequest, arrange
from .retrieval import Ranking
from .snapshot import Snapshot
from .snippets import Snippet, make_snippet, mark_all


@dataclass(frozen=True)
class Hit:
    """One result, with each side's evidence kept for ``--explain``."""

    id: str
    rank: int
    score: float
    title: str = ""
    date: datetime | None = None
    source: str = ""
    category: str = ""
    url: str = ""
    snippet: Snippet = field(default_factory=list)
    title_marks: Snippet = field(default_factory=list)  # the headline with the query's words marked
    bm25_score: float | None = None
    bm25_rank: int | None = None
    cosine: float | None = None
    cosine_rank: int | None = None
    evidence: str | None = None  # why the relevance floor let it through
    copies: tuple[Copy, ...] = ()  # the other copies of its story, best first


@dataclass(frozen=True)
class ResultPage:
    """One page of results, where it sits in the whole arrangement, and the ranking it was cut from."""

    hits: list[Hit]
    total: int
    offset: int
    more: bool
    ranking: Ranking
    failed_shards: tuple[str, ...] = ()  # a sharded index's shards that did not answer: the page is partial
    nearest: list[Hit] = field(default_factory=list)  # nothing cleared the floor: the closest, shown apart

    @property
    def no_close_match(self) -> bool:
        """Nothing cleared the relevance floor (``nearest`` holds the closest candidates, as such)."""
        return self.ranking.no_close_match

    @property
    def mode(self) -> str:
        return self.ranking.mode

    @property
    def partial(self) -> bool:
        return bool(self.failed_shards)


def hydrate(snapshot: Snapshot, ranking: Ranking, page: PageRequest) -> ResultPage:
    """Collapse, sort and cut ``ranking.ranked``, then fetch the page's documents."""
    fulltext = snapshot.fulltext

    def dates(ids: list[str]) -> dict[str, datetime | None]:
        return {doc: stored.get("date") for doc, stored in fulltext.documents(list(ids)).items()}

    arranged: Arranged = arrange(ranking.ranked, page, story_of=snapshot.stories.stories, date_of=dates)
    wanted = [doc for entry in arranged.entries for doc in (entry.id, *(c for c, _ in entry.copies))]
    documents = fulltext.documents(wanted)
    bm25_at = {doc: (rank, score) for rank, (doc, score) in enumerate(ranking.bm25, start=1)}
    dense_at = {doc: (rank, score) for rank, (doc, score) in enumerate(ranking.dense, start=1)}

    def hit(doc: str, rank: int, score: float, copies: tuple[tuple[str, float], ...],
            documents: dict[str, dict[str, Any]]) -> Hit | None:
        stored = documents.get(doc)
        if stored is None:  # vectors of an article the full text no longer has: verify repairs it
            return None
        bm25_rank, bm25_score = bm25_at.get(doc, (None, None))
        cosine_rank, cosine = dense_at.get(doc, (None, None))
        return Hit(
            id=doc, rank=rank, score=score, title=stored.get("title", ""),
            date=stored.get("date"), source=stored.get("source", ""),
            category=stored.get("category", ""), url=stored.get("url", ""),
            snippet=make_snippet(snapshot.reading_text(stored), ranking.terms, fulltext.analyzer),
            title_marks=mark_all(stored.get("title", ""), ranking.terms, fulltext.analyzer),
            copies=tuple(Copy(c, documents[c].get("source", ""), documents[c].get("title", ""),
                              documents[c].get("date")) for c, _ in copies if c in documents),
            bm25_rank=bm25_rank, bm25_score=bm25_score, cosine_rank=cosine_rank, cosine=cosine,
            evidence=ranking.evidence.get(doc),
        )

    # an entry the full text no longer has (vectors not yet repaired by verify) is left out
    found = [shown for entry in arranged.entries
             if (shown := hit(entry.id, 0, entry.score, entry.copies, documents)) is not None]
    hits = [replace(shown, rank=arranged.offset + i) for i, shown in enumerate(found, start=1)]
    nearest: list[Hit] = []
    if ranking.no_close_match and page.offset == 0:
        near = fulltext.documents([doc for doc, _ in ranking.nearest])
        nearest = [shown for i, (doc, score) in enumerate(ranking.nearest, start=1)
                   if (shown := hit(doc, i, score, (), near)) is not None]
    return ResultPage(hits, arranged.total, arranged.offset, arranged.more, ranking, nearest=nearest)
