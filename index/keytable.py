"""The romanized-key table beside an index: key -> Devanagari terms with document frequencies.

Derived data.  It is rebuilt from Whoosh's term lists (the index of record)
after every commit, stamped with the Whoosh generation, the analyzer version
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

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from . import layout, whoosh_compat
from .analysis import ANALYZER_VERSION
from .atomic import atomic_write_bytes
from .romanize import KEYS_VERSION, key_of_spelling, term_spelling
from .scripts import is_devanagari_term

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
    ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
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
    ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
    with ix.reader() as reader:
        return _term_frequencies(reader)


def _fill(db: sqlite3.Connection, frequencies: dict[str, int], stamp: str,
          previous: dict[str, tuple[str, str]] | None) -> sqlite3.Connection:
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
    db.commit()
    return db


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
        stamp = stamp_of(index_dir)  # read before the terms: a commit in between leaves the table stale, not wrong
        _fill(db, _index_frequencies(index_dir), stamp, previous)
        count = int(db.execute("SELECT count(*) FROM terms").fetchone()[0])
        image = db.serialize()
    finally:
        db.close()
    atomic_write_bytes(path, image)
    return count
