"""``hsearch serve``: the JSON API and the search page over one open, warm index.

Searches run in worker threads of an :class:`~hsearch.search.engine_pool.EnginePool`
(one engine per thread at a time, each following the index's commits), never
on the event loop, so the page, ``/api/health`` and other requests are
answered while a query embeds.
"""

from __future__ import annotations

import dataclasses
import errno
import socket
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import anyio
import anyio.to_thread
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException

from hsearch.index import manifest as manifest_io
from hsearch.index.errors import (ArticleNotFoundError, HsearchError, QueryError, SettingsError,
                                  Wording)
from hsearch.index.wording import counted

from .alert_routes import alert_router
from .api_overview import add_overview_routes
from .collapse import PageRequest, Sort
from .engine import SearchEngine
from .engine_pool import DEFAULT_WORKERS, EnginePool
from .request import SearchRequest
from .filters import Filters
from .modes import Mode, modes_for
from .sharded_pool import ShardedPool
from .serialize import ArticleResponse, Expansion, HitResponse, expansions_of, snippet_html

MAX_QUERY_CHARS = 500  # embedding cost grows with the text; a search box needs far less
MAX_K = 100
MAX_OFFSET = 10_000  # pages are cut from the top candidates; far past them every page is empty anyway
MAX_FILTER_CHARS = 300
WEB_DIR = Path(__file__).resolve().parent / "web"
API_VERSION = "1"
DOCS_URL = "/api/docs"

# The page loads nothing from elsewhere; say so to the browser too.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# The API's parameters keep the library's names (date_from, mode, k); settings read ``mode=bm25``.
API_WORDS = Wording(remedies={
    "repair": "The server's operator can repair the index in {index_dir} from its stored articles (hsearch verify "
              "--repair); searches keep working meanwhile",
    "rebuild": "The server's operator must rebuild the index in {index_dir} from its sources",
    "build": "The server's operator must build an index in {index_dir} first",
})


# -- response shapes (they make the OpenAPI description) ----------------------
class ErrorBody(BaseModel):
    error: str = Field(description="What was wrong, in words a user can act on.")


# The filters as the request gave them: one field per field of the library's Filters.
AppliedFilters = create_model(
    "AppliedFilters", **{f.name: (str | None, None) for f in dataclasses.fields(Filters)})  # type: ignore[call-overload]


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    k: int
    count: int
    took_ms: float
    filters: AppliedFilters  # type: ignore[valid-type]
    results: list[HitResponse]
    expanded: bool = Field(description="Whether expansion was on (expand=false turns it off).")
    showing_results_for: str | None = Field(
        description="The query with Devanagari near-misses corrected, when it was; search with expand=false "
                    "for exactly what was typed.")
    expansions: list[Expansion] = Field(description="Each word searched as Devanagari terms, and which.")
    offset: int = Field(0, description="Results skipped before this page.")
    total: int = Field(0, description="Results this query has to page through (stories, when collapsed).")
    sort: Sort = "relevance"
    collapse: bool = True
    partial: bool = Field(False, description="A sharded index answered without some of its shards (failed_shards).")
    failed_shards: list[str] = Field(default_factory=list, description="The shards that did not answer this query.")
    no_close_match: bool = Field(False, description=(
        "True when nothing cleared the relevance floor: the archive holds nothing close to the query. "
        "results is then empty and nearest holds the closest articles, which are not matches."))
    nearest: list[HitResponse] = Field(default_factory=list, description=(
        "With no_close_match: the closest articles, offered only as such (their evidence says why they "
        "fell short); empty otherwise."))


class SimilarResponse(BaseModel):
    id: str = Field(description="The article the results are like; its story's copies are left out.")
    title: str = Field(description="That article's headline.")
    mode: Mode
    k: int
    offset: int
    total: int
    count: int
    took_ms: float
    results: list[HitResponse]


class ShardHealth(BaseModel):
    name: str
    status: Literal["ok", "down"]
    articles: int | None = None
    updated: str | None = None


