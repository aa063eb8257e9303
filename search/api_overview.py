"""The API's overview routes: index statistics, a query's date histogram, an article's story copies.

:func:`add_overview_routes` registers them on the app :func:`hsearch.search.server.create_app` makes
(before its ``/api/articles/{id}`` route, whose ``:path`` id would otherwise take ``.../story``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import FastAPI, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hsearch.index.errors import QueryError
from hsearch.index.shards import statistics_of

from .article_view import story_copies
from .engine import SearchEngine
from .engine_pool import MAX_FACET_VALUES, EnginePool
from .filters import Filters
from .modes import Mode
from .timeline import query_timeline


MAX_QUERY_CHARS = 500
MAX_FILTER_CHARS = 300


class Count(BaseModel):
    value: str
    count: int


class DateRange(BaseModel):
    first: str | None = Field(description="The oldest article's date (ISO 8601, UTC); null when none is dated.")
    last: str | None = Field(description="The newest article's date.")
    dated: int
    undated: int


class StoryCounts(BaseModel):
    stories: int = Field(description="Distinct stories: an article and its syndicated copies are one.")
    with_copies: int = Field(description="Stories with more than one copy.")
    copies: int = Field(description="Articles folded under another copy of their story.")


class Segment(BaseModel):
    id: str
    articles: int
    deleted: int = Field(description="Deleted articles the segment still holds until a merge.")


class FulltextSegments(BaseModel):
    generation: int
    count: int
    parts: list[Segment]


class VectorSegment(BaseModel):
    id: str
    passages: int
    deleted: int = Field(description="Passages of deleted or replaced articles the segment holds until a merge.")
    search: str = Field(description="How the segment is searched: flat (exact) or an approximate kind.")


class VectorSide(BaseModel):
    generation: int | None = Field(description="The vector side's commit generation; null without vectors.")
    folder: str | None = Field(None, description="An index in an older vector format: the file holding them.")
    passages: int
    segments: list[VectorSegment] = Field(default_factory=list, description="The live vector segments, oldest first.")


class Segments(BaseModel):
    fulltext: FulltextSegments
    vectors: VectorSide


class Stats(BaseModel):
    articles: int
    passages: int
    model: str
    vector_search: str
    analyzer: str
    format: int
    created: str
    updated: str = Field(description="When the index last changed.")
    dates: DateRange
    sources_total: int
    sources: list[Count] = Field(description="Most frequent first (at most 200; sources_total counts them all).")
    categories_total: int
    categories: list[Count]
    stories: StoryCounts
    segments: Segments
    bytes: dict[str, int] = Field(description="Bytes on disk per part of the index.")


class Bar(BaseModel):
    date_from: str = Field(description="The bucket's first day: the date_from that filters a search to it.")
    date_to: str = Field(description="Its last day (inclusive).")
    count: int


class TimelineResponse(BaseModel):
    query: str
    interval: Literal["day", "month", "year"]
    total: int = Field(description="Results the query has (stories, when collapsed), dated or not.")
    undated: int
    buckets: list[Bar] = Field(description="Every bucket from the first dated result's to the last's, empty ones too.")
    took_ms: float


class StoryCopy(BaseModel):
    id: str
    title: str
    source: str | None
    date: str | None


class StoryResponse(BaseModel):
    id: str
    copies: list[StoryCopy] = Field(description="The other articles of this article's story, oldest first.")


def add_overview_routes(app: FastAPI, pool: EnginePool, errors: dict[int | str, dict[str, object]]) -> None:
    """Register the three routes; ``errors`` are the app's documented error responses."""

    @app.get("/api/stats", response_model=Stats, tags=["service"], responses={503: errors[503]})
    async def stats() -> Stats:
        """What the index holds: dates, sources, categories, stories, segments, sizes, when it last changed."""
        info = await anyio.to_thread.run_sync(lambda: statistics_of(pool.index_dir, facet_limit=MAX_FACET_VALUES))
        info.pop("index")  # the server's folder is not the client's business
        return Stats.model_validate(info)

    @app.get("/api/timeline", response_model=TimelineResponse, tags=["search"], responses=errors)
    async def timeline(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="The query, as for /api/search.")],
        mode: Annotated[Mode | None, Query(description="Ranking, as for /api/search.")] = None,
        date_from: Annotated[str | None, Query(max_length=MAX_FILTER_CHARS, json_schema_extra={"format": "date"})] = None,
        date_to: Annotated[str | None, Query(max_length=MAX_FILTER_CHARS, json_schema_extra={"format": "date"})] = None,
        source: Annotated[str | None, Query(max_length=MAX_FILTER_CHARS)] = None,
        category: Annotated[str | None, Query(max_length=MAX_FILTER_CHARS)] = None,
        min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
        expand: bool = True,
        collapse: bool = True,
    ) -> TimelineResponse:
        """When the query's results were published: counts per day, month or year (by the results' span)."""
        text = q.strip()
        if not text:
            raise QueryError("the query is empty: type a word or two")
        filters = Filters.parse(date_from=date_from, date_to=date_to, source=source, category=category)
        started = time.perf_counter()

        def work(engine: SearchEngine) -> Any:
            return query_timeline(engine, text, mode=engine.resolve_mode(mode), filters=filters, collapse=collapse,
                                  min_score=min_score, expand=expand)

        found = await pool.run(work)
        return TimelineResponse(
            query=text, interval=found.interval, total=found.total, undated=found.undated,
            buckets=[Bar(date_from=b.start.isoformat(), date_to=b.end.isoformat(), count=b.count) for b in found.buckets],
            took_ms=round((time.perf_counter() - started) * 1000, 1))

    @app.get("/api/articles/{article_id:path}/story", response_model=StoryResponse, tags=["search"],
             responses={**errors, 404: {"description": "No article with this id."}})
    async def story(article_id: Annotated[str, PathParam(min_length=1, max_length=500)]) -> StoryResponse:
        """The other copies of this article's story (the syndicated versions collapsing folds together)."""
        def work(engine: SearchEngine) -> list[dict[str, object]] | None:
            return None if engine.article(article_id) is None else story_copies(engine, article_id)

        copies = await pool.run(work)
        if copies is None:
            raise StarletteHTTPException(404, f"no article with id {article_id!r}")
        return StoryResponse(id=article_id, copies=[StoryCopy.model_validate(c) for c in copies])
