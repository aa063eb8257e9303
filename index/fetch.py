"""A polite HTTP client for feeds and article pages (requests underneath).

Polite as crawlers are asked to be: a user agent that names hsearch, a pause
between two requests to one host, timeouts on connecting and reading,
conditional GETs (``If-None-Match`` / ``If-Modified-Since``) so an unchanged
feed costs a 304 and no body, a cap on the bytes read (a page that is larger
is refused after the cap, not read whole), and a limit on redirects (a loop
is an error, not a hang).  Every failure is a :class:`FetchError` naming the
URL and why; nothing here retries: the follower decides when to try again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import HsearchError
from .html_pages import MAX_PAGE_BYTES


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("hsearch")
    except Exception:  # noqa: BLE001 - a checkout that is not installed
        return "0"


@dataclass(frozen=True)
class FetchSettings:
    """How hsearch behaves as an HTTP client."""

    user_agent: str = f"hsearch/{_version()} (Hindi news search; follows feeds: hsearch follow)"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    host_delay: float = 2.0  # seconds between the starts of two requests to one host
    max_bytes: int = MAX_PAGE_BYTES
    max_redirects: int = 5


class FetchError(HsearchError):
    """A URL could not be fetched; ``url`` and ``status`` (None: no HTTP answer) say which and how."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        self.url, self.reason, self.status = url, reason, status
        super().__init__(f"{url}: {reason}")


@dataclass
class Fetched:
    """An answer: ``not_modified`` for a 304 (then ``content`` is empty)."""

    url: str  # after redirects
    status: int
    content: bytes = b""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass
class Fetcher:
    """One client: a connection pool and, per host, when it was last asked."""

    settings: FetchSettings = FetchSettings()
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)
    _session: object | None = None

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        import requests

        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(url, "not an http(s) URL")
        if self._session is None:
            session = requests.Session()
            session.headers["User-Agent"] = self.settings.user_agent
            session.max_redirects = self.settings.max_redirects
            self._session = session
        headers = {"Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self._wait_for(urlsplit(url).netloc)
        try:
            response = self._session.get(url, headers=headers, stream=True,  # type: ignore[attr-defined]
                                         timeout=(self.settings.connect_timeout, self.settings.read_timeout))
        except requests.TooManyRedirects:
            raise FetchError(url, f"a redirect loop (or more than {self.settings.max_redirects} redirects)") from None
        except requests.Timeout:
            raise FetchError(url, "timed out") from None
        except requests.RequestException as exc:
            raise FetchError(url, f"cannot connect ({_short(exc)})") from None
        with response:
            if response.status_code == 304:
                return Fetched(response.url, 304, not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code >= 400:
                raise FetchError(url, f"HTTP {response.status_code} {response.reason or ''}".strip(),
                                 response.status_code)
            content = self._read(response, url)
            return Fetched(response.url, response.status_code, content, _charset(response.headers),
                           response.headers.get("ETag"), response.headers.get("Last-Modified"))

    def _read(self, response: object, url: str) -> bytes:
        import requests

        cap = self.settings.max_bytes
        declared = response.headers.get("Content-Length")  # type: ignore[attr-defined]
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(url, f"the page is {int(declared) / 1e6:.1f} MB, over the {cap / 1e6:.0f} MB cap")
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):  # type: ignore[attr-defined]
                size += len(chunk)
                if size > cap:
                    raise FetchError(url, f"the page is over the {cap / 1e6:.0f} MB cap (stopped reading)")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise FetchError(url, f"the answer broke off ({_short(exc)})") from None
        return b"".join(chunks)

    def _wait_for(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            pause = self.settings.host_delay - (self.clock() - last)
            if pause > 0:
                self.sleep(pause)
        self._last[host] = self.clock()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()  # type: ignore[attr-defined]
            self._session = None


def _charset(headers: object) -> str | None:
    content_type = headers.get("Content-Type", "")  # type: ignore[attr-defined]
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _short(exc: BaseException) -> str:
    text = str(exc)
    reason = getattr(exc, "args", [None])[0]
    if hasattr(reason, "reason"):
        text = str(reason.reason)
    return text[:160] if text else type(exc).__name__
