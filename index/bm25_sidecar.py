"""Scoring arrays of one Whoosh segment: the BM25 sidecar (derived data, rebuilt from Whoosh).

Whoosh is the index of record.  Scoring a query through its pure-Python
matchers costs a few Python calls per posting; this file holds the same
postings as flat arrays so that the query side (:mod:`hsearch.search.array_scorer`)
scores whole posting lists with numpy.  One file per Whoosh segment, written
when the segment is committed and never changed afterwards (Whoosh segments are
immutable apart from their set of deleted documents, which the query side reads
from Whoosh).  Its name is the segment's id plus :data:`SUFFIX`, so Whoosh's own
clean-up deletes it together with its segment after a merge.

For every *scorable* field of the schema (the analysed text fields: headline,
body, and any field added later, such as a folded-spelling one) it keeps

* the segment's term dictionary, sorted (one UTF-8 blob plus offsets), and a
  table of 64-bit term hashes sorted with their ordinals, so a query term is
  found with one ``np.searchsorted`` rather than a binary search in Python;
* for each term, a slice of two flat arrays: document numbers (``uint32``,
  local to the segment) and Whoosh's posting weights (the term frequency times
  the field boost, as Whoosh stores and scores them: ``uint16`` when they are
  all whole numbers, else ``float32``, which is what Whoosh itself stores);
* each document's field-length byte (``uint8``, Whoosh's own lossy encoding;
  decoded with Whoosh's table at query time),
* for each term, its *impacts* (Lucene's word): the pairs of posting weight
  (``float32``) and field-length byte (``uint8``) that no other posting of
  the term beats on both (a higher weight in a field at most as long), shortest
  field first, with each term's slice in ``impact_starts``.  A document's
  BM25 part grows with the weight and shrinks with the length, so with the
  index-wide idf and average length at query time the best of these pairs is
  the term's best possible score in this segment, exactly, which lets the
  query side skip documents that cannot reach the top k (MaxScore,
  :mod:`hsearch.search.array_scorer`).  Format 4 kept the largest weight and
  the shortest length apart, a bound 7% above the best score (the median at
  1M) and so looser;
* for each term, Whoosh's document frequency in this segment as its term
  info records it (``uint32``; deleted documents included, as Whoosh counts
  them): summed over the segments it is Whoosh's ``doc_frequency``, read
  without Whoosh's term dictionary.  It is not the length of the term's
  postings here, which leave out the documents deleted before the sidecar
  was written;

the article id of every document number, and, for each NUMERIC field of the
schema (the article date), each document's value as Whoosh's sortable key
(``uint64``, the order of Whoosh's own numeric terms) with a ``bool`` of
whether it has one: a date range is then one comparison over a column, the
documents Whoosh's ``DateRange`` matches, with no stored field decoded.  Nothing that depends on other
segments is stored (N, document frequencies, average field lengths): the query
side takes those from the Whoosh searcher, so a sidecar never goes stale when
the index around it changes.

Layout: ``MAGIC``, the arrays (each 64-byte aligned), a JSON header naming
each array's offset, dtype and length, then a trailer (header offset, header
length, ``MAGIC``).  The file is written with :mod:`hsearch.index.atomic` (a
dot-named temporary, which Whoosh's clean-up ignores, renamed into place), so
a reader sees a whole sidecar or none; :func:`open_sidecar` memory-maps it (``np.memmap``), so opening
costs no reading and only the pages a query touches are loaded.  One file rather
than one ``.npy`` per array: one rename makes it visible, one deletion removes it.
"""

from __future__ import annotations

import json
import logging
import struct
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import layout, whoosh_compat
from .atomic import atomic_open, temporary_glob
from .hashing import hash64

FORMAT_VERSION = 5  # 5: Whoosh's document frequencies, impacts for the bounds; 4: ids findable by hash; 3: per-term score bounds and
# numeric (date) columns; 2: postings, lengths, ids
SUFFIX = layout.SCORING_SIDECAR_SUFFIX
MAGIC = b"HSBM25\x00\x00"
_TRAILER = struct.Struct("<QQ8s")  # header offset, header length, magic
_ALIGN = 64
_CHUNK = 1 << 22  # bytes per read while checksumming


