"""BM25's collection statistics over several full-text indexes: what makes N shards score as one index.

Whoosh's BM25F reads three statistics of the whole index: N (documents,
deleted ones included: ``doc_count_all``), each term's document frequency
per field, and each field's total length (its average is the total over N).
A shard alone knows only its own, so a term that is common on one shard and
rare on another would score differently there than in one index.  As
Elasticsearch's ``dfs_query_then_fetch``, the shards are scored with the
statistics of all of them: :class:`CollectionStats` is the small, explicit
value passed to the scorer (``FullTextSearcher.search(..., stats=)``), holding
the sums for the terms of one query.

:class:`CollectionTable` is where those sums come from: a derived table beside
a sharded index (``collection.npz``), rewritten after each commit of the
shards, holding N, the field totals and every term's per-field document
frequency (keyed by the term's 64-bit hash: 16 bytes a term), so the ingress
gathers a query's statistics without asking the shards.  Its figures are
Whoosh's own, summed; a replaced or deleted article counts until Whoosh merges
its segment away, as in one index.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import log
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_open
from .hashing import hash64

#: The fields queries search and BM25F scores (the query parser's fields).
SCORED_FIELDS = ("title", "body")
TABLE_FORMAT = 1


def term_bytes(text: str | bytes) -> bytes:
    """A term as Whoosh keeps it (UTF-8 text fields)."""
    return text if isinstance(text, bytes) else text.encode("utf-8")


def whoosh_idf(doc_count_all: int, doc_frequency: int) -> float:
    """Whoosh's idf (``WeightingModel.idf``), from the collection's counts."""
    return log(doc_count_all / (doc_frequency + 1)) + 1


@dataclass(frozen=True)
class CollectionStats:
    """N, field length totals and document frequencies of a collection, for the terms of one query.

    ``df`` is keyed by ``(field, term as bytes)``; a term it lacks occurs
    nowhere (document frequency 0).  The formulas are Whoosh's: ``idf`` of
    ``WeightingModel.idf`` and the average field length of
    ``Searcher.avg_field_length``.
    """

    doc_count_all: int
    field_lengths: Mapping[str, int]
    df: Mapping[tuple[str, bytes], int] = field(default_factory=dict)

    def doc_frequency(self, fieldname: str, text: str | bytes) -> int:
        return int(self.df.get((fieldname, term_bytes(text)), 0))

    def idf(self, fieldname: str, text: str | bytes) -> float:
        return whoosh_idf(self.doc_count_all, self.doc_frequency(fieldname, text))

    def avg_field_length(self, fieldname: str) -> float:
        return self.field_lengths.get(fieldname, 0) / (self.doc_count_all or 1)

    @classmethod
    def of_reader(cls, reader: Any, terms: Iterable[tuple[str, str | bytes]]) -> CollectionStats:
        """One index's own statistics for ``terms`` (a shard's part of the sums)."""
        wanted = {(name, term_bytes(text)) for name, text in terms}
        return cls(reader.doc_count_all(),
                   {name: reader.field_length(name) for name in SCORED_FIELDS if name in reader.schema},
                   {(name, text): reader.doc_frequency(name, text) for name, text in wanted
                    if name in reader.schema})

    @classmethod
    def summed(cls, parts: Sequence[CollectionStats]) -> CollectionStats:
        """The statistics of the union of the collections ``parts`` describe."""
        lengths: dict[str, int] = {}
        df: dict[tuple[str, bytes], int] = {}
        for part in parts:
            for name, length in part.field_lengths.items():
                lengths[name] = lengths.get(name, 0) + length
            for key, count in part.df.items():
                df[key] = df.get(key, 0) + count
        return cls(sum(p.doc_count_all for p in parts), lengths, df)


class CollectionTable:
    """Per-field document frequencies of every term over several indexes, with N and field totals."""

    def __init__(self, doc_count_all: int, field_lengths: dict[str, int],
                 hashes: dict[str, np.ndarray], counts: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.doc_count_all = doc_count_all
        self.field_lengths = field_lengths
        self._hashes = hashes  # field -> sorted uint64 term hashes
        self._counts = counts  # field -> document frequency of each
        self.meta = meta

    @classmethod
    def from_readers(cls, readers: Sequence[Any], meta: dict[str, Any] | None = None) -> CollectionTable:
        """Sum the statistics of these Whoosh readers (one per shard)."""
        hashes: dict[str, np.ndarray] = {}
        counts: dict[str, np.ndarray] = {}
        lengths: dict[str, int] = {}
        for name in SCORED_FIELDS:
            keys: list[np.ndarray] = []
            values: list[np.ndarray] = []
            for reader in readers:
                if name not in reader.schema:
                    continue
                lengths[name] = lengths.get(name, 0) + int(reader.field_length(name))
                pairs = [(hash64(term_bytes(text)), info.doc_frequency()) for text, info in reader.iter_field(name)]
                if pairs:
                    keys.append(np.fromiter((p[0] for p in pairs), np.uint64, len(pairs)))
                    values.append(np.fromiter((p[1] for p in pairs), np.int64, len(pairs)))
            hashes[name], counts[name] = _summed(keys, values)
        return cls(sum(int(r.doc_count_all()) for r in readers), lengths, hashes, counts, meta or {})

    def doc_frequency(self, fieldname: str, text: str | bytes) -> int:
        keys = self._hashes.get(fieldname)
        if keys is None or not len(keys):
            return 0
        key = np.uint64(hash64(term_bytes(text)))
        at = int(np.searchsorted(keys, key))
        return int(self._counts[fieldname][at]) if at < len(keys) and keys[at] == key else 0

    def idf(self, fieldname: str, text: str | bytes) -> float:
        return whoosh_idf(self.doc_count_all, self.doc_frequency(fieldname, text))

    def term_frequency(self, term: str) -> int:
        """Articles whose headline or body holds ``term`` (the larger count), as ``FullTextSearcher`` says it."""
        return max(self.doc_frequency(name, term) for name in SCORED_FIELDS)

    def stats_for(self, terms: Iterable[tuple[str, str | bytes]]) -> CollectionStats:
        """The statistics a query of these ``(field, term)`` pairs is scored with."""
        df = {(name, term_bytes(text)): self.doc_frequency(name, text) for name, text in terms}
        return CollectionStats(self.doc_count_all, dict(self.field_lengths), df)

    # -- persistence ---------------------------------------------------------
    def save(self, path: Path) -> None:
        meta = {**self.meta, "format": TABLE_FORMAT, "doc_count_all": self.doc_count_all,
                "field_lengths": self.field_lengths}
        arrays = {f"{name}_hashes": self._hashes[name] for name in self._hashes}
        arrays.update({f"{name}_counts": self._counts[name] for name in self._counts})
        with atomic_open(path, "wb") as handle:
            np.savez(handle, meta=np.asarray(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: Path) -> CollectionTable | None:
        """The saved table, or None when it is missing, unreadable or of another format."""
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("format") != TABLE_FORMAT:
                    return None
                hashes = {name: data[f"{name}_hashes"] for name in SCORED_FIELDS if f"{name}_hashes" in data}
                counts = {name: data[f"{name}_counts"] for name in SCORED_FIELDS if f"{name}_counts" in data}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
            return None
        return cls(int(meta["doc_count_all"]), {k: int(v) for k, v in meta["field_lengths"].items()},
                   hashes, counts, meta)


def _summed(keys: list[np.ndarray], values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if not keys:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    allkeys, allvalues = np.concatenate(keys), np.concatenate(values)
    order = np.argsort(allkeys, kind="stable")
    allkeys, allvalues = allkeys[order], allvalues[order]
    unique, starts = np.unique(allkeys, return_index=True)
    return unique, np.add.reduceat(allvalues, starts) if len(allvalues) else allvalues
