"""The article record every input format is read into."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

ARTICLE_FIELDS = ("id", "title", "body", "date", "source", "url", "category")


@dataclass(frozen=True)
class Article:
    """One news article.  ``id`` is unique within an index: indexing an id again replaces it."""

    id: str
    title: str
    body: str
    date: datetime | None = None
    source: str = ""
    url: str = ""
    category: str = ""
    # Where the record came from, for messages; not indexed.
    origin: str = field(default="", compare=False)
    # The body without its site's chrome lines (hsearch.index.boilerplate), what passages and story shingles
    # are made from; None: the body less the well-known chrome lines.  Not stored: the body is the record.
    content: str | None = field(default=None, compare=False, repr=False)


def stable_id(url: str, title: str, body: str) -> str:
    """An id that is the same every time the same article is read.

    From the URL when there is one (the same story re-crawled keeps its id),
    else from the content, so re-indexing a file never duplicates articles.
    """
    basis = f"url:{url.strip()}" if url.strip() else f"text:{title.strip()}\n{body.strip()}"
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def content_digest(article: Article) -> str:
    """Identifies the text an article's vectors were made from, to catch stale vectors."""
    text = f"{article.title}\n{article.body}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def parse_date(value: str) -> datetime:
    """Parse an ISO 8601 date or date-time; aware times are converted to naive UTC.

    Raises ``ValueError`` with a message naming the accepted forms.
    """
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"
        ) from None
    if parsed.tzinfo is not None:
        from datetime import timezone

        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def iso_utc(value: datetime) -> str:
    """A stored date as ISO 8601 with its zone: dates are stored as naive UTC (see :func:`parse_date`),
    and a reader must not take them for local time.  ``+00:00`` as the manifest writes its times."""
    from datetime import timezone

    return value.replace(tzinfo=timezone.utc).isoformat() if value.tzinfo is None else value.isoformat()