class SidecarError(Exception):
    """A sidecar that cannot be used as it is (missing, of another version, damaged); rebuild it."""


def term_hash(term: bytes) -> np.uint64:
    return np.uint64(hash64(term))


def sidecar_name(segment_id: str) -> str:
    return layout.scoring_sidecar_path(Path(), segment_id).name


def temporary_pattern() -> str:
    """Glob of half-written sidecars (inside the full-text folder; ``layout.leftover_temporaries`` finds them)."""
    return temporary_glob(f"*.{SUFFIX}")


def scorable_fields(schema: Any) -> list[str]:
    """The schema's fields BM25 scores (analysed text), in schema order."""
    return [name for name in schema.names() if schema[name].scorable]


# --------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class FieldPostings:
    """One field of one segment: term dictionary, postings, field-length bytes."""

    term_blob: np.ndarray     # uint8, the sorted terms' UTF-8 bytes end to end
    term_offsets: np.ndarray  # uint64, len(terms) + 1
    starts: np.ndarray        # uint64, len(terms) + 1: each term's slice of docs/weights
    docs: np.ndarray          # uint32
    weights: np.ndarray       # uint16 or float32
    length_bytes: np.ndarray  # uint8, one per document
    hashes: np.ndarray        # uint64, the terms' hashes sorted
    hash_ordinals: np.ndarray  # uint32, the term ordinal of each hash
    impact_starts: np.ndarray  # uint64, len(terms) + 1: each term's slice of the impacts
    impact_weights: np.ndarray  # float32, ascending within a term
    impact_length_bytes: np.ndarray  # uint8, ascending within a term
    doc_frequencies: np.ndarray  # uint32, each term's document frequency in Whoosh's term info

    def __len__(self) -> int:
        return len(self.term_offsets) - 1

    def _term(self, i: int) -> bytes:
        return self.term_blob[int(self.term_offsets[i]):int(self.term_offsets[i + 1])].tobytes()

    def find(self, term: bytes) -> int:
        """The term's ordinal, or -1 (its hash looked up, then its bytes compared).

        Asked a hundred times a query (scoring, counts, word coverage): written for few Python-level calls."""
        key = hash64(term)
        hashes = self.hashes
        at = int(hashes.searchsorted(np.uint64(key)))
        while at < len(hashes) and int(hashes[at]) == key:  # equal hashes: compare the bytes
            ordinal = int(self.hash_ordinals[at])
            start, end = self.term_offsets[ordinal:ordinal + 2].tolist()
            if end - start == len(term) and self.term_blob[start:end].tobytes() == term:
                return ordinal
            at += 1
        return -1

    def postings(self, term: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """``(document numbers, weights)`` of a term, or None when the segment lacks it."""
        i = self.find(term)
        if i < 0:
            return None
        return self.postings_at(i)

    def postings_at(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """``(document numbers, weights)`` of the term of ordinal ``i`` (document numbers ascending)."""
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        return self.docs[a:b], self.weights[a:b]

    def impacts(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """``(weights, field-length bytes)`` of the term of ordinal ``i`` that no other posting of it beats."""
        a, b = self.impact_starts[i:i + 2].tolist()
        return self.impact_weights[a:b], self.impact_length_bytes[a:b]

    def doc_frequency(self, term: bytes) -> int:
        """Whoosh's document frequency of ``term`` in this segment (0 when the segment lacks it)."""
        i = self.find(term)
        return int(self.doc_frequencies[i]) if i >= 0 else 0


@dataclass(frozen=True)
class NumericColumn:
    """One NUMERIC field of one segment: each document's sortable key and whether it has a value."""

    keys: np.ndarray     # uint64
    present: np.ndarray  # bool

    def between(self, low: int, high: int) -> np.ndarray:
        """Documents whose value's key lies in ``[low, high]`` (a mask)."""
        if low > high:
            return np.zeros(len(self.keys), dtype=bool)
        return self.present & (self.keys >= np.uint64(low)) & (self.keys <= np.uint64(high))


@dataclass(frozen=True)
class Sidecar:
    segment_id: str
    doc_count: int  # documents in the segment, deleted ones included
    fields: dict[str, FieldPostings]
    id_blob: np.ndarray
    id_offsets: np.ndarray
    id_hashes: np.ndarray  # uint64, every document's id hashed, sorted
    id_docs: np.ndarray    # uint32, the document number of each hash (ties in document order)
    numeric: dict[str, NumericColumn]  # NUMERIC fields (the date); a field whose documents hold several values is absent

    def article_ids(self, docnums: np.ndarray) -> list[str]:
        blob, offsets = self.id_blob, self.id_offsets
        docnums = np.asarray(docnums, dtype=np.int64)
        # many ids close together: one decode of the slice they span, then str slices (ASCII: bytes = characters)
        if len(docnums) > 64 and 32 * len(docnums) >= int(docnums.max()) - int(docnums.min()):
            first, last = int(offsets[docnums.min()]), int(offsets[docnums.max() + 1])
            raw = blob[first:last].tobytes()
            if raw.isascii():
                text = raw.decode("ascii")
                starts = (offsets[docnums] - first).astype(np.int64).tolist()
                ends = (offsets[docnums + 1] - first).astype(np.int64).tolist()
                return [text[a:b] for a, b in zip(starts, ends)]
        return [blob[int(offsets[d]):int(offsets[d + 1])].tobytes().decode("utf-8") for d in docnums]

    def documents_of(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(positions in ids, document numbers)`` of every document whose id is one of ``ids``.

        Deleted documents are included (the caller holds the live mask); an
        id replaced within the segment has several.  Found by hash in one
        vectorized binary search, each candidate's bytes then compared.
        """
        wanted = [article_id.encode("utf-8") for article_id in ids]
        keys = np.fromiter((hash64(w) for w in wanted), dtype=np.uint64, count=len(wanted))
        lo = np.searchsorted(self.id_hashes, keys, side="left")
        runs = np.searchsorted(self.id_hashes, keys, side="right") - lo
        positions = np.repeat(np.arange(len(wanted)), runs)
        at = np.repeat(lo - np.cumsum(runs) + runs, runs) + np.arange(int(runs.sum()))
        docs = self.id_docs[at].astype(np.int64)
        blob, offsets = self.id_blob, self.id_offsets
        same = np.fromiter((blob[int(offsets[d]):int(offsets[d + 1])].tobytes() == wanted[p]
                            for p, d in zip(positions.tolist(), docs.tolist())), dtype=bool, count=len(docs))
        return positions[same], docs[same]


def _read_header(path: Path) -> tuple[np.memmap, dict[str, Any]]:
    raw, header = _read_any_header(path)
    if header.get("format_version") != FORMAT_VERSION:
        raise SidecarError(f"{path.name} is of format {header.get('format_version')}, not {FORMAT_VERSION}")
    return raw, header


def _read_any_header(path: Path) -> tuple[np.memmap, dict[str, Any]]:
    """The mapped file and its header, whatever format it says it is of (the data is not read)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SidecarError(f"{path.name} is missing") from None
    if size < len(MAGIC) + _TRAILER.size:
        raise SidecarError(f"{path.name} is truncated ({size} bytes)")
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    offset, length, magic = _TRAILER.unpack(raw[size - _TRAILER.size:].tobytes())
    if raw[:len(MAGIC)].tobytes() != MAGIC or magic != MAGIC or offset + length + _TRAILER.size != size:
        raise SidecarError(f"{path.name} is damaged (bad magic or trailer)")
    try:
        header = json.loads(raw[offset:offset + length].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SidecarError(f"{path.name} is damaged (unreadable header)") from None
    if not isinstance(header, dict):
        raise SidecarError(f"{path.name} is damaged (unreadable header)")
    header["_data_end"] = offset
    return raw, header


def _view(raw: np.memmap, spec: list[Any], end: int) -> np.ndarray:
    offset, dtype, count = int(spec[0]), np.dtype(spec[1]), int(spec[2])
    if offset % _ALIGN or offset + dtype.itemsize * count > end:
        raise SidecarError("an array runs past the data")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset)


def open_sidecar(fulltext_dir: Path, segment_id: str, doc_count: int, fields: list[str]) -> Sidecar:
    """Map the sidecar of this segment, checking it describes it; :class:`SidecarError` if not usable."""
    path = Path(fulltext_dir) / sidecar_name(segment_id)
    raw, header = _read_header(path)
    if header.get("segment") != segment_id or header.get("doc_count") != doc_count:
        raise SidecarError(f"{path.name} describes segment {header.get('segment')} of {header.get('doc_count')} "
                           f"documents, not {segment_id} of {doc_count}")
    missing = [f for f in fields if f not in header["fields"]]
    if missing:
        raise SidecarError(f"{path.name} lacks field(s) {', '.join(missing)}")
    end = header["_data_end"]
    try:
        built = {}
        for name, spec in header["fields"].items():
            part = FieldPostings(*(_view(raw, spec[key], end) for key in
                                   ("term_blob", "term_offsets", "starts", "docs", "weights", "length_bytes",
                                    "hashes", "hash_ordinals", "impact_starts", "impact_weights",
                                    "impact_length_bytes", "doc_frequencies")))
            if (len(part.length_bytes) != doc_count or int(part.starts[-1]) != len(part.docs)
                    or len(part.hashes) != len(part) or len(part.starts) != len(part) + 1
                    or len(part.impact_starts) != len(part) + 1
                    or int(part.impact_starts[-1]) != len(part.impact_weights)
                    or len(part.impact_length_bytes) != len(part.impact_weights)
                    or len(part.doc_frequencies) != len(part)):
                raise SidecarError(f"{path.name}: field {name} has inconsistent lengths")
            built[name] = part
        id_blob = _view(raw, header["ids"]["blob"], end)
        id_offsets = _view(raw, header["ids"]["offsets"], end)
        id_hashes = _view(raw, header["ids"]["hashes"], end)
        id_docs = _view(raw, header["ids"]["hash_docs"], end)
        numeric = {name: NumericColumn(_view(raw, spec["keys"], end), _view(raw, spec["present"], end))
                   for name, spec in header["numeric"].items() if spec is not None}
    except (KeyError, TypeError, IndexError, ValueError):
        raise SidecarError(f"{path.name} is damaged (header does not describe its arrays)") from None
    if len(id_offsets) != doc_count + 1 or len(id_hashes) != doc_count or len(id_docs) != doc_count:
        raise SidecarError(f"{path.name}: id table has {len(id_offsets) - 1} entries, not {doc_count}")
    if any(len(c.keys) != doc_count or len(c.present) != doc_count for c in numeric.values()):
        raise SidecarError(f"{path.name}: a numeric column is not one value per document")
    return Sidecar(segment_id, doc_count, built, id_blob, id_offsets, id_hashes, id_docs, numeric)


def check_sidecar(fulltext_dir: Path, segment_id: str, doc_count: int, fields: list[str]) -> str | None:
    """What is wrong with a segment's sidecar (None when it is whole): structure and checksum."""
    try:
        open_sidecar(fulltext_dir, segment_id, doc_count, fields)
        raw, header = _read_header(Path(fulltext_dir) / sidecar_name(segment_id))
    except SidecarError as exc:
        return str(exc)
    crc = 0
    for start in range(0, header["_data_end"], _CHUNK):
        crc = zlib.crc32(raw[start:min(start + _CHUNK, header["_data_end"])], crc)
    if crc != header.get("crc32"):
        return f"{sidecar_name(segment_id)} is damaged (checksum mismatch)"
    return None


# --------------------------------------------------------------------------
# writing


class _Out:
    """Appends aligned arrays to the temporary file and remembers where each went."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.crc = 0
        self.at = 0
        self.write(MAGIC)

    def write(self, data: bytes | memoryview) -> None:
        self.handle.write(data)
        self.crc = zlib.crc32(data, self.crc)
        self.at += len(data)

    def align(self) -> None:
        pad = -self.at % _ALIGN
        if pad:
            self.write(b"\x00" * pad)

    def array(self, values: np.ndarray) -> list[Any]:
        self.align()
        spec = [self.at, values.dtype.str, int(values.size)]
        self.write(memoryview(np.ascontiguousarray(values)).cast("B"))
        return spec


def _write_field(out: _Out, reader: Any, field: str, doc_count: int, folder: Path) -> dict[str, Any]:
    terms: list[bytes] = list(reader.lexicon(field)) if field in reader.indexed_field_names() else []
    starts = np.zeros(len(terms) + 1, dtype=np.uint64)
    lengths = whoosh_compat.length_bytes(reader, field, doc_count)
    impact_starts = np.zeros(len(terms) + 1, dtype=np.uint64)
    impact_weights: list[np.ndarray] = []
    impact_lengths: list[np.ndarray] = []
    frequencies = np.zeros(len(terms), dtype=np.uint32)
    integral = True
    top = 0.0
    out.align()
    docs_at = out.at
    count = 0
    # weights go after the docs, both streamed; an unnamed temporary file leaves nothing behind a kill -9
    with tempfile.TemporaryFile(dir=folder) as weights_file:
        for i, term in enumerate(terms):
            frequencies[i] = reader.doc_frequency(field, term)  # its term info's count (deleted documents in)
            best = np.zeros(256, dtype=np.float32)  # the largest weight of each field-length byte
            for ids, weights in whoosh_compat.block_postings(whoosh_compat.unwrap(reader.postings(field, term))):
                out.write(memoryview(ids).cast("B"))
                weights_file.write(memoryview(weights).cast("B"))
                count += len(ids)
                np.maximum.at(best, lengths[ids], weights)
                if integral and len(weights):
                    integral = bool(np.all(weights == np.floor(weights)))
                    top = max(top, float(weights.max()))
            starts[i + 1] = count
            held = np.flatnonzero(best)  # weights are positive
            above = best[held] > np.concatenate([[-1.0], np.maximum.accumulate(best[held])[:-1]])
            impact_weights.append(best[held][above])  # each above every shorter field's weight
            impact_lengths.append(held[above].astype(np.uint8))
            impact_starts[i + 1] = impact_starts[i] + int(above.sum())
        docs_spec = [docs_at, np.dtype(np.uint32).str, count]
        small = integral and top <= np.iinfo(np.uint16).max
        dtype = np.dtype(np.uint16 if small else np.float32)
        out.align()
        weights_spec = [out.at, dtype.str, count]
        weights_file.seek(0)
        while True:
            chunk = weights_file.read(_CHUNK)
            if not chunk:
                break
            values = np.frombuffer(chunk, dtype=np.float32)
            out.write(memoryview(values.astype(dtype) if small else values).cast("B"))
    blob = b"".join(terms)
    offsets = np.zeros(len(terms) + 1, dtype=np.uint64)
    offsets[1:] = np.cumsum([len(t) for t in terms], dtype=np.uint64) if terms else []
    hashes = np.array([term_hash(t) for t in terms], dtype=np.uint64)
    order = np.argsort(hashes, kind="stable").astype(np.uint32)
    return {
        "hashes": out.array(hashes[order]),
        "hash_ordinals": out.array(order),
        "term_blob": out.array(np.frombuffer(blob, dtype=np.uint8)),
        "term_offsets": out.array(offsets),
        "starts": out.array(starts),
        "docs": docs_spec,
        "weights": weights_spec,
        "length_bytes": out.array(lengths),
        "impact_starts": out.array(impact_starts),
        "impact_weights": out.array(np.concatenate(impact_weights) if terms else np.zeros(0, dtype=np.float32)),
        "impact_length_bytes": out.array(np.concatenate(impact_lengths) if terms else np.zeros(0, dtype=np.uint8)),
        "doc_frequencies": out.array(frequencies),
    }


def _article_ids(reader: Any, doc_count: int) -> list[bytes]:
    """Each document number's article id, from the unique ``id`` field's postings (no stored-field reads)."""
    ids = [b""] * doc_count
    for term in reader.lexicon("id"):
        for docs, _ in whoosh_compat.block_postings(whoosh_compat.unwrap(reader.postings("id", term))):
            for d in docs:
                ids[int(d)] = term
    return ids


def write_sidecar(fulltext_dir: Path, reader: Any, segment_id: str) -> Path:
    """Write the sidecar of one segment (``reader``: its Whoosh ``SegmentReader``) atomically."""
    fulltext_dir = Path(fulltext_dir)
    doc_count = reader.doc_count_all()
    path = layout.scoring_sidecar_path(fulltext_dir, segment_id)
    fields = scorable_fields(reader.schema)
    with atomic_open(path, "wb") as handle:  # a dot-named temporary Whoosh's clean-up leaves alone
        out = _Out(handle)
        header: dict[str, Any] = {"format_version": FORMAT_VERSION, "segment": segment_id,
                                  "doc_count": doc_count, "fields": {}}
        for field in fields:
            header["fields"][field] = _write_field(out, reader, field, doc_count, fulltext_dir)
        ids = _article_ids(reader, doc_count)
        id_offsets = np.zeros(doc_count + 1, dtype=np.uint64)
        id_offsets[1:] = np.cumsum([len(i) for i in ids], dtype=np.uint64) if ids else []
        hashes = np.fromiter((hash64(i) for i in ids), dtype=np.uint64, count=doc_count)
        by_hash = np.lexsort((np.arange(doc_count), hashes))
        header["ids"] = {"blob": out.array(np.frombuffer(b"".join(ids), dtype=np.uint8)),
                         "offsets": out.array(id_offsets),
                         "hashes": out.array(hashes[by_hash]),
                         "hash_docs": out.array(by_hash.astype(np.uint32))}
        header["numeric"] = {}
        for field in whoosh_compat.numeric_fields(reader.schema):
            column = whoosh_compat.numeric_keys(reader, field, doc_count)
            header["numeric"][field] = None if column is None else \
                {"keys": out.array(column[0]), "present": out.array(column[1])}
        out.align()
        header["crc32"] = out.crc
        text = json.dumps(header).encode("utf-8")
        at = out.at
        handle.write(text)
        handle.write(_TRAILER.pack(at, len(text), MAGIC))
    return path


@contextmanager
def segment_readers(ix: Any) -> Iterator[list[tuple[Any, str]]]:
    """``(SegmentReader, segment id)`` of each segment of a Whoosh index, open for the ``with`` block."""
    reader = ix.reader()
    try:
        yield [(leaf, leaf.segment().segment_id()) for leaf, _ in reader.leaf_readers()
               if leaf.segment() is not None]  # an index with no segment yet has a None one
    finally:
        reader.close()


def format_of(path: Path) -> int | None:
    """The format a sidecar file says it is of (None when its header cannot be read): a cheap look."""
    try:
        version = _read_any_header(path)[1].get("format_version")
    except (SidecarError, OSError):
        return None
    return version if isinstance(version, int) else None


def write_missing(fulltext_dir: Path, ix: Any, *, rebuild_broken: bool = False,
                  rebuild_outdated: bool = False) -> list[str]:
    """Write the sidecar of every segment that has none (or, with ``rebuild_broken``, an unusable one;
    with ``rebuild_outdated``, one of another format, read from its header alone).

    Called under the index's write lock (by the writer after each commit, which
    brings sidecars of an older format up to date, and by ``verify --repair``,
    which also checksums them).  Returns the segment ids written.
    """
    written = []
    fields = scorable_fields(ix.schema)
    with segment_readers(ix) as segments:
        for leaf, segment_id in segments:
            path = Path(fulltext_dir) / sidecar_name(segment_id)
            if path.exists():
                if not rebuild_broken and not (rebuild_outdated and format_of(path) != FORMAT_VERSION):
                    continue
                if rebuild_broken and check_sidecar(fulltext_dir, segment_id, leaf.doc_count_all(), fields) is None:
                    continue
            write_sidecar(fulltext_dir, leaf, segment_id)
            written.append(segment_id)
    return written


def sidecar_problems(fulltext_dir: Path, ix: Any) -> list[str]:
    """One line per segment whose sidecar is missing, of another version or damaged (for verify)."""
    problems = []
    fields = scorable_fields(ix.schema)
    with segment_readers(ix) as segments:
        for leaf, segment_id in segments:
            problem = check_sidecar(fulltext_dir, segment_id, leaf.doc_count_all(), fields)
            if problem:
                problems.append(f"scoring sidecar of segment {segment_id}: {problem}")
    return problems


def warn(message: str) -> None:
    """A problem that costs speed, not results: through logging (the CLI shows it on standard error)."""
    logging.getLogger(__name__).warning(message)
