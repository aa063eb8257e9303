"""Story clusters: the syndicated copies of one story share a story id.

A wire story is printed by many outlets, each with its own headline, a
trimmed or reordered body, a dateline and a footer.  Two articles are copies
of one story when

* MinHash LSH (signatures by ``datasketch``, bands in :class:`BandIndex`)
  over word 3-shingles of the *analysed* body, each shingle a 64-bit hash
  (a sorted numpy array per article: 8 bytes a shingle where a set of
  strings costs ~100, and containment is one ``intersect1d``)
  (normalized, stemmed, stopwords out: spelling variants and "ने"/"की" edits
  do not break a shingle) proposes them as candidates, and
* the exact shingle *containment* ``|A ∩ B| / min(|A|, |B|)`` is at least
  :attr:`StorySettings.containment` with at least ``min_shared`` shingles in
  common: a copy trimmed to half its paragraphs keeps containment near 1
  while its Jaccard similarity falls to 0.5, and
* when both are dated, they are at most ``window_days`` apart (the same
  quotes a year later are a new story).

The headline is left out on purpose: outlets rewrite it.

An article joins the story of its best confirmed candidate, or starts its
own.  The story id is the id of the story's *representative*: its earliest
dated member (then the smallest id).  Removing or replacing an article
re-clusters the rest of its story, so a deleted representative hands the
story on to the next member, and a member that only matched through the
removed one leaves.

The state (per article: story, date, content digest, MinHash signature) is
derived data, persisted as a base ``stories.npz`` beside the index plus, per
later commit, a small delta ``stories.d<G>.npz`` holding only the records that
commit placed or moved and the ids it removed (``G``: the Whoosh generation it
brings the clusters to; each delta names the generation it applies to, so the
chain is checked link by link).  A commit writes only its delta; when the
deltas pass :data:`MAX_DELTAS` files or a quarter of the base's records, the
commit writes a new base instead and the deltas go (each record is rewritten
about once per four commits' worth of changes, never per commit).  New
articles are assigned against the LSH bands of the stored signatures; nothing
of the archive is re-clustered.  The state is rebuilt from the full text
whenever it is missing, unreadable, built with other settings, or its chain
does not reach the full text's generation.  The query side reads only the id
and story columns (:class:`StoryTable`).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import layout
from .analysis import ANALYZER_VERSION, hindi_analyzer
from .atomic import atomic_open
from .hashing import hash64
from .articles import Article, content_digest
from .boilerplate import content_of, strip_known

STORIES_FORMAT = 2  # 2: signatures over 64-bit shingle hashes (1 hashed the shingle strings)
MAX_DELTAS = 8  # delta files before a commit folds them into one delta (the records changed since the base)
DELTA_SHARE = 0.5  # a new base instead when that delta would hold this share of the base's records
NO_DATE = 0  # proleptic ordinals start at 1
#: With a limit, a band key's rows are read up to this many times the limit (its newest ones).
BAND_READ_FACTOR = 4


@dataclass(frozen=True)
class StorySettings:
    """How near-duplicates are found; chosen in bench/results/stories.md.

    ``bands`` x ``rows`` of the 128 MinHash values make the LSH: 64 bands of
    2 rows propose pairs from a Jaccard of about 0.1 (a trimmed copy with an
    outlet's boilerplate can fall that low), which containment then confirms
    or rejects.  Real distinct articles are almost never proposed at all.
    """

    shingle_size: int = 3
    num_perm: int = 128
    bands: int = 64
    rows: int = 2
    containment: float = 0.5
    min_shared: int = 5
    window_days: int = 7
    seed: int = 1
    max_candidates: int = 64  # containment checked for at most this many, those sharing the most bands
    scheme: str = "affine32"  # datasketch's permutation scheme (2.0's default), fixed so stored signatures compare


DEFAULT_STORY_SETTINGS = StorySettings()


@lru_cache(maxsize=1)
def _analyzer():  # type: ignore[no-untyped-def]
    return hindi_analyzer()


#: A body's shingles: the sorted, distinct 64-bit hashes of its word n-grams.
Shingles = np.ndarray
_NO_SHINGLES: Shingles = np.zeros(0, dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=200_000)
def _term_hash(term: str) -> int:
    """A term's stable 64-bit hash (Python's ``hash`` changes from process to process)."""
    return hash64(term.encode("utf-8"))


def shingles(body: str, size: int = DEFAULT_STORY_SETTINGS.shingle_size) -> Shingles:
    """Hashes of the word ``size``-grams of the analysed body (a body shorter than that is one shingle).

    Each n-gram's hash mixes its terms' hashes in order, so "a b c" and
    "c b a" differ; two distinct n-grams share a hash with probability ~2^-64.
    """
    body = strip_known(body)  # "Related posts", lone datelines: no evidence that two articles are copies
    terms = np.fromiter((_term_hash(token.text) for token in _analyzer()(body)), dtype=np.uint64)
    if not len(terms):
        return _NO_SHINGLES
    width = min(size, len(terms))
    count = len(terms) - width + 1
    key = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(width):
            key = (key ^ terms[offset:offset + count]) * _MIX
            key ^= key >> np.uint64(29)
    return np.unique(key)


def containment(a: Shingles, b: Shingles) -> tuple[float, int]:
    """Share of the smaller set found in the larger, and the shingles they share."""
    if not len(a) or not len(b):
        return 0.0, 0
    shared = int(np.intersect1d(a, b, assume_unique=True).size)
    return shared / min(len(a), len(b)), shared


def day_of(date: datetime | None) -> int:
    return date.toordinal() if date is not None else NO_DATE


def _sketch(settings: StorySettings) -> Any:
    """An empty datasketch MinHash of these settings, its permutations made once per settings."""
    from datasketch import MinHash

    return MinHash(num_perm=settings.num_perm, scheme=settings.scheme, hashfunc=int,
                   permutations=_permutations(settings))


@lru_cache(maxsize=4)
def _permutations(settings: StorySettings) -> Any:
    from datasketch import MinHash

    return MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme=settings.scheme).permutations


@dataclass
class _Member:
    story: str
    day: int
    digest: str
    signature: np.ndarray  # uint32[num_perm]


@dataclass
class StoryClusters:
    """Every article's story, kept right under add, replace and remove.

    ``body_of(id)`` returns the current body of an article already in the
    clusters; it is asked only for candidates whose shingles are not cached.
    """

    settings: StorySettings = DEFAULT_STORY_SETTINGS
    _members: dict[str, _Member] = field(default_factory=dict)
    _stories: dict[str, set[str]] = field(default_factory=dict)
    _shingles: dict[str, Shingles] = field(default_factory=dict)
    _lsh: BandIndex | None = None
    _changed: set[str] = field(default_factory=set)  # placed or moved since the last save (a delta's records)
    _gone: set[str] = field(default_factory=set)  # removed since the last save
    checked: int = 0  # candidate pairs whose containment was computed (the work LSH leaves; for benchmarks)

    # -- reading ----------------------------------------------------------
    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._members

    def story_of(self, article_id: str) -> str | None:
        member = self._members.get(article_id)
        return member.story if member else None

    def digests(self) -> dict[str, str]:
        return {article_id: m.digest for article_id, m in self._members.items()}

    def stories(self) -> dict[str, list[str]]:
        return {story: sorted(ids) for story, ids in self._stories.items()}

    # -- writing ----------------------------------------------------------
    def add(self, article_id: str, body: str, date: datetime | None, digest: str,
            body_of: Callable[[str], str | None]) -> str:
        """Place a new or replaced article; returns its story id."""
        if article_id in self._members:
            self.remove(article_id, body_of)
        own = shingles(body, self.settings.shingle_size)
        return self.place(article_id, own, self.signature(own), date, digest, body_of)

    def place(self, article_id: str, own: Shingles, signature: np.ndarray, date: datetime | None, digest: str,
              body_of: Callable[[str], str | None]) -> str:
        """:meth:`add` with the shingles and signature already made (a writer makes them as articles arrive)."""
        if article_id in self._members:
            self.remove(article_id, body_of)
        self._shingles[article_id] = own
        day = day_of(date)
        best = self._best_match(article_id, own, signature, day, body_of)
        story = self._members[best].story if best is not None else article_id
        self._members[article_id] = _Member(story, day, digest, signature)
        self._changed.add(article_id)
        self._stories.setdefault(story, set()).add(article_id)
        if len(own):
            self._index().insert(article_id, signature)
        self._elect(story)
        return self._members[article_id].story

    def remove(self, article_id: str, body_of: Callable[[str], str | None]) -> None:
        """Withdraw an article; the rest of its story is clustered again without it."""
        member = self._members.pop(article_id, None)
        if member is None:
            return
        self._gone.add(article_id)
        self._changed.discard(article_id)
        self._shingles.pop(article_id, None)
        if self._lsh is not None:
            self._lsh.remove(article_id)
        group = self._stories.pop(member.story)
        group.discard(article_id)
        if group:
            self._recluster(group, body_of)

    def _recluster(self, group: set[str], body_of: Callable[[str], str | None]) -> None:
        """Greedy clustering of ``group`` alone, oldest first, as :meth:`add` would have made it."""
        placed: set[str] = set()
        for article_id in sorted(group, key=self._age):
            member = self._members[article_id]
            own = self._shingles_of(article_id, body_of)
            best = self._best_match(article_id, own, member.signature, member.day, body_of, placed)
            story = self._members[best].story if best is not None else article_id
            if story != member.story:
                self._changed.add(article_id)
            member.story = story
            self._stories.setdefault(member.story, set()).add(article_id)
            placed.add(article_id)
        for story in {self._members[a].story for a in group}:
            self._elect(story)

    def _best_match(self, article_id: str, own: Shingles, signature: np.ndarray, day: int,
                    body_of: Callable[[str], str | None], among: set[str] | None = None) -> str | None:
        """The confirmed candidate with the highest containment (``among`` limits who may be one)."""
        if not len(own):
            return None
        best: tuple[float, int, str] | None = None
        for other in sorted(self._index().query(signature, self.settings.max_candidates)):
            if other == article_id or (among is not None and other not in among):
                continue
            other_day = self._members[other].day
            if day != NO_DATE and other_day != NO_DATE and abs(day - other_day) > self.settings.window_days:
                continue
            self.checked += 1
            score, shared = containment(own, self._shingles_of(other, body_of))
            if score < self.settings.containment or shared < self.settings.min_shared:
                continue
            key = (score, shared, other)
            if best is None or (key[0], key[1]) > (best[0], best[1]):
                best = key
        return best[2] if best is not None else None

    def _elect(self, story: str) -> None:
        """The story's id is its representative's: the earliest dated member, then the smallest id."""
        group = self._stories.get(story)
        if not group:
            self._stories.pop(story, None)
            return
        representative = min(group, key=self._age)
        if representative == story:
            return
        self._stories[representative] = self._stories.pop(story) | self._stories.pop(representative, set())
        for article_id in self._stories[representative]:
            if self._members[article_id].story != representative:
                self._members[article_id].story = representative
                self._changed.add(article_id)

    def _age(self, article_id: str) -> tuple[int, int, str]:
        day = self._members[article_id].day
        return (day == NO_DATE, day, article_id)

    # -- sketches ----------------------------------------------------------
    def signature(self, own: Shingles) -> np.ndarray:
        """The MinHash of a shingle array (its hashes' low 32 bits are datasketch's input values)."""
        sketch = _sketch(self.settings)
        sketch.update_batch((own & np.uint64(0xFFFFFFFF)).tolist())
        return sketch.hashvalues.astype(np.uint32)

    def _index(self) -> BandIndex:
        """The LSH over every member with shingles, built from the stored signatures on first use."""
        if self._lsh is None:
            self._lsh = BandIndex.build(self._members, self.settings.bands, self.settings.rows)
        return self._lsh

    def _shingles_of(self, article_id: str, body_of: Callable[[str], str | None]) -> Shingles:
        cached = self._shingles.get(article_id)
        if cached is None:
            cached = shingles(body_of(article_id) or "", self.settings.shingle_size)
            self._shingles[article_id] = cached
        return cached

    # -- persistence -------------------------------------------------------
    def save(self, path: Path, generation: int) -> None:
        """The whole state as a base ``.npz``, written atomically (:mod:`hsearch.index.atomic`); deltas go."""
        ids = sorted(self._members)
        self._write(path, ids, [], {"generation": generation})
        for delta in deltas_of(path):
            delta.unlink(missing_ok=True)
        self._changed, self._gone = set(), set()

    def save_changes(self, path: Path, generation: int, since: int) -> Path:
        """Only what changed since the state of Whoosh generation ``since``: a delta file, or a new base.

        Past :data:`MAX_DELTAS` deltas, this one takes in every earlier one
        (it follows the base); a new base is written instead when that would
        hold over :data:`DELTA_SHARE` of the base's records.
        """
        chain = _chain(path, self.settings)
        if chain is None or chain[-1][0].get("generation") != since:
            self.save(path, generation)
            return path
        changed, gone = set(self._changed), set(self._gone)
        fold = len(chain) > MAX_DELTAS
        if fold:
            for _, data in chain[1:]:
                changed.update(data["ids"].tolist())
                gone.update(data["removed"].tolist())
            since = chain[0][0].get("generation")
        ids = sorted(a for a in changed if a in self._members)
        removed = sorted(a for a in gone if a not in self._members)
        if len(ids) + len(removed) > DELTA_SHARE * max(len(chain[0][1]["ids"]), 1):
            self.save(path, generation)
            return path
        target = delta_path(path, generation)
        self._write(target, ids, removed, {"generation": generation, "since": since})
        if fold:
            for delta in deltas_of(path):
                if delta != target:
                    delta.unlink(missing_ok=True)
        self._changed, self._gone = set(), set()
        return target

    def _write(self, path: Path, ids: list[str], removed: list[str], extra: dict[str, Any]) -> None:
        members = [self._members[i] for i in ids]
        signatures = np.vstack([m.signature for m in members]) if members else \
            np.zeros((0, self.settings.num_perm), np.uint32)
        meta = {"format": STORIES_FORMAT, "analyzer": ANALYZER_VERSION, "settings": asdict(self.settings), **extra}
        with atomic_open(path, "wb") as handle:
            np.savez(handle, ids=np.asarray(ids, dtype=str), stories=np.asarray([m.story for m in members], dtype=str),
                     digests=np.asarray([m.digest for m in members], dtype=str),
                     days=np.asarray([m.day for m in members], dtype=np.int64),
                     signatures=signatures.astype(np.uint32), removed=np.asarray(removed, dtype=str),
                     meta=np.asarray(json.dumps(meta)))

    @classmethod
    def load(cls, path: Path, settings: StorySettings = DEFAULT_STORY_SETTINGS,
             generation: int | None = None) -> StoryClusters | None:
        """The saved clusters (base and deltas), or None when they must be rebuilt (missing, unreadable,
        other settings or analyzer, a broken chain of deltas, or not of the full text's ``generation``)."""
        chain = _chain(path, settings)
        if chain is None:
            return None
        reached = chain[-1][0].get("generation")
        if generation is not None and reached != generation:
            return None
        clusters = cls(settings)
        for _, data in chain:
            for article_id in data["removed"].tolist() if "removed" in data else ():
                member = clusters._members.pop(article_id, None)
                if member is not None:
                    clusters._stories.get(member.story, set()).discard(article_id)
            for article_id, story, digest, day, signature in zip(
                    data["ids"].tolist(), data["stories"].tolist(), data["digests"].tolist(),
                    data["days"].tolist(), data["signatures"]):
                earlier = clusters._members.get(article_id)
                if earlier is not None:
                    clusters._stories.get(earlier.story, set()).discard(article_id)
                clusters._members[article_id] = _Member(story, int(day), digest, np.array(signature, np.uint32))
                clusters._stories.setdefault(story, set()).add(article_id)
        clusters._stories = {story: ids for story, ids in clusters._stories.items() if ids}
        return clusters

    @classmethod
    def build(cls, articles: Iterable[tuple[str, str, datetime | None, str]],
              settings: StorySettings = DEFAULT_STORY_SETTINGS) -> StoryClusters:
        """Cluster ``(id, body, date, digest)`` records from nothing, oldest first."""
        records = sorted(articles, key=lambda r: (r[2] is None, day_of(r[2]), r[0]))
        bodies = {r[0]: r[1] for r in records}
        clusters = cls(settings)
        for article_id, body, date, digest in records:
            clusters.add(article_id, body, date, digest, bodies.get)
        return clusters


class BandIndex:
    """MinHash LSH: articles whose signatures agree on all ``rows`` values of some band are candidates.

    Each (article, band) becomes one 64-bit key: the band's number in the top
    8 bits, a 56-bit hash of its ``rows`` values below (a collision only adds
    a candidate, which containment then rejects).  Keys live in a few sorted
    numpy runs (12 bytes per key with its row), searched for all bands of a
    query with ``searchsorted``; inserts gather in a small buffer that becomes
    a run, and runs of similar size merge (as an LSM tree's levels do), so a
    build of a million articles holds 64M keys in ~0.8 GB and never a Python
    object per key.  Removals are tombstones.  datasketch's ``MinHashLSH``
    keeps a Python dict entry per article and band instead, which costs far
    more memory and time (bench/results/stories.md).
    """

    _EMPTY = np.uint64(2**32 - 1)  # datasketch's value in a sketch of nothing
    _MIX = np.uint64(0x9E3779B97F4A7C15)
    _BUFFER_ARTICLES = 256  # inserts kept unsorted before they become a run

    def __init__(self, bands: int, rows: int, ids: list[str], keys: np.ndarray) -> None:
        if bands > 256:
            raise ValueError("at most 256 bands: the band number takes 8 bits of each key")
        self.bands, self.rows = bands, rows
        self._ids = list(ids)
        self._row_of = {article_id: row for row, article_id in enumerate(self._ids)}
        self._alive = bytearray(b"\x01" * len(self._ids))
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._buffer_keys: list[np.ndarray] = []
        self._buffer_rows: list[int] = []
        self._buffer_index: dict[int, list[int]] = {}  # the buffer's keys, for queries
        if len(self._ids):
            self._runs.append(self._sorted_run(keys.ravel(), np.repeat(np.arange(len(self._ids), dtype=np.int32), bands)))

    @staticmethod
    def _sorted_run(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(keys, kind="stable")
        return keys[order], rows[order]

    @classmethod
    def build(cls, members: Mapping[str, _Member], bands: int, rows: int) -> BandIndex:
        ids = [a for a, m in members.items() if not np.all(m.signature == cls._EMPTY)]
        matrix = np.vstack([members[a].signature for a in ids]) if ids else np.zeros((0, bands * rows), np.uint32)
        return cls(bands, rows, ids, cls.keys(matrix, bands, rows))

    @classmethod
    def keys(cls, signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
        """``(n, bands)`` keys: band number in the top 8 bits, a hash of the band's values below."""
        values = np.asarray(signatures, dtype=np.uint64)[:, :bands * rows].reshape(len(signatures), bands, rows)
        key = np.zeros(values.shape[:2], dtype=np.uint64)
        with np.errstate(over="ignore"):
            for r in range(rows):
                key = (key ^ values[:, :, r]) * cls._MIX
                key ^= key >> np.uint64(29)
        band = np.arange(bands, dtype=np.uint64) << np.uint64(56)
        return (key >> np.uint64(8)) | band

    def insert(self, article_id: str, signature: np.ndarray) -> None:
        self.remove(article_id)
        row = len(self._ids)
        self._ids.append(article_id)
        self._row_of[article_id] = row
        self._alive.append(1)
        keys = self.keys(signature.reshape(1, -1), self.bands, self.rows)[0]
        self._buffer_keys.append(keys)
        self._buffer_rows.append(row)
        for key in keys.tolist():
            self._buffer_index.setdefault(key, []).append(row)
        if len(self._buffer_rows) >= self._BUFFER_ARTICLES:
            self._flush()

    def _flush(self) -> None:
        """The buffer becomes a sorted run; then runs of similar size merge (a binary counter's carries)."""
        keys = np.concatenate(self._buffer_keys)
        rows = np.repeat(np.asarray(self._buffer_rows, dtype=np.int32), self.bands)
        self._buffer_keys, self._buffer_rows, self._buffer_index = [], [], {}
        self._runs.append(self._sorted_run(keys, rows))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (k2, r2), (k1, r1) = self._runs.pop(), self._runs.pop()
            self._runs.append(self._sorted_run(np.concatenate([k1, k2]), np.concatenate([r1, r2])))

    def remove(self, article_id: str) -> None:
        row = self._row_of.pop(article_id, None)
        if row is not None:
            self._alive[row] = 0

    def query(self, signature: np.ndarray, limit: int | None = None) -> set[str]:
        """Articles sharing a band with ``signature``; with ``limit``, the ``limit`` sharing the most bands.

        A copy of a story shares many bands with it; an unrelated article that
        only shares a sentence or a footer, one or two.  The limit bounds the
        containment checks an article costs when such chance pairs are many
        (they grow with the archive: ~3 per 1,000 articles on the bench corpus),
        and each band is read for at most :data:`BAND_READ_FACTOR` times the
        limit of its newest rows, which bounds the reading itself: at a million
        articles of the bench corpus, reading every sharer of every band made
        clustering run for more than 24 minutes (stopped there).
        """
        keys = self.keys(signature.reshape(1, -1), self.bands, self.rows)[0]
        rows: list[int] = []
        cap = None if limit is None else BAND_READ_FACTOR * limit
        for sorted_keys, sorted_rows in self._runs:
            low = np.searchsorted(sorted_keys, keys, "left")
            high = np.searchsorted(sorted_keys, keys, "right")
            for lo, hi in zip(low[high > low].tolist(), high[high > low].tolist()):
                # a band many articles share (a common sentence) is read for its newest rows only: within a
                # key rows are in insertion order, and a story's newest copies stand for it as well as all do
                rows.extend(sorted_rows[lo if cap is None else max(lo, hi - cap):hi].tolist())
        for key in keys.tolist():
            found = self._buffer_index.get(key, ())
            rows.extend(found if cap is None else found[-cap:])
        alive = [row for row in rows if self._alive[row]]
        if limit is None or len(set(alive)) <= limit:
            return {self._ids[row] for row in alive}
        found, shared = np.unique(np.asarray(alive, dtype=np.int64), return_counts=True)
        ids = [self._ids[row] for row in found.tolist()]
        best = sorted(range(len(ids)), key=lambda i: (-int(shared[i]), ids[i]))[:limit]
        return {ids[i] for i in best}


def delta_path(path: Path, generation: int) -> Path:
    """The delta that brings the clusters beside ``path`` to Whoosh generation ``generation``."""
    return path.with_name(f"{path.stem}.d{generation:06d}{path.suffix}")


def deltas_of(path: Path) -> list[Path]:
    """The delta files beside a base, oldest first (committed or left by a killed writer)."""
    found = path.parent.glob(f"{path.stem}.d[0-9]*{path.suffix}") if path.parent.is_dir() else ()
    return sorted(found)


def remove_all(path: Path) -> None:
    """Delete the base and its deltas (repair rebuilds them)."""
    path.unlink(missing_ok=True)
    for delta in deltas_of(path):
        delta.unlink(missing_ok=True)


def _chain(path: Path, settings: StorySettings | None) -> list[tuple[dict[str, Any], Any]] | None:
    """The base and the deltas that follow it link by link (a delta of another chain is skipped)."""
    stored = _read(path)
    if stored is None:
        return None
    if settings is not None and (stored[0].get("settings") != asdict(settings)
                                 or stored[0].get("analyzer") != ANALYZER_VERSION):
        return None
    following: dict[Any, list[tuple[dict[str, Any], Any]]] = {}
    for delta in deltas_of(path):
        link = _read(delta)
        if link is not None and "since" in link[0] and link[0].get("settings") == stored[0].get("settings"):
            following.setdefault(link[0]["since"], []).append(link)
    chain = [stored]
    while following.get(chain[-1][0].get("generation")) and len(chain) <= len(following) + 1:
        chain.append(following[chain[-1][0]["generation"]][-1])  # a folded delta supersedes the ones it holds
    return chain


def _mapped_member(path: Path, name: str, data: Any) -> np.ndarray:
    """Member ``name`` of the ``.npz`` at ``path``, memory-mapped where it is stored uncompressed (as
    :func:`numpy.savez` stores it), else read from ``data`` (the opened file): a one-shot query needs a few
    rows of the id and story columns, and reading them whole took 0.13 s of a cold query at a million."""
    try:
        info = data.zip.getinfo(f"{name}.npy")
        if info.compress_type != zipfile.ZIP_STORED:
            return np.asarray(data[name])
        with path.open("rb") as handle:
            handle.seek(info.header_offset)
            local = handle.read(30)  # the member's local header: its name and extra field lengths at 26 and 28
            if local[:4] != b"PK\x03\x04":
                return np.asarray(data[name])
            start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + \
                int.from_bytes(local[28:30], "little")
            handle.seek(start)
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            offset = handle.tell()
        if dtype.hasobject or fortran or offset + int(np.prod(shape)) * dtype.itemsize != start + info.file_size:
            return np.asarray(data[name])
        return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape) if int(np.prod(shape)) else \
            np.zeros(shape, dtype)
    except (OSError, ValueError, KeyError):
        return np.asarray(data[name])


def _read(path: Path) -> tuple[dict[str, Any], Any] | None:
    if not path.is_file():
        return None
    try:
        data = np.load(path, allow_pickle=False)
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != STORIES_FORMAT:
            return None
        return meta, data
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None


class StoryTable:
    """The query side's view: article id -> story id, read from ``stories.npz``.

    Missing or unreadable, it is empty and every article is its own story
    (``hsearch verify`` reports it; the next write or ``verify --repair``
    rebuilds it), so a search never fails for want of it.
    """

    def __init__(self, ids: np.ndarray | None = None, stories: np.ndarray | None = None) -> None:
        self._ids = ids if ids is not None else np.asarray([], dtype=str)
        self._stories = stories if stories is not None else np.asarray([], dtype=str)

    @classmethod
    def load(cls, index_dir: Path) -> StoryTable:
        """The base's id and story columns with every delta of its chain applied (newest record wins)."""
        chain = _chain(layout.stories_path(index_dir), None)
        if chain is None:
            return cls()
        try:
            if len(chain) == 1:  # mapped, not read: a million articles' two columns are 96 MB
                base = layout.stories_path(index_dir)
                return cls(_mapped_member(base, "ids", chain[0][1]), _mapped_member(base, "stories", chain[0][1]))
            ids = np.concatenate([np.asarray(data["ids"], dtype=str) for _, data in chain])
            stories = np.concatenate([np.asarray(data["stories"], dtype=str) for _, data in chain])
            removed = [(np.asarray(data["removed"], dtype=str), len(ids) - sum(len(d["ids"]) for _, d in chain[k:]))
                       for k, (_, data) in enumerate(chain) if "removed" in data]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
            return cls()
        # the newest record of each id (ids come out sorted), then ids removed after their newest record leave
        unique, from_end = np.unique(ids[::-1], return_index=True)
        newest = len(ids) - 1 - from_end
        alive = np.ones(len(unique), bool)
        for gone, at in removed:  # at: the first record of the delta that removed them
            if not len(gone):
                continue
            where = np.minimum(np.searchsorted(unique, gone), len(unique) - 1)
            hit = unique[where] == gone
            alive[where[hit & (newest[where] < at)]] = False
        keep = newest[alive]
        return cls(ids[keep], stories[keep]) if len(keep) else cls()

    def __len__(self) -> int:
        return len(self._ids)

    def members(self, article_id: str) -> list[str]:
        """Every article of ``article_id``'s story, itself included (just itself when the table lacks it)."""
        story = self.stories([article_id])[article_id]
        found = [str(i) for i in self._ids[self._stories == story]] if len(self._ids) else []
        return found or [article_id]

    def stories(self, ids: Sequence[str]) -> dict[str, str]:
        """Each id's story id (an id the table does not know is its own story)."""
        if not len(ids) or not len(self._ids):
            return {i: i for i in ids}
        wanted = np.asarray(ids, dtype=self._ids.dtype if len(self._ids) else str)
        where = np.searchsorted(self._ids, wanted)
        found: dict[str, str] = {}
        for article_id, at in zip(ids, where.tolist()):
            hit = at < len(self._ids) and self._ids[at] == article_id
            found[article_id] = str(self._stories[at]) if hit else article_id
        return found


# -- what an IndexWriter changes, applied at its commit --------------------------
class StoryUpdates:
    """Collects one writer's adds and deletes and brings ``stories.npz`` in line at commit.

    The clusters are loaded only when they are current (same Whoosh
    generation as the index the writer opened); otherwise the commit rebuilds
    them from the full text, which is the record.
    """

    def __init__(self, index_dir: Path, generation: int | None, *, fresh: bool = False,
                 settings: StorySettings = DEFAULT_STORY_SETTINGS) -> None:
        self.index_dir = index_dir
        self.settings = settings
        self._clusters = StoryClusters(settings) if fresh else \
            StoryClusters.load(layout.stories_path(index_dir), settings, generation)
        self._since = generation if self._clusters is not None and not fresh else None
        self._pending: dict[str, _Sketched] = {}
        self._deleted: set[str] = set()

    def added(self, article: Article) -> None:
        """Sketch the article now, while the full-text side indexes it (its body is not kept)."""
        self._deleted.discard(article.id)
        if self._clusters is None:  # the commit rebuilds from the full text anyway
            return
        own = shingles(content_of(article), self.settings.shingle_size)  # without the chrome the source repeats
        self._pending[article.id] = _Sketched(own, self._clusters.signature(own), article.date,
                                              content_digest(article))

    def deleted(self, article_id: str) -> None:
        self._pending.pop(article_id, None)
        self._deleted.add(article_id)

    def commit(self, fulltext: Any) -> StoryClusters:
        """Apply the changes (or rebuild) against the committed Whoosh index ``fulltext``; save."""
        with fulltext.searcher() as searcher:
            def stored_body(article_id: str) -> str | None:
                found = searcher.document(id=article_id)
                return found.get("body", "") if found is not None else None

            if self._clusters is None:
                self._clusters = StoryClusters.build(_stored_records(searcher), self.settings)
            else:
                for article_id in sorted(self._deleted):
                    self._clusters.remove(article_id, stored_body)
                for article_id, sketched in self._pending.items():
                    self._clusters.place(article_id, sketched.shingles, sketched.signature, sketched.date,
                                         sketched.digest, stored_body)
        self._pending.clear()
        self._deleted.clear()
        path, generation = layout.stories_path(self.index_dir), fulltext.latest_generation()
        if self._since is None:  # built anew: a whole base
            self._clusters.save(path, generation)
        else:
            self._clusters.save_changes(path, generation, self._since)
        self._since = generation  # a checkpoint's next commit follows on from this one
        return self._clusters


@dataclass(frozen=True)
class _Sketched:
    """What clustering needs of an added article, made when it was added."""

    shingles: Shingles
    signature: np.ndarray
    date: datetime | None
    digest: str


def _stored_records(searcher: Any) -> list[tuple[str, str, datetime | None, str]]:
    return [(f["id"], f.get("body", ""), f.get("date"), f.get("digest", "")) for f in searcher.all_stored_fields()]


def check(index_dir: Path, digests: Mapping[str, str]) -> list[str]:
    """Problems of ``stories.npz`` against the full text's ``id -> digest`` (empty when it agrees)."""
    path = layout.stories_path(index_dir)
    if not path.exists():
        return [f"story clusters {path.name} are missing"]
    clusters = StoryClusters.load(path)
    if clusters is None:
        return [f"story clusters {path.name} are unreadable or were built by another version"]
    problems = []
    held = clusters.digests()
    missing = len(set(digests) - set(held))
    orphans = len(set(held) - set(digests))
    stale = sum(1 for i in set(held) & set(digests) if held[i] != digests[i])
    for count, what in ((missing, "without a story"), (stale, "clustered from an older text"),
                        (orphans, "in the story clusters but not in the full text")):
        if count:
            problems.append(f"{count} articles {what} ({path.name})")
    broken = sum(1 for story, ids in clusters.stories().items() if story not in ids)
    if broken:
        problems.append(f"{broken} stories whose id is not one of their articles ({path.name})")
    return problems
