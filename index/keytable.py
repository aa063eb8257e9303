"""The romanized-key table beside an index: key -> Devanagari terms with document frequencies.

Derived data.  After each commit it is brought up to date in place
(:func:`update`): only the terms of the Whoosh segments that are new since
the table was stamped are read, their document frequencies taken from the
whole index and written in one SQLite transaction, so a commit of ten
articles touches a few pages, not the table.  (Whoosh does not lower a
term's document frequency for deleted documents until a merge rewrites their
segment; a merge that drops a segment holding deletions may make terms vanish,
so then the table is rebuilt from Whoosh's term lists, the index of record.)
It is stamped with the Whoosh generation, the analyzer version
and :data:`~hsearch.index.romanize.KEYS_VERSION`; a table whose stamp does
not match is never read (a reader builds a fresh one in memory instead, and
``hsearch verify`` reports it; ``--repair`` writes it again).  Losing it loses
nothing: it only helps a Latin-script query find Devanagari terms.

It is an SQLite file so that a one-shot query looks up the few keys it needs
without loading the table (at 100k articles it holds a few hundred thousand
terms).  A rebuild reuses the keys of terms it already knew, so only new
terms are romanized.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from . import layout
from .analysis import ANALYZER_VERSION
from .atomic import atomic_write_bytes
from .romanize import KEYS_VERSION, is_devanagari_term, key_of_spelling, term_spelling

#: Fields whose terms are filed: the ones queries search.
KEYED_FIELDS = ("title", "body")


@dataclass(frozen=True)
class KeyedTerm:
    """One index term under a key, with its folded spelling and document frequency."""

    term: str
    spelling: str
    df: int


def stamp_of(index_dir: Path) -> str:
    """What a table must have been built from to be current: versions and the Whoosh generation."""
    ix = whoosh_index.open_dir(str(layout.fulltext_dir(index_dir)))
    return _stamp(ix.latest_generation())


def _stamp(generation: int) -> str:
    return f"keys-{KEYS_VERSION}/analyzer-{ANALYZER_VERSION}/generation-{generation}"


def _term_frequencies(reader: Any) -> dict[str, int]:
    """Each Devanagari term of the searched fields with its document frequency (the larger field's)."""
    found: dict[str, int] = {}
    for field in KEYED_FIELDS:
        if field not in reader.schema:
            continue
        for raw, info in reader.iter_field(field):
            term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if is_devanagari_term(term):
                df = info.doc_frequency()
                if df > found.get(term, 0):
                    found[term] = df
    return found


class KeyTable:
    """An open table, on disk or in memory; lookups are by exact key."""

    def __init__(self, connection: sqlite3.Connection, stamp: str) -> None:
        self._db = connection
        self.stamp = stamp

    # -- opening ---------------------------------------------------------
    @classmethod
    def open(cls, index_dir: Path) -> KeyTable:
        """The stored table if it is current, else one built in memory from the index (nothing is written)."""
        expected = stamp_of(index_dir)
        stored = read_stamp(index_dir)
        if stored == expected:
            path = layout.keys_path(index_dir)
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            return cls(connection, expected)
        return cls.from_frequencies(_index_frequencies(index_dir), expected)

    @classmethod
    def from_frequencies(cls, frequencies: dict[str, int], stamp: str = "memory") -> KeyTable:
        """A table in memory over these terms (an index's, or a word list for benchmarks)."""
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        return cls(_fill(connection, frequencies, stamp, previous=None), stamp)

    def close(self) -> None:
        self._db.close()

    # -- reading ---------------------------------------------------------
    def lookup(self, keys: Iterable[str]) -> dict[str, list[KeyedTerm]]:
        """The terms filed under each of ``keys`` (keys with none are left out)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, list[KeyedTerm]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = self._db.execute(
                f"SELECT key, term, spelling, df FROM terms WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, term, spelling, df in rows:
                found.setdefault(key, []).append(KeyedTerm(term, spelling, df))
        return found

    def document_frequency(self, term: str) -> int:
        row = self._db.execute("SELECT df FROM terms WHERE term = ?", (term,)).fetchone()
        return int(row[0]) if row else 0

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM terms").fetchone()[0])

    def entries(self) -> Iterator[tuple[str, str, str]]:
        """(term, key, spelling) of every term (a rebuild reuses them)."""
        yield from self._db.execute("SELECT term, key, spelling FROM terms")


def read_stamp(index_dir: Path) -> str | None:
    """The stamp a stored table was built with; None when it is missing or unreadable."""
    path = layout.keys_path(index_dir)
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'stamp'").fetchone()
        return str(row[0]) if row else None
    except sqlite3.Error:
        return None


def _index_frequencies(index_dir: Path) -> dict[str, int]:
    ix = whoosh_index.open_dir(str(layout.fulltext_dir(index_dir)))
    with ix.reader() as reader:
        return _term_frequencies(reader)


def _fill(db: sqlite3.Connection, frequencies: dict[str, int], stamp: str,
          previous: dict[str, tuple[str, str]] | None, segments: dict[str, int] | None = None) -> sqlite3.Connection:
    known = previous or {}

    def rows() -> Iterator[tuple[str, str, str, int]]:
        for term, df in frequencies.items():
            if term in known:
                key, spelling = known[term]
            else:
                spelling = term_spelling(term)
                key = key_of_spelling(spelling)
            if key:
                yield key, term, spelling, df

    db.executescript(
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);"
        "CREATE TABLE terms (term TEXT PRIMARY KEY, key TEXT NOT NULL, spelling TEXT NOT NULL, df INTEGER NOT NULL);"
    )
    db.executemany("INSERT INTO terms VALUES (?, ?, ?, ?)", ((t, k, s, df) for k, t, s, df in rows()))
    db.execute("CREATE INDEX terms_by_key ON terms (key)")
    db.execute("INSERT INTO meta VALUES ('stamp', ?)", (stamp,))
    if segments is not None:
        db.execute("INSERT INTO meta VALUES ('segments', ?)", (json.dumps(segments, sort_keys=True),))
    db.commit()
    return db


def _segments(ix: Any) -> dict[str, int]:
    """Each Whoosh segment of ``ix``: its id and how many of its documents are deleted."""
    return {segment.segment_id(): int(segment.deleted_count()) for segment in ix._segments()}


def rebuild(index_dir: Path, target: Path | None = None) -> int:
    """Write the table for the index as committed now; returns the number of terms filed.

    Call it while holding the write lock (the writer does, at commit).  The
    table is built in memory and written with :mod:`hsearch.index.atomic`, so
    a reader sees the old table or the new one.  ``target`` writes it elsewhere (benchmarks).
    """
    path = target or layout.keys_path(index_dir)
    previous: dict[str, tuple[str, str]] | None = None
    stored = read_stamp(index_dir) if target is None else None
    if stored is not None and stored.startswith(f"keys-{KEYS_VERSION}/"):
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as old:
                previous = {term: (key, spelling) for term, key, spelling in
                            old.execute("SELECT term, key, spelling FROM terms")}
        except sqlite3.Error:
            previous = None
    db = sqlite3.connect(":memory:")
    try:
        ix = whoosh_index.open_dir(str(layout.fulltext_dir(index_dir)))
        stamp = _stamp(ix.latest_generation())  # read before the terms: a commit in between leaves it stale, not wrong
        with ix.reader() as reader:
            _fill(db, _term_frequencies(reader), stamp, previous, _segments(ix))
        count = int(db.execute("SELECT count(*) FROM terms").fetchone()[0])
        image = db.serialize()
    finally:
        db.close()
    atomic_write_bytes(path, image)
    return count


def update(index_dir: Path, ix: Any | None = None) -> int:
    """Bring the stored table level with the committed full text ``ix``; returns the terms written.

    Reads only the terms of Whoosh segments the table has not seen, and
    writes them (new keys romanized, known ones reused) with their document
    frequencies in the whole index, in place, in one transaction: a reader
    sees the table before or after it.  Rebuilds instead (:func:`rebuild`)
    when the table is missing, of another version, or when a segment that
    held deleted documents was merged away (terms may have vanished).
    Call it while holding the write lock.
    """
    ix = ix if ix is not None else whoosh_index.open_dir(str(layout.fulltext_dir(index_dir)))
    path = layout.keys_path(index_dir)
    stored = read_stamp(index_dir)
    known = _stored_segments(path) if stored is not None else None
    current = _segments(ix)
    if stored is None or known is None or not stored.startswith(f"keys-{KEYS_VERSION}/analyzer-{ANALYZER_VERSION}/") \
            or any(deleted for segment, deleted in known.items() if segment not in current):
        return rebuild(index_dir)
    stamp = _stamp(ix.latest_generation())
    with ix.reader() as reader:
        terms: set[str] = set()
        for leaf, _ in reader.leaf_readers():
            if leaf.segment().segment_id() in known:
                continue
            for field in KEYED_FIELDS:
                if field in leaf.schema:
                    for raw, _info in leaf.iter_field(field):
                        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                        if is_devanagari_term(term):
                            terms.add(term)
        fields = [f for f in KEYED_FIELDS if f in reader.schema]
        frequencies = {term: max(reader.doc_frequency(f, term) for f in fields) for term in sorted(terms)}
    db = sqlite3.connect(path)
    try:
        with db:  # one transaction
            wanted = list(frequencies)
            known_keys: dict[str, tuple[str, str]] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                known_keys.update((term, (key, spelling)) for term, key, spelling in db.execute(
                    f"SELECT term, key, spelling FROM terms WHERE term IN ({','.join('?' * len(chunk))})", chunk))
            rows = []
            for term, df in frequencies.items():
                if term in known_keys:
                    key, spelling = known_keys[term]
                else:
                    spelling = term_spelling(term)
                    key = key_of_spelling(spelling)
                if key:
                    rows.append((term, key, spelling, df))
            db.executemany("INSERT OR REPLACE INTO terms VALUES (?, ?, ?, ?)", rows)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('stamp', ?)", (stamp,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('segments', ?)", (json.dumps(current, sort_keys=True),))
    finally:
        db.close()
    return len(frequencies)


def _stored_segments(path: Path) -> dict[str, int] | None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'segments'").fetchone()
        return {str(k): int(v) for k, v in json.loads(row[0]).items()} if row else None
    except (sqlite3.Error, ValueError, TypeError, AttributeError):
        return None