class Health(BaseModel):
    status: Literal["ok"]
    articles: int
    passages: int
    model: str | None = Field(description="The encoder of the vector side; null for a full-text-only index.")
    modes: list[Mode] = Field(description="Modes this index can answer.")
    default_mode: Mode
    updated: str = Field(description="When the index last changed.")
    shards: list[ShardHealth] | None = Field(None, description="A sharded index's shards, each as it answers now.")


class Facet(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    sources: list[Facet]
    categories: list[Facet]


ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "A parameter has an impossible value."},
    503: {"model": ErrorBody, "description": "The index cannot be read (removed, or rebuilt by another version)."},
}


# -- the application -------------------------------------------------------------
Q_HELP = "The query, in Hindi or English. Quotes make a phrase, -word excludes a word."
MODE_HELP = "Ranking; by default hybrid when the index has vectors, else bm25."
MIN_SCORE_HELP = ("Relevance floor: how far above the query's background cosine an article found only by meaning "
                  "must be; default: calibrated for the index's model; 0 shows every hit.")
SORT_HELP = "relevance, or date: newest first among the results relevance found."
COLLAPSE_HELP = "One result per story (syndicated copies under 'more'); false shows every copy."
OFFSET_HELP = "Results to skip (paging); past the end the page is empty."
PAGE_HELP = "Page number of k results, counting from 1 (instead of offset)."


def _text_param(description: str, *, date: bool = False) -> Any:
    """An optional filter parameter, bounded so no request carries a megabyte of filter.

    Dates say ``format: date`` so clients and fuzzers know what is accepted; the
    server also takes a date-time (``YYYY-MM-DDTHH:MM:SS``), as the CLI does.
    """
    return Query(max_length=MAX_FILTER_CHARS, description=description,
                 json_schema_extra={"format": "date"} if date else None)


