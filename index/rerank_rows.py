"""8-bit rows of a fast-scan vector segment: its shortlists re-ranked without paging in its float rows.

A fast-scan segment (:mod:`hsearch.index.vectors`, ``pq4``/``ivfpq4``) finds a
shortlist of passages by their 4-bit codes, thousands a query at a million
articles, and re-ranks it by cosine.  Re-ranked against the float rows
(1,536 bytes a passage at 384 dims), the shortlists of a few hundred queries
touch most pages of every segment's ``vectors.npy``: a warm process held 5.4 GB
of them at 1M articles (``bench/results/scale-issue23/engine_memory-1000000.md``).
Here each dimension is scalar-quantized to 8 bits over the segment's own range
(its minimum and maximum, so no value is clipped and each coordinate is within
half a step of the original): 384 bytes a passage, a quarter of the pages.
A cosine from these rows is within ``sum_d |q_d| * step_d / 2`` of the exact one
(:meth:`RerankRows.error_bound`); measured on real vectors it differs by far
less (bench/notes/issue-23.md, "Fourth session").

The file ``rows8.bin`` lies in the segment's generation folder.  It is *derived*
from that generation's ``vectors.npy`` (immutable, so the rows never go stale):
written with the generation by the writer, or afterwards, atomically, for a
generation an older hsearch wrote (:func:`write_missing`, at the next commit and
by ``verify --repair``).  A segment without a usable file re-ranks from its
float rows, as before: slower to warm, the same hits.

Layout (little-endian): ``HEADER`` (magic, format, rows, dims, CRC-32 of the
codes), then ``float32 minimum[dims]``, ``float32 step[dims]``, then
``uint8 codes[rows, dims]``, mapped.
"""

from __future__ import annotations

import os
import struct
import weakref
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .atomic import atomic_open

NAME = "rows8.bin"
MAGIC = b"HSROWS8\0"
FORMAT = 1
HEADER = struct.Struct("<8sIQII")  # magic, format, rows, dims, crc32 of the codes
LEVELS = 255
CHUNK = 65_536  # rows quantized (and checksummed) at a time: bounded temporaries however large the segment


class RowsError(ValueError):
    """A rows file that cannot be used (missing, damaged, of another format or size)."""


@dataclass(frozen=True)
class RerankRows:
    """A segment's 8-bit rows, mapped: ``codes[row] * step + minimum`` approximates the float row."""

    minimum: np.ndarray  # float32 [dims]
    step: np.ndarray     # float32 [dims]
    codes: np.ndarray    # uint8 [rows, dims], mapped
    compiled: bool = False  # score with the numba kernel (engines that answer many queries: importing numba
    #                         costs a one-shot query about 0.5 s)

    def scores(self, rows: np.ndarray, query: np.ndarray, slice_rows: int) -> np.ndarray:
        """The approximate cosines of ``rows`` (ascending: read in file order) with ``query``.

        ``codes @ (step * q) + minimum . q``: compiled where numba is (no temporaries, and the
        GIL released, so the segments' threads score at once), else in numpy slices of ``slice_rows``.
        """
        scaled = (self.step * query).astype(np.float32)
        offset = np.float32(self.minimum @ query)
        out = np.empty(len(rows), np.float32)
        kernel = compiled_scores() if self.compiled else None
        if kernel is not None:
            kernel(self.codes, np.ascontiguousarray(rows, np.int64), scaled, offset, out)
            return out
        for start in range(0, len(rows), slice_rows):
            part = self.codes[rows[start:start + slice_rows]]
            np.matmul(part.astype(np.float32), scaled, out=out[start:start + len(part)])
        out += offset
        return out

    def error_bound(self, query: np.ndarray) -> float:
        """How far a cosine from these rows can lie from the exact one, for this query (rounding to nearest)."""
        return float(np.abs(query) @ self.step) / 2


class FloatRows:
    """A generation's float rows read by positioned reads, not through the mapping.

    The few rows an 8-bit re-rank leaves undecided are scored exactly from
    these.  Read through the mapping, each would fault in its neighbours
    too (the kernel maps up to 16 cached pages around a fault), and the
    shortlists of a few hundred queries would map the whole file again.
    """

    def __init__(self, path: Path, offset: int, dims: int) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._offset, self._dims = offset, dims
        weakref.finalize(self, os.close, self._fd)

    def read(self, rows: np.ndarray) -> np.ndarray:
        """These rows (ascending), each run of consecutive rows in one read."""
        out = np.empty((len(rows), self._dims), np.float32)
        view = memoryview(out).cast("B")
        width = 4 * self._dims
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        for first, end in zip([0, *breaks.tolist()], [*breaks.tolist(), len(rows)]):
            want = (end - first) * width
            got = os.preadv(self._fd, [view[first * width:end * width]], self._offset + int(rows[first]) * width)
            if got != want:
                raise OSError(f"read {got} of {want} bytes of the float rows")
        return out


