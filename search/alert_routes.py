"""Saved searches over HTTP: each one an Atom feed (``/feeds/NAME.xml``) and the ``/api/alerts`` endpoints.

A feed reader subscribes to ``/feeds/NAME.xml``: the search's newest matches
(newest arrival first), each entry identified by its article, so a reader
shows each article once; reading a feed changes nothing (``hsearch alerts
check`` keeps its own "last checked").  The page's "Follow this search"
saves the search through ``POST /api/alerts`` and links the feed.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

import anyio
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hsearch.index.articles import iso_utc

from . import alerts as alerts_io
from .filters import FILTER_FIELDS
from .modes import Mode

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 20
NAME_PATTERN = r"^[\w\u0900-\u097F-]{1,64}$"


Name = Annotated[str, PathParam(pattern=NAME_PATTERN, description="The saved search's name.")]


class ErrorMessage(BaseModel):
    error: str


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {400: "A field has an impossible value.", 404: "No saved search has this name.",
             409: "A saved search of this name exists.", 503: "The index cannot be read."}
    return {status: {"model": ErrorMessage, "description": words[status]} for status in statuses}


class AlertBody(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, description="Letters, digits, - and _: the feed is /feeds/NAME.xml.")
    query: str = Field(min_length=1, max_length=500, pattern=r"\S", description="As for /api/search.")
    mode: Mode | None = None
    date_from: str | None = Field(None, max_length=40, json_schema_extra={"format": "date"})
    date_to: str | None = Field(None, max_length=40, json_schema_extra={"format": "date"})
    source: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=200)


class AlertInfo(BaseModel):
    name: str
    query: str
    mode: str | None
    filters: dict[str, str]
    created: str
    checked_at: str
    feed: str


class AlertMatch(BaseModel):
    id: str
    rank: int
    score: float
    title: str
    date: str | None
    source: str
    url: str
    summary: str


class AlertLatest(BaseModel):
    alert: AlertInfo
    matches: list[AlertMatch]


def _info(alert: alerts_io.Alert) -> AlertInfo:
    return AlertInfo(name=alert.name, query=alert.query, mode=alert.mode, filters=alert.filters,
                     created=alert.created, checked_at=alert.checked_at, feed=f"/feeds/{quote(alert.name)}.xml")


def _http(exc: alerts_io.AlertError) -> StarletteHTTPException:
    status = 404 if isinstance(exc, alerts_io.AlertNotFoundError) else \
        409 if isinstance(exc, alerts_io.AlertExistsError) else 400
    return StarletteHTTPException(status, exc.words())


def alert_router(pool: Any) -> APIRouter:
    """The routes, over the server's engine pool (``pool.run(work)`` runs ``work(engine)`` on a warm engine)."""
    router = APIRouter()

    async def latest(name: str) -> tuple[alerts_io.Alert, list[alerts_io.Match]]:
        try:
            return await pool.run(lambda engine: alerts_io.latest(engine, name, FEED_ENTRIES))
        except alerts_io.AlertError as exc:
            raise _http(exc) from None

    @router.get("/feeds/{name}.xml", tags=["alerts"], response_class=Response,
                responses={200: {"content": {"application/atom+xml": {}}, "description": "An Atom 1.0 feed."},
                           **_errors(400, 404, 503)})
    async def feed(name: Name, request: Request) -> Response:
        """A saved search as an Atom feed: its newest matching articles."""
        alert, found = await latest(name)
        return Response(_atom(alert, found, str(request.base_url).rstrip("/")),
                        media_type="application/atom+xml; charset=utf-8")

    @router.get("/api/alerts", response_model=list[AlertInfo], tags=["alerts"], responses=_errors(503))
    async def list_all() -> list[AlertInfo]:
        """Every saved search, with its feed's address."""
        found = await anyio.to_thread.run_sync(alerts_io.list_alerts, pool.index_dir)
        return [_info(alert) for alert in found]

    @router.post("/api/alerts", response_model=AlertInfo, status_code=201, tags=["alerts"],
                 responses=_errors(400, 409, 503))
    async def add(body: AlertBody) -> AlertInfo:
        """Save a search ("Follow this search"); 409 when the name is taken."""
        filters = {name: getattr(body, name) for name in FILTER_FIELDS}
        try:
            alert = await anyio.to_thread.run_sync(
                lambda: alerts_io.add_alert(pool.index_dir, body.name, body.query, mode=body.mode, filters=filters))
        except alerts_io.AlertError as exc:
            raise _http(exc) from None
        return _info(alert)

    @router.get("/api/alerts/{name}", response_model=AlertLatest, tags=["alerts"], responses=_errors(400, 404, 503))
    async def one(name: Name) -> AlertLatest:
        """A saved search and its newest matches (what its feed holds)."""
        alert, found = await latest(name)
        return AlertLatest(alert=_info(alert), matches=[AlertMatch(**{k: v for k, v in m.as_dict().items()
                                                                       if k != "arrived"}) for m in found])

    @router.delete("/api/alerts/{name}", status_code=204, tags=["alerts"], responses=_errors(400, 404, 503))
    async def remove(name: Name) -> Response:
        """Delete a saved search."""
        try:
            await anyio.to_thread.run_sync(alerts_io.remove_alert, pool.index_dir, name)
        except alerts_io.AlertError as exc:
            raise _http(exc) from None
        return Response(status_code=204)

    return router


def _atom(alert: alerts_io.Alert, found: list[alerts_io.Match], base: str) -> bytes:
    ET.register_namespace("", ATOM)

    def child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    feed = ET.Element(f"{{{ATOM}}}feed")
    child(feed, "title", f"hsearch: {alert.query}")
    child(feed, "subtitle", f"New Hindi news articles matching {alert.describe()}")
    child(feed, "id", f"{base}/feeds/{quote(alert.name)}.xml")
    child(feed, "link", rel="self", href=f"{base}/feeds/{quote(alert.name)}.xml")
    child(feed, "link", rel="alternate", href=f"{base}/?q={quote(alert.query)}")
    child(feed, "updated", iso_utc(found[0].date) if found and found[0].date else now)
    child(feed, "generator", "hsearch")
    for match in found:
        entry = child(feed, "entry")
        child(entry, "title", match.title or match.id)
        child(entry, "id", f"{base}/api/articles/{quote(match.id, safe='')}")
        child(entry, "link", rel="alternate", href=match.url or f"{base}/api/articles/{quote(match.id, safe='')}")
        child(entry, "updated", iso_utc(match.date) if match.date else now)
        if match.source:
            author = child(entry, "author")
            child(author, "name", match.source)
        child(entry, "summary", match.summary)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
