"""Read articles from JSONL, CSV and folders of ``.txt`` files (gzipped too), or JSONL on stdin.

Bad records are reported with file and line, skipped and counted, so one broken
line never costs the rest of a corpus; a file that cannot be read at all (a CSV
without a body column, a broken gzip) is reported and skipped the same way.
``strict`` makes the first problem fatal.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .articles import ARTICLE_FIELDS, Article, parse_date, stable_id
from .errors import IngestError, InputError
from .markup import html_to_text

JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")  # a web page: its article is extracted (hsearch.index.html_pages)
GZIP_SUFFIX = ".gz"
READABLE_SUFFIXES = (JSONL_SUFFIXES + CSV_SUFFIXES + TEXT_SUFFIXES + HTML_SUFFIXES
                     + tuple(s + GZIP_SUFFIX for s in JSONL_SUFFIXES + CSV_SUFFIXES))
STDIN = Path("-")  # ``hsearch index -``: JSONL on standard input
STDIN_NAME = "<stdin>"
CSV_DELIMITERS = (",", ";", "\t", "|")  # tried in this order on the header line
_CSV_FIELD_LIMIT = 64 * 1024 * 1024  # 10 MB bodies are real; csv's default is 128 KB


@dataclass(frozen=True)
class IngestIssue:
    """One skipped record (or a warning about one), located for the user."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass
class IngestReport:
    """What reading produced: counts and every issue, in input order."""

    read: int = 0
    skipped: int = 0  # records
    files_skipped: int = 0  # files that could not be read at all
    issues: list[IngestIssue] = field(default_factory=list)


class _FileError(ValueError):
    """A whole file cannot be read (its header, its compression); the rest of the run goes on."""


class _RecordError(ValueError):
    """A record cannot become an article; the message names the field."""


def _text_field(record: Mapping[str, object], name: str, *, markup: bool = False) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _RecordError(f"field {name!r} must be a string, got {type(value).__name__}")
    if "\x00" in value:
        raise _RecordError(f"field {name!r} contains a NUL byte")
    if _has_lone_surrogate(value):
        raise _RecordError(f"field {name!r} contains an unpaired surrogate (not valid Unicode text)")
    return (html_to_text(value) if markup else value).strip()


def _has_lone_surrogate(text: str) -> bool:
    """JSON escapes such as ``"\\ud800"`` decode to text that cannot be written as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def article_from_record(record: Mapping[str, object], origin: str = "") -> Article:
    """Validate one JSON object or CSV row and build its :class:`Article`."""
    if not isinstance(record, Mapping):
        raise _RecordError(f"expected a JSON object, got {type(record).__name__}")
    raw_id = record.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, (str, int))):
        raise _RecordError(f"field 'id' must be a string or integer, got {type(raw_id).__name__}")
    title = _text_field(record, "title", markup=True)
    body = _text_field(record, "body", markup=True)
    if not body:
        raise _RecordError("missing body (field 'body' is absent or empty, or only markup)")
    url = _text_field(record, "url")
    date_text = _text_field(record, "date")
    try:
        date = parse_date(date_text) if date_text else None
    except ValueError as exc:
        raise _RecordError(f"field 'date': {exc}") from None
    article_id = str(raw_id).strip() if raw_id is not None else ""
    if "\x00" in article_id or _has_lone_surrogate(article_id):
        raise _RecordError("field 'id' contains a NUL byte or an unpaired surrogate")
    return Article(
        id=article_id or stable_id(url, title, body),
        title=title,
        body=body,
        date=date,
        source=_text_field(record, "source"),
        url=url,
        category=_text_field(record, "category"),
        origin=origin,
    )


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _RecordError(f"invalid UTF-8 at byte {exc.start} of the line") from None


def _open_binary(path: Path) -> IO[bytes]:
    if path == STDIN:
        return _Unclosed(sys.stdin.buffer)
    if path.name.lower().endswith(GZIP_SUFFIX):
        return gzip.open(path, "rb")
    return path.open("rb")


class _Unclosed(io.BufferedIOBase):
    """Standard input read through ``with``: reading it must not close it for the rest of the process."""

    def __init__(self, inner: IO[bytes]) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._inner.read(size)

    def read1(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        return self._inner.readline(size)

    def close(self) -> None:
        pass


def _read_jsonl(path: Path, origin: str) -> Iterator[tuple[int, Article | _RecordError]]:
    with _open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                text = _decode(raw)
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise _RecordError(f"malformed JSON ({_json_problem(exc)})") from None
                except (ValueError, RecursionError) as exc:  # a 5000-digit number, [[[[... nested
                    raise _RecordError(f"unreadable JSON ({str(exc).split(';')[0]})") from None
                yield number, article_from_record(record, f"{origin}:{number}")
            except _RecordError as exc:
                yield number, exc


def _json_problem(exc: json.JSONDecodeError) -> str:
    """json's message with its column: "Unterminated string starting at column 9", not "at at column 9"."""
    joint = " column" if exc.msg.endswith(" at") else " at column"
    return f"{exc.msg}{joint} {exc.colno}"


