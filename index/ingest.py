"""Read articles from JSONL, CSV and folders of ``.txt`` files.

Bad records are reported with file and line, skipped and counted, so one broken
line never costs the rest of a corpus; ``strict`` makes the first one fatal.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .articles import ARTICLE_FIELDS, Article, parse_date, stable_id
from .errors import IngestError, InputError

JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
TEXT_SUFFIXES = (".txt",)
READABLE_SUFFIXES = JSONL_SUFFIXES + CSV_SUFFIXES + TEXT_SUFFIXES
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
    skipped: int = 0
    issues: list[IngestIssue] = field(default_factory=list)


class _RecordError(ValueError):
    """A record cannot become an article; the message names the field."""


def _text_field(record: Mapping[str, object], name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _RecordError(f"field {name!r} must be a string, got {type(value).__name__}")
    if "\x00" in value:
        raise _RecordError(f"field {name!r} contains a NUL byte")
    if _has_lone_surrogate(value):
        raise _RecordError(f"field {name!r} contains an unpaired surrogate (not valid Unicode text)")
    return value.strip()


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
    title = _text_field(record, "title")
    body = _text_field(record, "body")
    if not body:
        raise _RecordError("missing body (field 'body' is absent or empty)")
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


def _read_jsonl(path: Path) -> Iterator[tuple[int, Article | _RecordError]]:
    with path.open("rb") as handle:
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
                    raise _RecordError(f"malformed JSON ({exc.msg} at column {exc.colno})") from None
                except (ValueError, RecursionError) as exc:  # a 5000-digit number, [[[[... nested
                    raise _RecordError(f"unreadable JSON ({str(exc).split(';')[0]})") from None
                yield number, article_from_record(record, f"{path}:{number}")
            except _RecordError as exc:
                yield number, exc


def _read_csv(path: Path) -> Iterator[tuple[int, Article | _RecordError]]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames
        except csv.Error as exc:
            raise InputError(f"{path}:1: unreadable CSV header ({exc})") from None
        if not header or "body" not in header:
            raise InputError(
                f"{path}:1: the CSV header must name a 'body' column "
                f"(columns hsearch reads: {', '.join(ARTICLE_FIELDS)})"
            )
        start = 2
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, _RecordError(f"malformed CSV ({exc})")
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
            if None in row:
                yield line, _RecordError("more fields than the header names")
                continue
            if any(isinstance(v, str) and _has_surrogates(v) for v in row.values()):
                yield line, _RecordError("invalid UTF-8")
                continue
            try:
                yield line, article_from_record(row, f"{path}:{line}")
            except _RecordError as exc:
                yield line, exc


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
        relative = path.relative_to(root) if path != root else Path(path.name)
        article_id = relative.with_suffix("").as_posix()
        yield 1, Article(id=article_id, title=title, body=body, origin=str(path))
    except _RecordError as exc:
        yield 1, exc


def input_files(path: Path) -> list[tuple[Path, Path]]:
    """The readable files under ``path`` as ``(file, root)`` pairs, in a stable order."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() not in READABLE_SUFFIXES:
            raise InputError(
                f"{path}: cannot read '{path.suffix or 'no suffix'}' files "
                f"(hsearch reads {', '.join(READABLE_SUFFIXES)})"
            )
        return [(path, path.parent)]
    found = sorted(
        p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in READABLE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not found:
        raise InputError(
            f"{path}: the folder holds no articles (looked for {', '.join(READABLE_SUFFIXES)} files)"
        )
    return [(p, path) for p in found]


def read_articles(
    paths: Iterable[Path], report: IngestReport, *, strict: bool = False
) -> Iterator[Article]:
    """Yield every valid article under ``paths``; record problems in ``report``.

    All paths are checked before the first article is yielded, so a typo in the
    last argument fails the run before anything is written.
    """
    files = [pair for path in paths for pair in input_files(Path(path))]
    for file, root in files:
        suffix = file.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            records = _read_jsonl(file)
        elif suffix in CSV_SUFFIXES:
            records = _read_csv(file)
        else:
            records = _read_text_file(file, root)
        for line, outcome in records:
            if isinstance(outcome, Article):
                report.read += 1
                yield outcome
                continue
            issue = IngestIssue(str(file), line, str(outcome))
            if strict:
                raise IngestError(f"{issue} (stopped by {{strict}}; nothing was written)", params=("strict",))
            report.skipped += 1
            report.issues.append(issue)