def create_app(pool: EnginePool | ShardedPool) -> FastAPI:
    """The ASGI app over an open pool; whoever opened the pool closes it."""

    # FastAPI's own docs pages load Swagger UI from a CDN; fastapi-offline serves the same
    # pages with the Swagger UI files its wheel ships, so /api/docs works with no internet.
    app = FastAPIOffline(
        title="hsearch", version=API_VERSION,
        description="Search Hindi news: full text (BM25F), multilingual embeddings, and both fused.",
        openapi_url="/api/openapi.json",
        docs_url=DOCS_URL, redoc_url=None, static_url=f"{DOCS_URL}/static",
    )
    _install_error_handlers(app)

    @app.get("/api/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description=Q_HELP)],
        mode: Annotated[Mode | None, Query(description=MODE_HELP)] = None,
        k: Annotated[int, Query(ge=1, le=MAX_K, description="Number of results.")] = 10,
        date_from: Annotated[str | None, _text_param("Only articles dated on or after (YYYY-MM-DD).", date=True)] = None,
        date_to: Annotated[str | None, _text_param(
            "Only articles dated on or before (YYYY-MM-DD, inclusive; not before date_from).", date=True)] = None,
        source: Annotated[str | None, _text_param("Only articles from this source (exact, any case).")] = None,
        category: Annotated[str | None, _text_param("Only articles in this category (exact, any case).")] = None,
        min_score: Annotated[float | None, Query(ge=0, le=1, description=MIN_SCORE_HELP)] = None,
        expand: Annotated[bool, Query(description="Expand romanized Hindi and correct Devanagari near-misses.")] = True,
        sort: Annotated[Sort, Query(description=SORT_HELP)] = "relevance",
        collapse: Annotated[bool, Query(description=COLLAPSE_HELP)] = True,
        offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET, description=OFFSET_HELP)] = None,
        page: Annotated[int | None, Query(ge=1, le=MAX_OFFSET, description=PAGE_HELP)] = None,
    ) -> SearchResponse:
        """Ranked articles with highlighted snippets and each side's scores."""
        text = q.strip()
        if not text:
            raise QueryError("the query is empty: type a word or two")
        given = {"date_from": date_from, "date_to": date_to, "source": source, "category": category}
        filters = Filters.parse(**given)
        request = PageRequest.of_page(page, offset, k, sort=sort, collapse=collapse)
        started = time.perf_counter()

        wanted = SearchRequest(text, mode=mode, filters=filters, page=request, min_score=min_score, expand=expand)
        result = await pool.run(lambda engine: engine.search(wanted))
        plan = result.ranking.plan
        return SearchResponse(
            query=text, mode=cast(Mode, result.mode), k=k, count=len(result.hits), offset=result.offset,
            total=result.total, sort=sort, collapse=collapse,
            took_ms=round((time.perf_counter() - started) * 1000, 1),
            filters=AppliedFilters(**{name: value or None for name, value in given.items()}),
            results=[HitResponse.of(hit) for hit in result.hits],
            expanded=expand, showing_results_for=plan.corrected_text, expansions=expansions_of(plan),
            partial=result.partial, failed_shards=list(result.failed_shards),
            no_close_match=result.no_close_match, nearest=[HitResponse.of(hit) for hit in result.nearest],
        )

    @app.get("/api/articles/{article_id:path}/similar", response_model=SimilarResponse, tags=["search"],
             responses={**ERRORS, 404: {"model": ErrorBody, "description": "No article with this id."}})
    async def similar(
        article_id: Annotated[str, PathParam(max_length=500)],
        mode: Annotated[Mode | None, Query(description=MODE_HELP)] = None,
        k: Annotated[int, Query(ge=1, le=MAX_K, description="Number of results.")] = 10,
        offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET, description=OFFSET_HELP)] = None,
        page: Annotated[int | None, Query(ge=1, le=MAX_OFFSET, description=PAGE_HELP)] = None,
    ) -> SimilarResponse:
        """Articles like this one: its passage vectors and key terms as the query, its own story left out."""
        request = PageRequest.of_page(page, offset, k)
        started = time.perf_counter()

        result = await pool.run(lambda engine: engine.similar(article_id, mode=mode, page=request))
        return SimilarResponse(
            id=article_id, title=result.ranking.plan.text, mode=cast(Mode, result.mode), k=k, offset=result.offset,
            total=result.total, count=len(result.hits), took_ms=round((time.perf_counter() - started) * 1000, 1),
            results=[HitResponse.of(hit) for hit in result.hits],
        )

    add_overview_routes(app, pool, ERRORS)  # /api/stats, /api/timeline, /api/articles/{id}/story

    # ``:path``: ids of .txt files in folders hold '/' (``sub/rail``); the page sends them encoded
    # (``sub%2Frail``), which the server decodes before routing, so both forms arrive here.
    @app.get("/api/articles/{article_id:path}", response_model=ArticleResponse, tags=["search"],
             responses={400: ERRORS[400], 404: {"model": ErrorBody, "description": "No article with this id."},
                        503: ERRORS[503]})
    async def article(
        article_id: Annotated[str, PathParam(min_length=1, max_length=500, description="The article's id.")],
        q: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS,
                                       description="A query whose words to mark in title_html and body_html.")] = None,
    ) -> ArticleResponse:
        """One article's stored text and fields; with ``q``, also marked up for reading."""
        def work(engine: SearchEngine) -> tuple[dict[str, object] | None, dict[str, str]]:
            if not (q and q.strip()):
                return engine.article(article_id), {}
            reading = engine.reading(article_id, q)
            if reading is None:
                return None, {}
            return reading.stored, {"title_html": snippet_html(reading.title), "body_html": snippet_html(reading.body)}

        stored, marked = await pool.run(work)
        if stored is None:
            raise StarletteHTTPException(404, f"no article with id {article_id!r}")
        return ArticleResponse.of(article_id, stored, **marked)

    @app.get("/api/health", response_model=Health, tags=["service"], responses={503: ERRORS[503]})
    async def health() -> Health:
        """What the index holds and which modes it answers; reads only the manifest (a sharded index: asks each shard)."""
        if isinstance(pool, ShardedPool):
            return await pool.run(lambda engine: _sharded_health(pool, engine))
        current = await anyio.to_thread.run_sync(manifest_io.load, pool.index_dir)
        modes = modes_for(current.model is not None)
        default = pool.settings.mode or modes[0]
        return Health(status="ok", articles=current.articles, passages=current.passages,
                      model=current.model.name if current.model else None, modes=modes,
                      default_mode=default if default in modes else modes_for(False)[0], updated=current.updated)

    @app.get("/api/facets", response_model=Facets, tags=["search"], responses={503: ERRORS[503]})
    async def facets() -> Facets:
        """Sources and categories the filters can take, with article counts."""
        counts = await pool.run(pool.facets)
        return Facets(**{key: [Facet(value=value, count=count) for value, count in counts.get(field, [])]
                         for field, key in (("source", "sources"), ("category", "categories"))})

    app.include_router(alert_router(pool))  # saved searches: /feeds/NAME.xml and /api/alerts

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app