def _read_csv(path: Path, origin: str, delimiter: str | None = None) -> Iterator[tuple[int, Article | _RecordError]]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    with io.TextIOWrapper(_open_binary(path), encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        first = handle.readline()
        try:
            chosen, header = _csv_header(first, delimiter)
        except csv.Error as exc:
            raise _FileError(f"unreadable CSV header ({exc})") from None
        columns = [_column_name(name) for name in header]
        if "body" not in columns:
            found = ", ".join(repr(name) for name in header if name.strip()) or "none"
            shown = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}.get(chosen, repr(chosen))
            raise _FileError(
                f"the CSV header must name a 'body' column; found columns {found} "
                f"(read with delimiter {shown}; hsearch reads {', '.join(ARTICLE_FIELDS)}, in any case"
                f"{'' if delimiter else '; --csv-delimiter sets the separator'})"
            )
        reader = csv.DictReader(handle, fieldnames=columns, delimiter=chosen)
        start = 2
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, _RecordError(f"malformed CSV ({exc})")
                start = reader.line_num + 2
                continue
            line, start = start, reader.line_num + 2
            if None in row:
                yield line, _RecordError("more fields than the header names")
                continue
            if any(isinstance(v, str) and _has_surrogates(v) for v in row.values()):
                yield line, _RecordError("invalid UTF-8")
                continue
            try:
                yield line, article_from_record(row, f"{origin}:{line}")
            except _RecordError as exc:
                yield line, exc


def _column_name(name: str) -> str:
    """``Body``, `` BODY `` and ``body`` are one column: headers come from spreadsheets."""
    return name.strip().lower()


def _csv_header(line: str, delimiter: str | None) -> tuple[str, list[str]]:
    """The delimiter and the header's names: the given one, else the first that yields a body column.

    Only the header line is examined: its names hold no separators, while a
    sample of rows (what :class:`csv.Sniffer` looks at) is full of commas
    inside Hindi text.  Without a body column under any delimiter, the one
    that splits the header into the most names is kept for the message.
    """
    if not line.strip():
        raise _FileError("empty file (no CSV header line)")
    candidates = (delimiter,) if delimiter else CSV_DELIMITERS
    parsed = [(d, next(csv.reader([line.rstrip("\r\n")], delimiter=d), [])) for d in candidates]
    for chosen, header in parsed:
        if "body" in (_column_name(name) for name in header):
            return chosen, header
    return max(parsed, key=lambda pair: len(pair[1]))


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _read_text_file(path: Path, root: Path) -> Iterator[tuple[int, Article | _RecordError]]:
    """A ``.txt`` article: first non-empty line is the headline, the rest the body.

    Its id is its path under the indexed folder, without suffix, so editing the
    file and indexing again replaces the article instead of adding a copy.
    """
    raw = path.read_bytes()
    try:
        if b"\x00" in raw:
            raise _RecordError("looks like a binary file (contains NUL bytes), not UTF-8 text")
        try:
            text = raw.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1)
            yield line, _RecordError(f"invalid UTF-8 at byte {column} of the line")
            return
        lines = text.splitlines()
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            raise _RecordError("empty file")
        title, body = lines[0].strip(), "\n".join(lines[1:]).strip()
        if not body:
            raise _RecordError("missing body (only a headline line)")
        title, body = html_to_text(title).strip(), html_to_text(body).strip()
        if not body:
            raise _RecordError("missing body (only a headline line, or only markup)")
        relative = path.relative_to(root) if path != root else Path(path.name)
        article_id = relative.with_suffix("").as_posix()
        yield 1, Article(id=article_id, title=title, body=body, origin=str(path))
    except _RecordError as exc:
        yield 1, exc


