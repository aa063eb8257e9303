"""A news site on 127.0.0.1 for the follow tests and the extraction benchmark: pages, feeds and failures.

Routes answer as real servers do: an ``ETag`` and ``Last-Modified`` on feeds
and a 304 to a conditional GET that still matches, redirects, 404 and 500,
a redirect loop, a page far over the size cap sent without a length, and a
page that answers too slowly.  Every request is logged with its headers.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str = ""
    conditional: bool = False  # answers 304 to a matching If-None-Match / If-Modified-Since
    stream_bytes: int = 0  # send this many bytes without a Content-Length instead of body
    delay: float = 0.0


@dataclass
class NewsSite:
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for logged, headers in self.log if logged == path]


def _handler(site: NewsSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            site.log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = site.routes.get(self.path)
            if route is None:
                self._answer(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
                return
            if route.delay:
                time.sleep(route.delay)
            if route.location:
                self.send_response(route.status)
                self.send_header("Location", route.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.stream_bytes:
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.end_headers()
                chunk = b"<p>" + "बहुत लंबा पन्ना। ".encode() * 1000 + b"</p>\n"
                sent = 0
                try:
                    while sent < route.stream_bytes:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            modified = "Wed, 13 Aug 2025 06:30:00 GMT"
            if route.conditional and (self.headers.get("If-None-Match") == etag):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            extra = {"ETag": etag, "Last-Modified": modified} if route.conditional else {}
            self._answer(route.status, route.body, route.content_type, extra)

        def _answer(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def news_site() -> Iterator[NewsSite]:
    """A running site on 127.0.0.1 (a free port); routes can be added while it runs."""
    site = NewsSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
