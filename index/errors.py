"""Exceptions a user can cause, as data: what went wrong, which parameter, what to do.

The library never words an error in one front end's terms.  A message may
name the parameters it concerns as ``{name}`` placeholders (the library's own
names: ``mode``, ``date_from``, ``k``, ``wait``), and ``retry`` lists settings
that would make the call work.  Each edge says them in its own words: the CLI
as flags (``--date-from``, ``--mode bm25``), the API as its query parameters
(``date_from``, ``mode=bm25``) — see :class:`Wording`.  ``str(exc)`` uses the
library's names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


REMEDY_ACTIONS = ("repair", "rebuild", "build")


@dataclass(frozen=True)
class Remedy:
    """What a user does to fix an error, as data: each edge words it (:attr:`Wording.remedies`).

    * ``repair``: derived data (vectors, sidecars, tables) is behind or
      damaged; verifying the index with repair rebuilds it from the stored articles;
    * ``rebuild``: the record itself is lost or of another version; only the
      sources the index was built from can rebuild it;
    * ``build``: there is no index yet.
    """

    action: str
    index_dir: str

    def __post_init__(self) -> None:
        if self.action not in REMEDY_ACTIONS:
            raise ValueError(f"unknown remedy {self.action!r}; choose one of {', '.join(REMEDY_ACTIONS)}")


#: The library's own words for each remedy (``str(exc)``); the CLI says them as commands.
LIBRARY_REMEDIES: Mapping[str, str] = {
    "repair": "Repair it (verify with repair rebuilds derived data from the stored articles of {index_dir})",
    "rebuild": "Rebuild the index in {index_dir} from the files it was built from",
    "build": "Build an index in {index_dir} first",
}


@dataclass(frozen=True)
class Wording:
    """How one edge names parameters and remedies.

    With ``flag_style`` (the CLI) a parameter is ``--`` + its name with dashes
    (``date_from`` -> ``--date-from``) and a setting reads ``--mode bm25`` or a
    bare ``--wait``; otherwise (the API) names stay and a setting is
    ``mode=bm25``.  ``names`` overrides single names (``k`` -> ``-k``);
    ``remedies`` words each :class:`Remedy` action (``{index_dir}`` is filled in).
    """

    names: Mapping[str, str] = field(default_factory=dict)
    flag_style: bool = False
    remedies: Mapping[str, str] = field(default_factory=lambda: LIBRARY_REMEDIES)
    quote: Callable[[str], str] = str  # how a path is written (the CLI quotes it for a shell)

    def remedy(self, remedy: Remedy) -> str:
        return self.remedies.get(remedy.action, LIBRARY_REMEDIES[remedy.action]).replace(
            "{index_dir}", self.quote(remedy.index_dir))

    def name(self, param: str) -> str:
        if param in self.names:
            return self.names[param]
        return "--" + param.replace("_", "-") if self.flag_style else param

    def setting(self, param: str, value: object) -> str:
        if self.flag_style:
            return self.name(param) if value is True else f"{self.name(param)} {value}"
        return f"{self.name(param)}={str(value).lower() if isinstance(value, bool) else value}"


LIBRARY_WORDS = Wording()


class HsearchError(Exception):
    """Base class of every error a user can cause.

    ``problem`` says what went wrong, ``advice`` what to do; either may hold
    ``{param}`` placeholders for the names in ``params`` (and only those: user
    text in the message is never formatted).  ``retry`` is settings that avoid
    the error (``{"mode": "bm25"}``, ``{"wait": True}``).
    """

    def __init__(self, problem: str, *, advice: str = "", params: Sequence[str] = (),
                 retry: Mapping[str, object] | None = None, remedy: Remedy | None = None) -> None:
        self.problem = problem
        self.advice = advice
        self.remedy = remedy
        self.params = tuple(params) + tuple(p for p in (retry or {}) if p not in params)
        self.retry = dict(retry or {})
        super().__init__(problem)

    @property
    def param(self) -> str | None:
        """The parameter (or field) the error concerns first, in the library's name."""
        return self.params[0] if self.params else None

    def words(self, wording: Wording = LIBRARY_WORDS) -> str:
        """The whole message, parameters named as ``wording`` names them."""
        parts = [self._fill(self.problem, wording)]
        if self.retry:
            parts.append("Use " + " or ".join(wording.setting(p, v) for p, v in self.retry.items()))
        if self.advice:
            parts.append(self._fill(self.advice, wording))
        if self.remedy is not None:
            parts.append(wording.remedy(self.remedy))
        if len(parts) == 1:
            return parts[0]
        return ". ".join(_clause(part) for part in parts[:-1]) + ". " + parts[-1]

    def _fill(self, text: str, wording: Wording) -> str:
        for param in self.params:
            text = text.replace("{" + param + "}", wording.name(param))
        return text

    def __str__(self) -> str:
        return self.words()


