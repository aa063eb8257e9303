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


UNWRITABLE_ADVICE = ("Nothing was changed; choose a writable index folder (--index DIR after the subcommand, "
                     "or $HSEARCH_INDEX).")


class IndexWriteError(HsearchError):
    """The index's folder or a file in it cannot be written (read-only, immutable, full, not a folder).

    ``path`` is what could not be written, ``reason`` the system's words for
    why (an errno, worded), ``state`` what became of the index.
    """

    def __init__(self, path: str, reason: str, state: str) -> None:
        self.path, self.reason, self.state = path, reason, state
        super().__init__(f"cannot write {path}: {reason}. {state}")


def os_error_reason(exc: OSError) -> str:
    """An OSError in words a user can act on: the cases an index folder meets."""
    import errno

    words = {
        errno.EROFS: "the file system is mounted read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted (is the folder immutable? lsattr shows an 'i')",
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EEXIST: "a file of that name is in the way",
    }
    return words.get(exc.errno or 0, exc.strerror or str(exc))


def rebuild_command(index_dir: object) -> str:
    """The command that rebuilds an index whose full text is lost: only its sources can."""
    import shlex

    return f"hsearch index --rebuild --index {shlex.quote(str(index_dir))} SOURCES"


class FullTextDamagedError(IndexDamagedError):
    """A file of the full-text index is missing or unreadable: the record itself, so only a rebuild helps."""

    def __init__(self, index_dir: object, reason: str) -> None:
        self.index_dir, self.reason = index_dir, reason
        super().__init__(
            f"the full-text index in {index_dir} is damaged ({reason}) and cannot be repaired; "
            f"rebuild it from the files it was built from: {rebuild_command(index_dir)}"
        )


def damage_reason(exc: BaseException) -> str:
    """What is wrong with a file of an index, shortly: the file when the error names one."""
    from pathlib import Path

    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{Path(exc.filename).name} is missing"
    if isinstance(exc, OSError) and exc.filename:
        return f"{Path(exc.filename).name}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class IndexInterrupted(HsearchError):
    """Ctrl-C (SIGINT) during a write; ``committed`` tells whether the full text of this run went in."""

    def __init__(self, index_dir: object, committed: bool) -> None:
        self.index_dir, self.committed = index_dir, committed
        if committed:
            message = ("interrupted after the full text of this run was committed; the vector side is behind: "
                       f"hsearch verify --repair --index {index_dir} brings it level")
        else:
            message = f"interrupted: nothing of this run was written; the index in {index_dir} is as it was"
        super().__init__(message)
