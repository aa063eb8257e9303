"""Exceptions a user can cause.  The CLI turns each into a one-line message."""

from __future__ import annotations


class HsearchError(Exception):
    """Base class: the message says what went wrong and what to do."""


class InputError(HsearchError):
    """An input path is missing, empty or of a kind hsearch cannot read."""


class IngestError(HsearchError):
    """A record is malformed and ``--strict`` asked for the first one to be fatal."""


class IndexNotFoundError(HsearchError):
    """No index exists where one was expected."""


class IndexVersionError(HsearchError):
    """The index was built by an incompatible hsearch (analyzer, schema or format)."""


class ModelMismatchError(HsearchError):
    """A query or write asked for a model the index was not built with."""


class ModelUnavailableError(HsearchError):
    """The index's model cannot be loaded here (missing extra, missing weights)."""


class IndexLockedError(HsearchError):
    """Another process is writing to the index."""


class QueryError(HsearchError):
    """A query option has an impossible value (bad date, unknown mode)."""


class IndexDamagedError(HsearchError):
    """A file of the index cannot be read (truncated, overwritten); ``hsearch verify --repair`` can fix it."""


class ArticleNotFoundError(QueryError):
    """A request named an article id the index does not hold (``hsearch similar``, the API's 404)."""

    def __init__(self, article_id: str, index_dir: object) -> None:
        self.article_id = article_id
        super().__init__(f"no article with id {article_id!r} in {index_dir} (hsearch query shows articles' ids)")