def _sharded_health(pool: ShardedPool, engine: Any) -> Health:
    built, shards = pool.health(engine)
    modes = modes_for(built.model is not None)
    default = pool.settings.mode or modes[0]
    return Health(status="ok", articles=built.articles, passages=built.passages,
                  model=built.model.name if built.model else None, modes=modes,
                  default_mode=default if default in modes else modes_for(False)[0], updated=built.updated,
                  shards=[ShardHealth(**{k: v for k, v in s.items() if k in ShardHealth.model_fields}) for s in shards])


def _install_error_handlers(app: FastAPI) -> None:
    """Every error is ``{"error": message}``: 400 for bad parameters, 404, 503 for index trouble."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "request"
            if problem.get("type") == "missing":
                problems.append(f"the parameter {where} is required")
            else:
                problems.append(f"{where}: {problem.get('msg', 'invalid value')}")
        return JSONResponse({"error": "; ".join(problems)}, status_code=400)

    @app.exception_handler(ArticleNotFoundError)
    async def unknown_article(_: Request, exc: ArticleNotFoundError) -> JSONResponse:
        return JSONResponse({"error": f"no article with id {exc.article_id!r}"}, status_code=404)

    async def bad_parameter(_: Request, exc: Exception) -> JSONResponse:
        words = exc.words(API_WORDS) if isinstance(exc, HsearchError) else str(exc)
        return JSONResponse({"error": words}, status_code=400)

    for kind in (QueryError, SettingsError):
        app.add_exception_handler(kind, bad_parameter)

    @app.exception_handler(HsearchError)
    async def index_trouble(_: Request, exc: HsearchError) -> JSONResponse:
        return JSONResponse({"error": exc.words(API_WORDS)}, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


# -- running -----------------------------------------------------------------------
def serve(index_dir: Path, *, host: str = "127.0.0.1", port: int = 8000, workers: int = DEFAULT_WORKERS) -> None:
    """Open and warm the index, bind the port, then serve until interrupted.

    Both steps come before uvicorn starts, so a missing index or a busy port
    is one :class:`HsearchError` (a one-line message from the CLI).
    """
    pool = EnginePool(index_dir, workers)
    try:
        pool.warm()
        listener = listen(host, port)
        bound_port = listener.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        articles = manifest_io.load(pool.index_dir).articles
        print(f"hsearch: {counted(articles, 'article')} from {pool.index_dir}; "
              f"search page at http://{shown}:{bound_port}/ (Ctrl+C stops)", file=sys.stderr, flush=True)
        config = uvicorn.Config(create_app(pool), log_level="info", timeout_graceful_shutdown=5,
                                server_header=False)
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        pool.close()


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or an :class:`HsearchError` that says why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise HsearchError(f"cannot listen on {host!r}: {exc.strerror}; give an address such as 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart while old connections linger
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise HsearchError(f"port {port} on {host} is already in use (another hsearch serve?); "
                               "stop that server or choose another {port}", params=("port",)) from None
        if exc.errno == errno.EACCES:
            raise HsearchError(f"no permission to listen on port {port}; choose {{port}} 1024 or above",
                               params=("port",)) from None
        raise HsearchError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


__all__ = ["EnginePool", "create_app", "listen", "serve"]
