"""Every use of Whoosh's private internals, behind one door that checks the installed version.

hsearch reads a few things Whoosh has no public API for, and fixes two of its
behaviours.  All of it is here, so that a new whoosh-reloaded release is
checked in one place (:func:`check_version`, and ``tests/test_whoosh_compat.py``
against the installed version) instead of failing in six:

* :func:`install` puts two fixes under Whoosh's classes.  It is called by
  the objects that read or write the full text (``FullTextSearcher``,
  ``IndexWriter``, ``open_dir`` below), never as a side effect of an import:

  - segment parts are read in place (:class:`~hsearch.index.whoosh_files.ViewFile`)
    instead of copied into ``io.BytesIO`` at every open;
  - ``AndNotMatcher`` skips its NOT side to the first required document
    wherever that starts (Whoosh only did so when both started together, and
    returned an excluded document).

* :func:`block_postings` and :func:`length_bytes` read a W3 segment's
  posting blocks and field-length column in bulk (the scoring sidecars);
* :func:`searcher_at` opens the full text at one commit generation (a
  snapshot that both sides of a query read from one manifest);
* :class:`ParallelWriter` is Whoosh's multi-process writer with its commit
  made safe (see :mod:`hsearch.index.parallel_writer`);
* :func:`cancel_writer` drops an uncommitted write with every file it began.
"""

from __future__ import annotations

import gc
import pickle
import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import whoosh
from whoosh import matching
from whoosh.filedb import structfile
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name

from .errors import HsearchError
from .whoosh_files import ViewFile

DISTRIBUTION = "whoosh-reloaded"
SUPPORTED = ((2, 7), (2, 8))  # [from, to): the releases whose internals this module was checked against


class WhooshVersionError(HsearchError):
    """The installed Whoosh is one whose internals hsearch has not been checked against."""


def check_version(version: str | None = None) -> str:
    """The installed whoosh-reloaded version; raises :class:`WhooshVersionError` outside :data:`SUPPORTED`.

    Read from the imported package itself (``whoosh.__version__``), the code these internals are: asking
    the distribution's metadata instead imports ``importlib.metadata``, 10 ms of every one-shot query.
    """
    found = version if version is not None else ".".join(map(str, whoosh.__version__))
    try:
        numbers = tuple(int(part) for part in found.split(".")[:2])
    except ValueError:
        numbers = ()
    low, high = SUPPORTED
    if not (len(numbers) == 2 and low <= numbers < high):
        raise WhooshVersionError(
            f"{DISTRIBUTION} {found} is installed, but hsearch reads Whoosh's internals as they are in "
            f"{low[0]}.{low[1]}.x",
            advice=f"Install a supported release: pip install '{DISTRIBUTION}>={low[0]}.{low[1]},"
                   f"<{high[0]}.{high[1]}'",
        )
    return found