def _clause(text: str) -> str:
    """``text`` without its full stop, so clauses join into one message."""
    return text[:-1] if text.endswith(".") and not text.endswith("...") else text


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


class SettingsError(HsearchError, ValueError):
    """A settings object was given an impossible value (unknown fusion method, weight outside 0..1)."""


class IndexDamagedError(HsearchError):
    """A file of the index cannot be read (truncated, overwritten); ``hsearch verify --repair`` can fix it."""


class RayUnavailableError(HsearchError):
    """``--ray`` was asked for but the ``ray`` package is not installed."""


class ClusterUnreachableError(HsearchError):
    """No Ray cluster answers at the address given (or none runs, for ``auto``)."""


class EmbeddingFailedError(HsearchError):
    """The Ray actors that embed passages kept failing after Ray's retries; committed work is kept."""


class ArticleNotFoundError(QueryError):
    """A request named an article id the index does not hold (``hsearch similar``, the API's 404)."""

    def __init__(self, article_id: str, index_dir: object) -> None:
        self.article_id = article_id
        self.index_dir = index_dir
        super().__init__(f"no article with id {article_id!r} in {index_dir}")


UNWRITABLE_ADVICE = ("Nothing was changed; choose a writable index folder (--index DIR after the subcommand, "
                     "or $HSEARCH_INDEX).")


class IndexWriteError(HsearchError):
    """The index's folder or a file in it cannot be written (read-only, immutable, full, not a folder).

    ``path`` is what could not be written, ``reason`` the system's words for
    why (an errno, worded), ``state`` what became of the index.
    """

    def __init__(self, path: str, reason: str, state: str, *, remedy: Remedy | None = None) -> None:
        self.path, self.reason, self.state = path, reason, state
        super().__init__(f"cannot write {path}: {reason}. {state}", remedy=remedy)


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


class FullTextDamagedError(IndexDamagedError):
    """A file of the full-text index is missing or unreadable: the record itself, so only a rebuild helps."""

    def __init__(self, index_dir: object, reason: str) -> None:
        self.index_dir, self.reason = index_dir, reason
        super().__init__(f"the full-text index in {index_dir} is damaged ({reason}) and cannot be repaired",
                         remedy=Remedy("rebuild", str(index_dir)))


def damage_reason(exc: BaseException) -> str:
    """What is wrong with a file of an index, shortly: the file when the error names one."""
    from pathlib import Path

    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{Path(exc.filename).name} is missing"
    if isinstance(exc, OSError) and exc.filename:
        return f"{Path(exc.filename).name}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class IndexInterrupted(HsearchError):
    """Ctrl-C (SIGINT) during a write; ``committed`` tells whether the full text of this run went in.

    ``checkpointed`` counts the articles of this run that periodic commits had
    already made safe on both sides (a long build commits as it goes).
    """

    def __init__(self, index_dir: object, committed: bool, checkpointed: int = 0) -> None:
        self.index_dir, self.committed, self.checkpointed = index_dir, committed, checkpointed
        if checkpointed:
            message = (f"interrupted: {checkpointed} articles of this run were committed; run the same command "
                       "again to carry on (without --rebuild: it skips what is already indexed)")
        elif committed:
            message = "interrupted after the full text of this run was committed; the vector side is behind"
        else:
            message = f"interrupted: nothing of this run was written; the index in {index_dir} is as it was"
        super().__init__(message, remedy=Remedy("repair", str(index_dir)) if committed and not checkpointed else None)