def _read_html_file(path: Path, root: Path) -> Iterator[tuple[int, Article | _RecordError]]:
    """A saved web page: its article, headline, date and canonical URL; the site around it left out.

    Its id is from the canonical URL when the page names one (the same article
    followed from a feed gets the same id), else its path as for ``.txt``.
    """
    from .html_pages import MAX_PAGE_BYTES, PageError, extract_page

    size = path.stat().st_size
    if size > MAX_PAGE_BYTES:
        yield 1, _RecordError(f"the page is {size / 1e6:.1f} MB, over the {MAX_PAGE_BYTES / 1e6:.0f} MB cap")
        return
    try:
        page = extract_page(path.read_bytes())
    except PageError as exc:
        yield 1, _RecordError(exc.problem)
        return
    relative = path.relative_to(root) if path != root else Path(path.name)
    yield 1, page.article(article_id="" if page.url else relative.with_suffix("").as_posix(), origin=str(path))


def _readable(path: Path) -> bool:
    return path.name.lower().endswith(READABLE_SUFFIXES)


def input_files(path: Path) -> list[tuple[Path, Path]]:
    """The readable files under ``path`` as ``(file, root)`` pairs, in a stable order."""
    if path == STDIN:
        return [(STDIN, STDIN)]
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_file():
        if not _readable(path):
            raise InputError(
                f"{path}: cannot read '{path.suffix or 'no suffix'}' files "
                f"(hsearch reads {', '.join(READABLE_SUFFIXES)}, and JSONL on standard input as -)"
            )
        return [(path, path.parent)]
    try:
        found = sorted(
            p for p in path.rglob("*") if p.is_file() and _readable(p)
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    except OSError as exc:
        raise InputError(f"{exc.filename or path}: cannot list the folder ({exc.strerror})") from None
    if not found:
        raise InputError(
            f"{path}: the folder holds no articles (looked for {', '.join(READABLE_SUFFIXES)} files)"
        )
    return [(p, path) for p in found]


def _records(file: Path, root: Path, csv_delimiter: str | None) -> Iterator[tuple[int, Article | _RecordError]]:
    name = file.name.lower().removesuffix(GZIP_SUFFIX)
    origin = STDIN_NAME if file == STDIN else str(file)
    if file == STDIN or name.endswith(JSONL_SUFFIXES):
        return _read_jsonl(file, origin)
    if name.endswith(CSV_SUFFIXES):
        return _read_csv(file, origin, csv_delimiter)
    if name.endswith(HTML_SUFFIXES):
        return _read_html_file(file, root)
    return _read_text_file(file, root)


def read_articles(
    paths: Iterable[Path], report: IngestReport, *, strict: bool = False, csv_delimiter: str | None = None,
) -> Iterator[Article]:
    """Yield every valid article under ``paths``; record problems in ``report``.

    All paths are checked before the first article is yielded.  A path that is
    missing, an empty folder or a file of another kind is reported and skipped
    like a file that cannot be read, and the other paths are read; with
    ``strict``, or when no path can be read at all, it fails the run before
    anything is written.  ``csv_delimiter`` fixes the CSV separator; by
    default each file's header line decides.
    """
    files: list[tuple[Path, Path]] = []
    unusable: list[tuple[Path, InputError]] = []
    for path in map(Path, paths):
        try:
            files += input_files(path)
        except InputError as exc:
            if strict:
                raise
            unusable.append((path, exc))
    if unusable and not files:
        if len(unusable) == 1:
            raise unusable[0][1]
        raise InputError("; ".join(exc.problem for _, exc in unusable))
    for path, exc in unusable:
        reason = exc.problem.removeprefix(f"{path}: ")
        _skip(report, IngestIssue(str(path), None, f"{reason}; skipped"), strict, whole_file=True)
    for file, root in files:
        shown = STDIN_NAME if file == STDIN else str(file)
        line = 0
        try:
            for line, outcome in _records(file, root, csv_delimiter):
                if isinstance(outcome, Article):
                    report.read += 1
                    yield outcome
                    continue
                _skip(report, IngestIssue(shown, line, str(outcome)), strict)
        except _FileError as exc:
            _skip(report, IngestIssue(shown, 1, f"{exc}; file skipped"), strict, whole_file=True)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            if isinstance(exc, EOFError):
                reason = "the compressed file ends early (truncated)"
            where = "the rest of the file" if line else "file"
            _skip(report, IngestIssue(shown, line + 1 if line else None, f"cannot read: {reason}; {where} skipped"),
                  strict, whole_file=not line)


def _skip(report: IngestReport, issue: IngestIssue, strict: bool, *, whole_file: bool = False) -> None:
    if strict:
        raise IngestError(f"{issue} (stopped by {{strict}}; nothing was written)", params=("strict",))
    if whole_file:
        report.files_skipped += 1
    else:
        report.skipped += 1
    report.issues.append(issue)