@lru_cache(maxsize=1)
def compiled_scores() -> Callable[..., None] | None:
    """The numba kernel of :meth:`RerankRows.scores` (compiled, or loaded from numba's cache); None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True, fastmath=True)
    def scores(codes, rows, scaled, offset, out):  # type: ignore[no-untyped-def]
        # out[i] = codes[rows[i]] . scaled + offset, summed in float32 in any order (fastmath: SIMD lanes)
        dims = codes.shape[1]
        for i in range(rows.shape[0]):
            row = codes[rows[i]]
            total = np.float32(0.0)
            for j in range(dims):
                total += np.float32(row[j]) * scaled[j]
            out[i] = total + offset

    scores(np.zeros((1, 1), np.uint8), np.zeros(1, np.int64), np.ones(1, np.float32), np.float32(0),
           np.empty(1, np.float32))  # compiled (or loaded) now, not in a query
    return scores  # type: ignore[no-any-return]


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each dimension's ``(minimum, step)`` over these rows (a constant dimension gets step 0)."""
    dims = vectors.shape[1]
    low = np.full(dims, np.inf, np.float32)
    high = np.full(dims, -np.inf, np.float32)
    for start in range(0, len(vectors), CHUNK):
        part = np.asarray(vectors[start:start + CHUNK], np.float32)
        low, high = np.minimum(low, part.min(axis=0)), np.maximum(high, part.max(axis=0))
    if not len(vectors):
        low, high = np.zeros(dims, np.float32), np.zeros(dims, np.float32)
    return low, ((high - low) / LEVELS).astype(np.float32)


def _codes(part: np.ndarray, minimum: np.ndarray, step: np.ndarray) -> np.ndarray:
    safe = np.where(step > 0, step, 1).astype(np.float32)
    return np.clip(np.rint((np.asarray(part, np.float32) - minimum) / safe), 0, LEVELS).astype(np.uint8)


def write(folder: Path, vectors: np.ndarray) -> Path:
    """Write the rows of ``vectors`` (a generation's float rows) as ``folder/rows8.bin``, atomically."""
    minimum, step = quantize(vectors)
    crc = 0
    for start in range(0, len(vectors), CHUNK):
        crc = zlib.crc32(_codes(vectors[start:start + CHUNK], minimum, step).tobytes(), crc)
    path = Path(folder) / NAME
    with atomic_open(path) as handle:
        handle.write(HEADER.pack(MAGIC, FORMAT, len(vectors), vectors.shape[1], crc))
        handle.write(minimum.astype("<f4").tobytes())
        handle.write(step.astype("<f4").tobytes())
        for start in range(0, len(vectors), CHUNK):  # quantized twice rather than held: a segment's codes are
            handle.write(_codes(vectors[start:start + CHUNK], minimum, step).tobytes())  # hundreds of MB
    return path


def open_rows(folder: Path, rows: int, dims: int, *, checksum: bool = False, compiled: bool = False) -> RerankRows:
    """Map ``folder/rows8.bin``, checked against the generation's ``rows`` and ``dims`` (and its CRC-32 with
    ``checksum``); raises :class:`RowsError` saying what is wrong.  ``compiled``: see :class:`RerankRows`."""
    path = Path(folder) / NAME
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER.size + 8 * dims)
        size = path.stat().st_size
    except FileNotFoundError:
        raise RowsError("missing") from None
    except OSError as exc:
        raise RowsError(f"unreadable ({exc})") from None
    if len(head) < HEADER.size:
        raise RowsError("truncated")
    magic, version, stored_rows, stored_dims, crc = HEADER.unpack_from(head)
    if magic != MAGIC:
        raise RowsError("not a rows file")
    if version != FORMAT:
        raise RowsError(f"of format {version}, not {FORMAT}")
    if (stored_rows, stored_dims) != (rows, dims):
        raise RowsError(f"holds {stored_rows} rows of {stored_dims} dims, the generation {rows} of {dims}")
    start = HEADER.size + 8 * dims
    if size != start + rows * dims:
        raise RowsError(f"has {size} bytes, {start + rows * dims} were written")
    bounds = np.frombuffer(head[HEADER.size:], "<f4")
    codes = np.memmap(path, np.uint8, "r", offset=start, shape=(rows, dims)) if rows else \
        np.zeros((0, dims), np.uint8)
    if checksum:
        found = 0
        for at in range(0, rows, CHUNK):
            found = zlib.crc32(np.ascontiguousarray(codes[at:at + CHUNK]).tobytes(), found)
        if found != crc:
            raise RowsError("damaged (its checksum does not match)")
    return RerankRows(bounds[:dims].astype(np.float32), bounds[dims:].astype(np.float32), codes, compiled)


def problems(folders: Iterable[tuple[Path, int, int]]) -> list[str]:
    """One line per fast-scan generation ``(folder, rows, dims)`` whose rows file is unusable (for verify)."""
    found = []
    for folder, rows, dims in folders:
        try:
            open_rows(folder, rows, dims, checksum=True)
        except RowsError as exc:
            found.append(f"8-bit re-rank rows of vector segment {Path(folder).name} ({Path(folder) / NAME}): {exc}; "
                         "its queries re-rank from the float rows until repaired")
    return found