# -- fixes put under Whoosh's classes ---------------------------------------------
def _buffer_file_init(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
    """``BufferFile.__init__`` without ``BytesIO(buf)``'s copy."""
    self._buf = buf
    self._name = name
    self.file = ViewFile(memoryview(buf))
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def _and_not_find_first(self: Any) -> None:
    """Skip the prohibited matcher to the first required document, wherever it starts.

    Whoosh's ``AndNotMatcher`` only did so when both matchers started on the
    same document: when the NOT side's first posting came before the required
    side's first, the required side's first document was returned even if the
    NOT side held it too (``राष्ट्रपति चुनाव -अमेरिका`` returned an article
    headlined with अमेरिका).
    """
    if self.a.is_active() and self.b.is_active():
        self._find_next()


def _fixes() -> list[tuple[type, str, Callable[..., None]]]:
    return [(structfile.BufferFile, "__init__", _buffer_file_init),
            (matching.AndNotMatcher, "_find_first", _and_not_find_first)]


def install() -> None:
    """Check the version and put the fixes in place (idempotent; cheap after the first call)."""
    global _installed
    if _installed:
        return
    check_version()
    for cls, name, fix in _fixes():
        setattr(cls, name, fix)
    _installed = True


def installed() -> bool:
    """Whether every fix is in place (tests: an import alone must not install them)."""
    return all(cls.__dict__.get(name) is fix for cls, name, fix in _fixes())


_installed = False


def open_dir(directory: Path) -> Any:
    """``whoosh.index.open_dir`` with the fixes installed: how hsearch opens its full text."""
    from whoosh import index as whoosh_index

    install()
    return whoosh_index.open_dir(str(directory))


# -- bulk reads for the scoring sidecars --------------------------------------------
def unwrap(matcher: Any) -> Any:
    """The posting reader under Whoosh's deletion filter (deleted documents are masked by the scorer)."""
    from whoosh.matching.wrappers import FilterMatcher

    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return matcher


def block_postings(matcher: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """A term's postings block by block (ids, weights), from Whoosh's W3 matcher's decoded blocks.

    Whoosh has no public bulk read of a posting list; going through
    ``id()/weight()/next()`` costs three Python calls per posting (about 5x
    slower on a 10k-article segment).  Any matcher that is not a plain W3
    block reader (inlined single postings, other codecs) takes that path.
    """
    from whoosh.codec.whoosh3 import W3LeafMatcher

    if type(matcher) is W3LeafMatcher:
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            deltas = np.asarray(matcher._data[0], dtype=np.int64)  # W3 stores a block's ids as deltas
            matcher._read_weights()
            yield np.cumsum(deltas).astype(np.uint32), np.asarray(matcher._weights, dtype=np.float32)
            matcher._next_block()
        return
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    yield np.asarray(ids, dtype=np.uint32), np.asarray(weights, dtype=np.float32)


def length_bytes(reader: Any, field: str, doc_count: int) -> np.ndarray:
    """Each document's field-length byte as Whoosh stores it (0: no length).

    Read whole from the W3 codec's length column when it is there; otherwise
    each document's decoded length is turned back into its byte (Whoosh's
    encoding maps every decoded length to the byte it came from).
    """
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
    from whoosh.util.numeric import length_to_byte

    lengths = np.zeros(doc_count, dtype=np.uint8)
    perdoc = getattr(reader, "_perdoc", None)
    if type(perdoc) is W3PerDocReader:
        column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        if column is not None:
            values = _byte_column(column)[:doc_count]
            lengths[:len(values)] = values
        return lengths
    for doc in range(doc_count):
        length = reader.doc_field_length(doc, field, 0)
        lengths[doc] = length_to_byte(length) if length else 0
    return lengths


def _byte_column(column: Any) -> np.ndarray:
    """The values of a one-byte numeric column (the length column), read as one slice of its file: its
    ``load`` unpacks them one by one, 0.3 s per field of a 500k-article segment."""
    from whoosh.columns import NumericColumn

    if type(column) is NumericColumn.Reader and column._typecode == "B" and column._fixedlen == 1:
        return np.frombuffer(column._dbfile.get(column._basepos, column._count), dtype=np.uint8)
    return np.frombuffer(column.load().tobytes(), dtype=np.uint8)


def numeric_fields(schema: Any) -> list[str]:
    """The schema's indexed NUMERIC (and DATETIME) fields, in schema order: the ones a range filter reads."""
    from whoosh.fields import NUMERIC

    return [name for name in schema.names() if isinstance(schema[name], NUMERIC) and schema[name].indexed]


def numeric_keys(reader: Any, field: str, doc_count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Each document's full-precision value of a NUMERIC field as Whoosh's sortable key (``uint64``), and
    whether it has one, from the field's full-precision terms' postings (no stored field read).

    None when a document holds more than one value (a column cannot say which a range matches).
    """
    field_type = reader.schema[field]
    keys = np.zeros(doc_count, dtype=np.uint64)
    present = np.zeros(doc_count, dtype=bool)
    if field not in reader.indexed_field_names():
        return keys, present
    for term in field_type.sortable_terms(reader, field):  # the shift-0 terms, in key order
        key = field_type._struct.unpack(term[1:])[0]
        for docs, _ in block_postings(unwrap(reader.postings(field, term))):
            if present[docs].any():
                return None
            keys[docs] = key
            present[docs] = True
    return keys, present


def numeric_range_keys(schema: Any, q: Any) -> tuple[str, int, int] | None:
    """``(field, lowest key, highest key)`` a ``NumericRange``/``DateRange`` matches, inclusive, in the
    sortable keys of :func:`numeric_keys` (the bounds Whoosh's own ``tiered_ranges`` starts from); None for
    any other query, or a field that is not NUMERIC."""
    from whoosh.fields import NUMERIC
    from whoosh.query import NumericRange
    from whoosh.util.numeric import to_sortable

    if not isinstance(q, NumericRange) or q.fieldname not in schema or not isinstance(schema[q.fieldname], NUMERIC):
        return None
    field = schema[q.fieldname]
    low, high = 0, 2 ** field.bits - 1
    if q.start is not None:
        low = to_sortable(field.numtype, field.bits, field.signed, field.prepare_number(q.start)) + bool(q.startexcl)
    if q.end is not None:
        high = to_sortable(field.numtype, field.bits, field.signed, field.prepare_number(q.end)) - bool(q.endexcl)
    return q.fieldname, low, high


def field_b(weighting: Any, field: str) -> float:
    """BM25F's ``B`` for ``field`` (Whoosh keeps per-field values in a private map; ``B`` otherwise)."""
    return float(weighting._field_B.get(field, weighting.B))


def segments(ix: Any) -> list[Any]:
    """The segments of the index's latest commit (Whoosh lists them only through a private method)."""
    return list(ix._segments())


def cancel_writer(writer: Any) -> None:
    """Drop an uncommitted Whoosh write and every file it had begun (after a full disk they hold the space).

    Whoosh's ``cancel`` leaves them: the new segment's files, the posting
    pool's temporary folder, and a TOC cut short under its temporary name
    (``_MAIN_<generation>.toc.<time>``, which its own clean-up never matches),
    so a commit that failed half-way would not leave the folder as it was.
    """
    segment = getattr(writer, "newsegment", None)
    storage = getattr(writer, "storage", None)
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 - a writer that failed mid-write may not close cleanly
        pass
    if storage is not None:
        prefixes = []
        if segment is not None:
            prefixes.append(segment.segment_id() + ".")
        generation = getattr(writer, "generation", None)
        if generation is not None:
            prefixes.append(f"_{writer.indexname}_{generation}.toc.")
        for name in list(storage.list()):
            if name.startswith(tuple(prefixes)):
                try:
                    storage.delete_file(name)
                except OSError:
                    pass
    temporary = getattr(writer, "_tempstorage", None)
    if temporary is not None:
        try:
            temporary.destroy()
        except Exception:  # noqa: BLE001 - already gone
            pass


# -- one commit generation ---------------------------------------------------------
class GenerationGone(Exception):
    """The commit a snapshot asked for was cleaned up by a later one (not damage: open the newer one)."""


def searcher_at(ix: Any, generation: int | None, weighting: Any, reuse: Any = None) -> tuple[Any, int]:
    """A searcher over the full text as commit ``generation`` left it (None: the latest), and that generation.

    Whoosh's ``ix.searcher()`` always opens the latest commit; a snapshot that
    pairs the full text with the vector state of one manifest opens the
    generation that manifest names.  Raises :class:`GenerationGone` when that
    generation's files are gone (a later commit cleaned them up): the caller
    reads the newer manifest and opens that instead.  For the latest
    generation a missing file is damage, and Whoosh's own error is raised.

    ``reuse`` is the searcher this one follows: a segment reader of it is
    shared when its segment is unchanged, *deletions included*.  (Whoosh's own
    ``refresh`` shares a reader whenever the segment id matches, so articles
    deleted from an existing segment stayed visible to a refreshed searcher;
    it also carried old segments into the new reader.)  Readers of ``reuse``
    that are not shared are closed once the new searcher is open, so
    ``reuse`` must not be used afterwards.
    """
    from whoosh.index import TOC
    from whoosh.reading import EmptyReader, MultiReader, SegmentReader
    from whoosh.searching import Searcher

    install()
    try:
        toc = TOC.read(ix.storage, ix.indexname, gen=generation, schema=ix.schema)
    except (OSError, ValueError, EOFError) as exc:
        if generation is None:
            raise
        raise GenerationGone(f"full-text generation {generation} is gone ({exc})") from None
    old: dict[str, tuple[Any, frozenset[int]]] = {}
    if reuse is not None:
        for leaf, _ in reuse.reader().leaf_readers():
            segment = leaf.segment()
            if segment is not None:
                old[segment.segment_id()] = (leaf, frozenset(segment.deleted_docs()))
    readers = []
    opened = []
    try:
        for segment in toc.segments:
            shared = old.get(segment.segment_id())
            if shared is not None and shared[1] == frozenset(segment.deleted_docs()):
                readers.append(shared[0])
                del old[segment.segment_id()]
            else:
                reader = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
                opened.append(reader)
                readers.append(reader)
    except (OSError, ValueError, EOFError) as exc:  # a segment merged away and removed meanwhile, or damage
        for reader in opened:
            reader.close()
        if generation is None:
            raise
        raise GenerationGone(f"a segment of full-text generation {generation} is gone ({exc})") from None
    if not readers:
        top: Any = EmptyReader(toc.schema)
    elif len(readers) == 1:
        top = readers[0]
    else:
        top = MultiReader(readers, generation=toc.generation)
    for leaf, _ in old.values():
        leaf.close()
    return Searcher(top, weighting=weighting, fromindex=ix), toc.generation


# -- the multi-process writer ---------------------------------------------------------
#: Seconds to wait for a finished sub-process's result (it is sent before the process exits).
RESULT_TIMEOUT_S = 60


class SubProcessFailed(RuntimeError):
    """A sub-writer exited without its segment; the commit did not happen."""

    def __init__(self, exit_codes: list[int | None]) -> None:
        self.exit_codes = exit_codes
        failed = [code for code in exit_codes if code != 0]
        killed = any(code is not None and code < 0 for code in failed)
        self.reason = (f"a full-text writer process exited with code {failed[0] if failed else None}"
                       + (" (killed: out of memory?)" if killed else ""))
        super().__init__(self.reason)


class SubWriter(SubWriterTask):  # type: ignore[misc]
    """Whoosh's sub-process writer that runs ``on_start`` first (set by :class:`ParallelWriter`)."""

    on_start: Callable[[], None] = staticmethod(lambda: None)

    def run(self) -> None:
        self.on_start()
        super().run()


class ParallelWriter(MpWriter):  # type: ignore[misc]
    """Whoosh's ``MpWriter(multisegment=True)`` whose commit fails rather than lose a sub-process's documents.

    ``on_start`` runs first in every sub-process.  See
    :mod:`hsearch.index.parallel_writer` for why each change is there.
    """

    def __init__(self, ix: Any, procs: int, on_start: Callable[[], None], **kwargs: Any) -> None:
        install()
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        self._on_start = on_start
        # Objects that exist now are frozen out of the collector while forking, so that the
        # sub-processes' collections do not touch (and so copy) every page of the parent's heap.
        gc.freeze()
        try:
            for _ in range(self.procs):
                self._new_task()
        finally:
            gc.unfreeze()

    def _new_task(self) -> Any:
        task = SubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                         self.multisegment)
        task.on_start = self._on_start
        self.tasks.append(task)
        task.start()
        return task

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        # Whoosh's MpWriter.commit takes a plain commit when nothing was added
        # through the sub-writers; they must still be told to stop.
        if not self._added_sub:
            self._stop_tasks()
        super().commit(mergetype=mergetype, optimize=optimize, merge=merge)

    def cancel(self) -> None:
        super().cancel()
        self._stop_tasks()

    def _stop_tasks(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.kill()
            task.join()

    def _enqueue(self) -> None:
        """Whoosh's: the buffered documents go to a job file, its name to the job queue."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as handle:
            for item in self.docbuffer:
                pickle.dump(item, handle, 2)
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job: Any) -> None:
        """Queue a job; a full queue whose readers died is a failure, not a wait forever."""
        while True:
            try:
                self.jobqueue.put(job, timeout=1)
                return
            except queue.Full:
                if not all(task.is_alive() for task in self.tasks):
                    raise SubProcessFailed([task.exitcode for task in self.tasks]) from None

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        """Whoosh's multisegment commit, with the sub-processes' exit codes checked before the TOC is written."""
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        final_segments = self._merge_segments(mergetype, optimize, merge)  # existing segments, meanwhile
        for task in self.tasks:
            task.join()
        codes = [task.exitcode for task in self.tasks]
        results = []
        if all(code == 0 for code in codes):  # each sent its result before it exited
            try:
                results = [self.resultqueue.get(timeout=RESULT_TIMEOUT_S) for _ in self.tasks]
            except queue.Empty:
                pass
        if len(results) != len(self.tasks):
            super().cancel()  # SegmentWriter's: removes this writer's files and releases the lock
            raise SubProcessFailed(codes)
        final_segments += [segment for _, _, segment in results]
        if self._added:
            final_segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(final_segments)
        self._finish()
