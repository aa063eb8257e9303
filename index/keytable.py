"""The romanized-key table beside an index: key -> Devanagari terms with document frequencies.

Derived data.  After each commit it is brought up to date by a small
*delta* table (:func:`update`), ``romanized-keys.d<G>.sqlite`` beside the base
``romanized-keys.sqlite``: only the terms of the Whoosh segments that are new
since the last stamp are read, with their document frequencies in the whole
index (a delta's row overrides the base's).  Each delta names the stamp it
follows, so the chain is checked link by link; past :data:`MAX_DELTAS` files
or a quarter of the base's terms the commit writes a new base instead, reusing
every key already made.  (Whoosh does not lower a term's document frequency
for deleted documents until a merge rewrites their segment; a merge that drops
a segment holding deletions may make terms vanish, so then the table is
rebuilt from Whoosh's term lists, the index of record.)
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

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import layout, whoosh_compat
from .analysis import ANALYZER_VERSION, STOPWORDS
from .atomic import atomic_write_bytes
from .romanize import KEYS_VERSION, key_of_spelling, term_spelling
from .scripts import is_devanagari_term

#: Fields whose terms are filed: the ones queries search.
KEYED_FIELDS = ("title", "body")
MAX_DELTAS = 8  # delta tables before a commit folds them into one delta (a few commits' terms, not the table)
DELTA_SHARE = 0.5  # a new base instead when the folded delta would hold this share of the base's terms


@dataclass(frozen=True)
class KeyedTerm:
    """One index term under a key, with its folded spelling and document frequency."""

    term: str
    spelling: str
    df: int


# --------------------------------------------------------------------------
# The keys of the Hindi stopwords (``ke``, ``ki``, ``hai``, ``mein`` typed in a query say it is Hindi)
# --------------------------------------------------------------------------
STOPWORD_KEYS_PATH = Path(__file__).parent / "data" / "stopword-keys.txt"


def computed_stopword_keys() -> frozenset[str]:
    """The key of each Devanagari stopword, as :func:`~hsearch.index.romanize.term_key` files an index term."""
    return frozenset(key_of_spelling(term_spelling(word)) for word in STOPWORDS if is_devanagari_term(word))


def _stopword_stamp() -> str:
    listed = hashlib.sha256("\n".join(sorted(STOPWORDS)).encode("utf-8")).hexdigest()[:16]
    return f"# keys-{KEYS_VERSION} of stopwords {listed}"


def write_stopword_keys(path: Path = STOPWORD_KEYS_PATH) -> Path:
    """Store :func:`computed_stopword_keys` with the stamp of what they were made from (a test keeps it current)."""
    note = ("# the romanized keys of data/stopwords-hi.txt (Jacques Savoy's list, BSD license: see its header), "
            "written by hsearch.index.keytable.write_stopword_keys")
    atomic_write_bytes(path, "\n".join([_stopword_stamp(), note, *sorted(computed_stopword_keys()), ""])
                       .encode("utf-8"))
    return path


@lru_cache(maxsize=1)
def stopword_keys(path: Path = STOPWORD_KEYS_PATH) -> frozenset[str]:
    """:func:`computed_stopword_keys`, read from the file :func:`write_stopword_keys` made when its stamp (the
    romanizer's key version and the stopword list) is current, else computed: romanizing them imports
    indic_transliteration, 0.13 s of a one-shot Latin-script query."""
    try:
        stamp, *keys = path.read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError):
        stamp, keys = "", []
    return frozenset(k for k in keys if k and not k.startswith("#")) if stamp == _stopword_stamp() else \
        computed_stopword_keys()


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
    """An open table, on disk (a base and its deltas) or in memory; lookups are by exact key.

    With ``keys_in_memory`` (engines that answer many queries) the table also
    holds the sorted hashes of its keys, 8 bytes a key, and asks SQLite only
    for the keys that may be there: a Latin word is looked up with its ~1,000
    one-edit keys, of which a handful are held, and asking SQLite for all of
    them took ~2 ms of a query (first measured at 1M articles, issue 23).
    """

    def __init__(self, connection: sqlite3.Connection, stamp: str,
                 deltas: Sequence[sqlite3.Connection] = (), *, keys_in_memory: bool = False) -> None:
        self._db = connection
        self._dbs = [connection, *deltas]  # later ones override earlier ones, term by term
        self.stamp = stamp
        self._held = self._key_hashes() if keys_in_memory else None

    # -- opening ---------------------------------------------------------
    @classmethod
    def open(cls, index_dir: Path, *, keys_in_memory: bool = False) -> KeyTable:
        """The stored table if it is current, else one built in memory from the index (nothing is written)."""
        expected = stamp_of(index_dir)
        chain = _chain(index_dir)
        if chain and chain[-1].stamp == expected:
            connections = [sqlite3.connect(f"file:{link.path}?mode=ro", uri=True, check_same_thread=False)
                           for link in chain]
            return cls(connections[0], expected, connections[1:], keys_in_memory=keys_in_memory)
        return cls.from_frequencies(_index_frequencies(index_dir), expected, keys_in_memory=keys_in_memory)

    @classmethod
    def open_stored(cls, index_dir: Path) -> KeyTable:
        """The stored base and deltas whatever their stamp (a writer reuses their keys)."""
        chain = _chain(index_dir)
        if not chain:
            raise sqlite3.OperationalError(f"no key table in {index_dir}")
        connections = [sqlite3.connect(f"file:{link.path}?mode=ro", uri=True, check_same_thread=False)
                       for link in chain]
        return cls(connections[0], chain[-1].stamp, connections[1:])

    @classmethod
    def from_frequencies(cls, frequencies: dict[str, int], stamp: str = "memory", *,
                         keys_in_memory: bool = False) -> KeyTable:
        """A table in memory over these terms (an index's, or a word list for benchmarks)."""
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        return cls(_fill(connection, frequencies, stamp, previous=None), stamp, keys_in_memory=keys_in_memory)

    def close(self) -> None:
        for db in self._dbs:
            db.close()

    # -- reading ---------------------------------------------------------
    def _key_hashes(self) -> np.ndarray:
        """The hash of every key of the base and its deltas, sorted (this process's string hashes)."""
        hashes = np.fromiter((hash(key) for db in self._dbs for (key,) in db.execute("SELECT DISTINCT key FROM terms")),
                             dtype=np.int64)
        return np.unique(hashes)

    def _may_hold(self, keys: list[str]) -> list[str]:
        """``keys`` less those whose hash no key of the table has (all of them without the hashes)."""
        if self._held is None or not keys:
            return keys
        if not len(self._held):
            return []
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
        at = np.minimum(np.searchsorted(self._held, hashes), len(self._held) - 1)
        return [key for key, held in zip(keys, (self._held[at] == hashes).tolist()) if held]

    def lookup(self, keys: Iterable[str]) -> dict[str, list[KeyedTerm]]:
        """The terms filed under each of ``keys`` (keys with none are left out)."""
        wanted = self._may_hold(list(dict.fromkeys(keys)))
        found: dict[str, dict[str, KeyedTerm]] = {}
        for db in self._dbs:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                rows = db.execute(
                    f"SELECT key, term, spelling, df FROM terms WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                for key, term, spelling, df in rows:
                    found.setdefault(key, {})[term] = KeyedTerm(term, spelling, df)
        return {key: list(terms.values()) for key, terms in found.items()}

    def document_frequency(self, term: str) -> int:
        for db in reversed(self._dbs):
            row = db.execute("SELECT df FROM terms WHERE term = ?", (term,)).fetchone()
            if row:
                return int(row[0])
        return 0

    def __len__(self) -> int:
        count = int(self._db.execute("SELECT count(*) FROM terms").fetchone()[0])
        added = {term for db in self._dbs[1:] for (term,) in db.execute("SELECT term FROM terms")}
        return count + sum(1 for term in added
                           if self._db.execute("SELECT 1 FROM terms WHERE term = ?", (term,)).fetchone() is None)

    def entries(self) -> Iterator[tuple[str, str, str]]:
        """(term, key, spelling) of every term (a rebuild reuses them)."""
        seen: set[str] = set()
        for db in reversed(self._dbs):
            for term, key, spelling in db.execute("SELECT term, key, spelling FROM terms"):
                if term not in seen:
                    seen.add(term)
                    yield term, key, spelling


@dataclass(frozen=True)
class _Link:
    """One stored table of the chain: the base or a delta."""

    path: Path
    stamp: str
    since: str | None  # a delta: the stamp it follows
    segments: dict[str, int] | None  # the Whoosh segments (id -> deleted documents) it reflects
    terms: int


def delta_path(index_dir: Path, generation: int) -> Path:
    base = layout.keys_path(index_dir)
    return base.with_name(f"{base.stem}.d{generation:06d}{base.suffix}")


def deltas_of(index_dir: Path) -> list[Path]:
    base = layout.keys_path(index_dir)
    return sorted(base.parent.glob(f"{base.stem}.d[0-9]*{base.suffix}")) if base.parent.is_dir() else []


def _read_link(path: Path) -> _Link | None:
    if not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
            terms = int(db.execute("SELECT count(*) FROM terms").fetchone()[0])
        segments = {str(k): int(v) for k, v in json.loads(meta["segments"]).items()} if "segments" in meta else None
        return _Link(path, str(meta["stamp"]), meta.get("since"), segments, terms)
    except (sqlite3.Error, ValueError, TypeError, KeyError, AttributeError):
        return None


def _chain(index_dir: Path) -> list[_Link] | None:
    """The base and the deltas that follow it link by link; None without a readable base."""
    base = _read_link(layout.keys_path(index_dir))
    if base is None:
        return None
    following: dict[str, list[_Link]] = {}
    for path in deltas_of(index_dir):
        link = _read_link(path)
        if link is not None and link.since is not None:
            following.setdefault(link.since, []).append(link)
    chain = [base]
    while following.get(chain[-1].stamp) and len(chain) <= len(following) + 1:
        chain.append(following[chain[-1].stamp][-1])  # a folded delta (newest name) supersedes the ones it holds
    return chain


def read_stamp(index_dir: Path) -> str | None:
    """The stamp the stored table (its base and deltas) is current for; None when it is missing or unreadable."""
    chain = _chain(index_dir)
    return chain[-1].stamp if chain else None


def _index_frequencies(index_dir: Path) -> dict[str, int]:
    ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
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
    return {segment.segment_id(): int(segment.deleted_count()) for segment in whoosh_compat.segments(ix)}


def rebuild(index_dir: Path, target: Path | None = None) -> int:
    """Write the table for the index as committed now; returns the number of terms filed.

    Call it while holding the write lock (the writer does, at commit).  The
    table is built in memory and written with :mod:`hsearch.index.atomic`, so
    a reader sees the old table or the new one; the deltas of the old one go
    after.  ``target`` writes it elsewhere (benchmarks, tests).
    """
    path = target or layout.keys_path(index_dir)
    previous: dict[str, tuple[str, str]] | None = None
    stored = read_stamp(index_dir) if target is None else None
    if stored is not None and stored.startswith(f"keys-{KEYS_VERSION}/"):
        try:
            table = KeyTable.open_stored(index_dir)
            previous = {term: (key, spelling) for term, key, spelling in table.entries()}
            table.close()
        except sqlite3.Error:
            previous = None
    db = sqlite3.connect(":memory:")
    try:
        ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
        stamp = _stamp(ix.latest_generation())  # read before the terms: a commit in between leaves it stale, not wrong
        with ix.reader() as reader:
            _fill(db, _term_frequencies(reader), stamp, previous, _segments(ix))
        count = int(db.execute("SELECT count(*) FROM terms").fetchone()[0])
        image = db.serialize()
    finally:
        db.close()
    atomic_write_bytes(path, image)
    if target is None:
        for delta in deltas_of(index_dir):
            delta.unlink(missing_ok=True)
    return count


def update(index_dir: Path, ix: Any | None = None) -> int:
    """Bring the stored table level with the committed full text ``ix``; returns the terms written.

    Reads only the terms of Whoosh segments the table has not seen and writes
    them (new keys romanized, known ones reused) with their document
    frequencies in the whole index as a delta table, atomically.  Rebuilds
    instead (:func:`rebuild`) when the table is missing or of another
    version, when the deltas are many, or when a segment that held deleted
    documents was merged away (terms may have vanished).  Call it while
    holding the write lock.
    """
    ix = ix if ix is not None else whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
    chain = _chain(index_dir)
    current = _segments(ix)
    stamp = _stamp(ix.latest_generation())
    if not chain or chain[-1].segments is None \
            or not chain[-1].stamp.startswith(f"keys-{KEYS_VERSION}/analyzer-{ANALYZER_VERSION}/") \
            or any(deleted for segment, deleted in chain[-1].segments.items() if segment not in current):
        return rebuild(index_dir)
    if chain[-1].stamp == stamp:
        return 0
    known = chain[-1].segments
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
    fold = len(chain) > MAX_DELTAS  # this delta takes in every earlier one, following the base
    stored = KeyTable.open_stored(index_dir)
    try:
        if fold:
            rows = {term: (key, spelling, df) for db in stored._dbs[1:]
                    for term, key, spelling, df in db.execute("SELECT term, key, spelling, df FROM terms")}
            if len(rows.keys() | frequencies.keys()) > DELTA_SHARE * max(chain[0].terms, 1):
                stored.close()
                return rebuild(index_dir)
            for term, (key, spelling, df) in rows.items():
                frequencies.setdefault(term, df)
        previous = {}
        wanted = list(frequencies)
        for db in stored._dbs:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                previous.update((term, (key, spelling)) for term, key, spelling in db.execute(
                    f"SELECT term, key, spelling FROM terms WHERE term IN ({','.join('?' * len(chunk))})", chunk))
    finally:
        stored.close()
    db = sqlite3.connect(":memory:")
    try:
        _fill(db, frequencies, stamp, previous, current)
        db.execute("INSERT INTO meta VALUES ('since', ?)", ((chain[0] if fold else chain[-1]).stamp,))
        db.commit()
        image = db.serialize()
    finally:
        db.close()
    target = delta_path(index_dir, ix.latest_generation())
    atomic_write_bytes(target, image)
    if fold:  # the folded delta is what the chain follows now; the ones it holds go
        for delta in deltas_of(index_dir):
            if delta != target:
                delta.unlink(missing_ok=True)
    return len(frequencies)
