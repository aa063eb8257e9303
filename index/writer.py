"""Write articles into both sides of an index, as one transaction from the user's view.

Nothing is visible until :meth:`IndexWriter.commit`: the vectors are written
first (a new segment of what this writer added, tombstone files for what it
deleted from older segments, and any merges the policy asks for:
:mod:`hsearch.index.vector_segments`) where nothing names them yet, then the
Whoosh segment is committed (its TOC file is written last, atomically), then
the manifest's rename -- naming both the Whoosh generation and the vector
segments -- switches readers to the new commit, and files only older commits
named are deleted.
A crash (or a full disk) before the Whoosh commit leaves the index as it was;
a crash between the Whoosh commit and the manifest leaves vectors that
``hsearch verify --repair`` brings up to date (every vector row carries the
digest of the text it was made from).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import numpy as np
from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.searching import Searcher

from . import bm25_sidecar, keytable, layout, manifest, vector_segments, whoosh_compat
from .articles import Article, content_digest
from .checkpoints import Checkpoints, CommitPolicy
from .encoders import Encoder, encoder_for_name, encoder_for_spec, same_model
from .errors import (UNWRITABLE_ADVICE, FullTextDamagedError, IndexInterrupted, IndexVersionError, IndexWriteError,
                     InputError, ModelMismatchError, Remedy, damage_reason, os_error_reason)
from .ingest import STDIN, IngestIssue, IngestReport, read_articles
from .lock import OnWait, WriteLock
from .manifest import Manifest
from .model_spec import ModelSpec
from .parallel_writer import SubProcessFailed, open_parallel_writer
from .passage_vectors import Embedder, LocalEmbedder, embed_articles
from .schema import build_schema
from .settings import DEFAULT_MODEL, NO_MODEL, IndexSettings
from .boilerplate import Boilerplate
from .stories import StoryUpdates
from .vector_segments import SegmentWriter
from .wording import counted

T = TypeVar("T")


@dataclass
class IndexReport:
    """What one ``hsearch index`` run did."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0  # already indexed with the same fields: kept, not embedded again
    passages: int = 0
    total_articles: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    # Kept up to date while the build runs, so that a caller interrupted mid-build can say
    # what is safe: this run's articles made durable by its commits so far, and how many commits.
    committed: int = 0
    commits: int = 0
    stale_lock_pid: int | None = None

    @property
    def issues(self) -> list[IngestIssue]:
        return self.ingest.issues


class IndexWriter:
    """Holds the write lock, a Whoosh writer and the vector store until commit.

    ``encoder`` replaces the one the settings or the manifest name (as
    ``SearchEngine`` takes one): tests pass a fast stand-in, the server a shared one.
    """

    def __init__(self, index_dir: Path, settings: IndexSettings = IndexSettings(), *,
                 rebuild: bool = False, wait: bool = False, fresh_vectors: bool = False,
                 encoder: Encoder | None = None, on_wait: OnWait | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self._given_encoder = encoder
        self.rebuild = rebuild
        self.fresh_vectors = rebuild or fresh_vectors
        self._lock = WriteLock(self.index_dir, wait=wait, on_wait=on_wait)
        self._writer: writing.IndexWriter | None = None
        self.encoder: Encoder | None = None
        self.vectors: SegmentWriter | None = None
        self.manifest: Manifest | None = None
        self._committed: Searcher | None = None  # the index as it was when the write began
        self._written: set[str] = set()  # ids added or replaced by this writer
        self._deleted: set[str] = set()
        self._stories: StoryUpdates  # made when the index is opened
        self._generation = -1  # the full text's commit generation when this writer opened

    # -- opening ---------------------------------------------------------
    def __enter__(self) -> IndexWriter:
        self._lock.__enter__()
        try:
            _check_writable(self.index_dir)
            try:
                self._open()
            except OSError as exc:
                raise IndexWriteError(str(exc.filename or self.index_dir), os_error_reason(exc),
                                      UNCHANGED) from None
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._committed is not None:
                self._committed.close()
                self._committed = None
            if self._writer is not None:
                whoosh_compat.cancel_writer(self._writer)
                self._writer = None
        finally:
            self._lock.__exit__(exc_type, exc, tb)

    def _require_open(self) -> None:
        """A writer is used inside ``with`` (which opens the index and takes the lock), and until it commits."""
        if self._writer is None:
            raise RuntimeError("IndexWriter used outside 'with', or after its final commit")

    @property
    def stale_lock_pid(self) -> int | None:
        return self._lock.stale_pid

    def _open(self) -> None:
        for leftover in layout.leftover_temporaries(self.index_dir):
            leftover.unlink(missing_ok=True)
        if manifest.exists(self.index_dir):
            try:
                kept: Manifest | None = manifest.load(self.index_dir)
            except IndexVersionError:
                kept = None
            if kept is not None:  # segments and tombstones of killed writers, never named by a manifest
                vector_segments.drop_unreferenced(self.index_dir, kept)
        fulltext = layout.fulltext_dir(self.index_dir)
        fresh = self.rebuild or not manifest.exists(self.index_dir)
        current: Manifest | None = None
        if not fresh:
            current = manifest.load(self.index_dir)
        elif manifest.exists(self.index_dir):
            try:
                current = manifest.load(self.index_dir)
            except IndexVersionError:
                current = None  # rebuilding an index this version cannot read

        requested = self.settings.model
        if current is not None and not self.rebuild:
            if requested is not None and not _model_matches(current, requested):
                built = current.model.name if current.model else NO_MODEL
                raise ModelMismatchError(
                    f"{self.index_dir} was built with model {built!r}, not {requested!r}",
                    advice=f"Index without {{model}} to keep its model, or rebuild the index with {{model}} "
                    f"{requested}", params=("model", "rebuild"),
                )
            self.manifest = current
            self.encoder = self._encoder_for(current.model) if current.model else None
        else:
            if requested is not None:
                name = requested
            elif current is not None:  # a rebuild keeps the model unless told otherwise
                name = current.model.name if current.model else NO_MODEL
            else:
                name = DEFAULT_MODEL
            self.encoder = None if name == NO_MODEL else self._given_encoder or encoder_for_name(name)
            self.manifest = Manifest.new(self.encoder.spec if self.encoder else None)

        fulltext.mkdir(parents=True, exist_ok=True)
        ix = None
        try:
            if current is not None and _exists_in(self.index_dir):
                try:
                    ix = whoosh_compat.open_dir(fulltext)
                    committed = None if self.rebuild else ix.searcher()
                except Exception as exc:  # a missing or cut segment: adding to it would lose the rest
                    raise FullTextDamagedError(self.index_dir, damage_reason(exc)) from None
        except FullTextDamagedError:
            if not self.rebuild:
                raise
            ix = None  # a rebuild replaces what is lost; a healthy index stays visible until the commit
        if ix is None:
            ix = whoosh_index.create_in(str(fulltext), build_schema())
            committed = None if self.rebuild else ix.searcher()
        self._generation = ix.latest_generation()
        if not manifest.exists(self.index_dir) or current is None:
            manifest.save(self.index_dir, self.manifest)
        self._writer = self._fulltext_writer(ix)
        self._committed = committed
        self._stories = StoryUpdates(self.index_dir, ix.latest_generation(), fresh=self.rebuild or current is None)
        if self.encoder is not None:
            self.vectors = SegmentWriter(self.index_dir, self.manifest, self.encoder.dim, fresh=self.fresh_vectors,
                                         ann=self.settings.ann, exact_limit=self.settings.exact_limit,
                                         policy=self.settings.merge)

    def _fulltext_writer(self, ix: whoosh_index.Index) -> writing.IndexWriter:
        """Whoosh's writer, or its multi-process form for ``settings.procs`` > 1 (started before any embedding)."""
        if self.settings.procs > 1:
            return open_parallel_writer(ix, self.settings.procs, limitmb=FULLTEXT_POOL_MB)
        return ix.writer(limitmb=FULLTEXT_POOL_MB)

    def _encoder_for(self, spec: ModelSpec) -> Encoder:
        given = self._given_encoder
        if given is None:
            return encoder_for_spec(spec)
        if given.spec != spec:
            raise ModelMismatchError(f"{self.index_dir} was built with {spec.name!r} ({spec.dim} dims), "
                                     f"but the writer was given an encoder of {given.spec.name!r}")
        return given

    # -- writing ---------------------------------------------------------
    def embed(self, articles: Sequence[Article], vectors: Sequence[np.ndarray] | None = None) -> int:
        """Replace these articles' vectors; returns the number of passages stored.

        ``vectors`` (one matrix per article) are stored as given instead of
        encoding: benchmarks reuse vectors cached by :func:`embed_articles`.
        """
        if self.encoder is None or self.vectors is None or not articles:
            return 0
        rows = vectors if vectors is not None else embed_articles(self.encoder, articles, self.settings.passages)
        for article, matrix in zip(articles, rows, strict=True):
            self.vectors.remove([article.id])
            self.vectors.add(article.id, matrix, content_digest(article))
        return sum(len(matrix) for matrix in rows)

    def delete_vectors(self, ids: Iterable[str]) -> None:
        if self.vectors is not None:
            self.vectors.remove(ids)

    def add(self, articles: Sequence[Article], vectors: Sequence[np.ndarray] | None = None) -> int:
        """Add or replace these articles on both sides; returns the number of passages embedded."""
        # Whoosh spills postings to files as it goes: a full disk shows here
        with _worded_os_errors(layout.fulltext_dir(self.index_dir), NOTHING_WRITTEN):
            return self._add(articles, vectors)

    def _add(self, articles: Sequence[Article], vectors: Sequence[np.ndarray] | None) -> int:
        self._require_open()
        embedded = self.embed(articles, vectors)
        for article in articles:
            document = _document(article)
            if self.exists(article.id):
                self._writer.update_document(**document)
            else:
                self._writer.add_document(**document)
            self._written.add(article.id)
            self._deleted.discard(article.id)
            self._stories.added(article)
        return embedded

    def delete(self, ids: Iterable[str]) -> list[str]:
        """Withdraw articles from both sides; returns the ids that were not in the index."""
        self._require_open()
        missing = []
        wanted = list(dict.fromkeys(ids))
        for article_id in wanted:
            if not self.exists(article_id):
                missing.append(article_id)
                continue
            self._writer.delete_by_term("id", article_id)
            self._written.discard(article_id)
            self._deleted.add(article_id)
            self._stories.deleted(article_id)
        self.delete_vectors(wanted)
        return missing

    def commit(self) -> Manifest:
        """Make every change visible: vectors staged, full text committed, then the manifest switches.

        A write that fails (a full disk) says what state it left: before the
        full-text commit nothing of this run is visible; after it, the vector
        side is behind and ``hsearch verify --repair`` brings it level.
        """
        self._require_open()
        assert self._writer is not None and self.manifest is not None  # for the type checker: _require_open checked
        with _worded_os_errors(layout.fulltext_dir(self.index_dir), NOTHING_WRITTEN):
            generation, segments = self._stage_vectors()
            self._writer.commit(mergetype=writing.CLEAR if self.rebuild else None)
        self._writer = None
        with _worded_os_errors(self.index_dir, FULLTEXT_ONLY, Remedy("repair", str(self.index_dir))):
            ix = whoosh_compat.open_dir(layout.fulltext_dir(self.index_dir))
            articles = ix.doc_count()
            # derived (verify --repair redoes it); an older format's sidecars are brought up to date here
            bm25_sidecar.write_missing(layout.fulltext_dir(self.index_dir), ix, rebuild_outdated=True)
            self.manifest = self.manifest.touched(
                articles=articles,
                passages=sum(segment.live_passages for segment in segments),
                ann=max(segments, key=lambda s: s.live_passages).ann if segments else "flat",
                vector_generation=generation,
                segments=segments,
                fulltext_generation=ix.latest_generation(),
            )
            manifest.save(self.index_dir, self.manifest)  # the commit point: both sides switch here
        # files only older commits named (merged segments, older tombstones); readers that mapped them keep them
        vector_segments.retire(self.index_dir, self.manifest)
        if self.vectors is not None:
            self.vectors.committed(segments)
        self._write_derived(ix)
        return self.manifest

    def _write_derived(self, ix: whoosh_index.Index) -> None:
        """Tables derived from the committed full text, written after the manifest's switch.

        Each is rebuilt when missing or older than the full text, so a crash
        here costs a rebuild, never an article; and it keeps the window
        between the full-text commit and the switch (where a killed writer
        leaves the vector side behind) as short as it can be.
        """
        with _worded_os_errors(self.index_dir, DERIVED_BEHIND, Remedy("repair", str(self.index_dir))):
            keytable.update(self.index_dir, ix)
            self._stories.commit(ix)
            if self.manifest is not None and self.manifest.model is not None:  # segments an older build wrote
                vector_segments.write_missing_rows(self.index_dir, self.manifest)

    def _stage_vectors(self) -> tuple[int, tuple[manifest.SegmentRef, ...]]:
        """Write this writer's vector segment, tombstones and merges, named by no manifest yet.

        Returns the commit's vector generation and its live segments; a
        full-text-only index keeps generation and segments as they are (none).
        """
        assert self.manifest is not None
        if self.vectors is None:
            return self.manifest.vector_generation, ()
        generation = self.manifest.vector_generation + 1
        return generation, self.vectors.stage(generation)
    def drop_orphan_vectors(self) -> int:
        """Drop the vectors of articles the full text does not hold; returns how many rows went.

        Only a crash between the two commits leaves them (a rebuild's first commit
        cleared the full text, the vector file is still the old one): a build run
        again over such an index must not carry them on.  Reads the id terms only.
        """
        if self.vectors is None or self._committed is None:
            return 0
        held = {term.decode("utf-8") for term in self._committed.reader().lexicon("id")}
        orphans = self.vectors.article_ids() - held
        return self.vectors.remove(orphans) if orphans else 0

    def checkpoint(self) -> Manifest:
        """Commit everything written so far and keep writing: what a long build must not lose."""
        committed = self.commit()
        self.rebuild = False  # the clearing commit of a rebuild is done; later ones add to it
        self._writer = self._fulltext_writer(whoosh_compat.open_dir(layout.fulltext_dir(self.index_dir)))
        return committed

    def unchanged(self, article: Article) -> bool:
        """Whether the committed index already holds exactly this article, on both sides.

        Every stored field must match (a new date or source is a change even
        when the text is not) and the vectors must be of this text; such an
        article is kept as it is rather than embedded again.
        """
        if self._committed is None or article.id in self._written or article.id in self._deleted:
            return False
        stored = self._committed.document(id=article.id)
        document = _document(article)
        if stored != document:
            return False
        return self.vectors is None or self.vectors.digest_of(article.id) == document["digest"]

    def fulltext_changed(self) -> bool:
        """Whether a full-text commit happened since this writer opened (asked after an interruption)."""
        try:
            return bool(whoosh_compat.open_dir(layout.fulltext_dir(self.index_dir)).latest_generation()
                        != self._generation)
        except Exception:  # noqa: BLE001 - cannot tell: say the safe thing
            return True

    def exists(self, article_id: str) -> bool:
        """Whether the index holds this id, counting this writer's own changes."""
        if article_id in self._written:
            return True
        if article_id in self._deleted or self._committed is None:
            return False
        return self._committed.document_number(id=article_id) is not None


#: Whoosh's in-memory posting pool per writer process before it spills sorted runs to disk.
FULLTEXT_POOL_MB = 256
UNCHANGED = UNWRITABLE_ADVICE
NOTHING_WRITTEN = "Nothing of this run was written; the index is as it was before it."
FULLTEXT_ONLY = "The full text of this run was committed, the vector side was not; once the cause is fixed, repair it"
DERIVED_BEHIND = ("Every article of this run was committed; the derived tables (romanization keys, story clusters) "
                  "were not")


def _exists_in(index_dir: Path) -> bool:
    try:
        return bool(whoosh_index.exists_in(str(layout.fulltext_dir(index_dir))))
    except Exception as exc:  # noqa: BLE001 - a TOC file that is not Whoosh's
        raise FullTextDamagedError(index_dir, damage_reason(exc)) from None


def _check_writable(index_dir: Path) -> None:
    """Before anything is written: every folder a commit writes into must take new files.

    The lock file alone proves little (it may be writable inside a read-only
    or immutable folder); a commit that fails half-way is worse than none.
    """
    for folder in (index_dir, layout.fulltext_dir(index_dir), layout.vectors_dir(index_dir)):
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            try:  # access() says no without saying why; a probe gets the errno
                probe = folder / f".hsearch-probe-{os.getpid()}"
                probe.touch()
                probe.unlink()
            except OSError as exc:
                raise IndexWriteError(str(folder), os_error_reason(exc), UNCHANGED) from None
            raise IndexWriteError(str(folder), "permission denied", UNCHANGED)


def _model_matches(current: Manifest, requested: str) -> bool:
    if current.model is None:
        return requested == NO_MODEL
    return requested != NO_MODEL and same_model(current.model, requested)


def _document(article: Article) -> dict[str, object]:
    document: dict[str, object] = {
        "id": article.id, "title": article.title, "body": article.body,
        "url": article.url, "digest": content_digest(article),
    }
    if article.date is not None:
        document["date"] = article.date
    if article.source:
        document["source"] = article.source
    if article.category:
        document["category"] = article.category
    return document


@dataclass(frozen=True)
class IndexRun:
    """How one indexing run reads its sources and commits: the options of ``hsearch index``.

    ``strict`` fails the run at the first bad record (before anything is
    written); ``rebuild`` starts the index afresh; ``wait`` queues behind
    another writer instead of failing; ``commits`` says when a long run
    commits; ``csv_delimiter`` fixes the CSV separator (default: each file's
    header line decides).
    """

    strict: bool = False
    rebuild: bool = False
    wait: bool = False
    commits: CommitPolicy = CommitPolicy()
    csv_delimiter: str | None = None


def index_paths(index_dir: Path, paths: Sequence[Path], settings: IndexSettings = IndexSettings(),
                run: IndexRun = IndexRun(), *, encoder: Encoder | None = None,
                embedder: Callable[[Encoder], Embedder] | None = None,
                progress: Callable[[int], Callable[[int], None]] | None = None,
                report: IndexReport | None = None, on_wait: OnWait | None = None) -> IndexReport:
    """Read ``paths`` and add every good article to the index at ``index_dir``.

    The sources are read twice, and never held in memory (standard input is):
    first every record is checked and each id's last copy noted (a later line
    corrects an earlier one), so ``strict`` failures and unreadable paths
    leave the index exactly as it was; then the articles stream into the
    writer in batches.  Articles the index already holds unchanged are
    skipped; the rest are committed as ``run.commits`` says, so a killed build
    keeps what it committed and the same call resumes it.
    ``embedder(encoder)`` makes the vectors (default: :class:`LocalEmbedder`;
    the Ray one for a cluster).  ``progress(total)`` returns a callback
    advanced by articles done (written, or found unchanged and skipped);
    ``report``, when given, is filled in as the build goes.
    """
    report = report if report is not None else IndexReport()
    try:
        sources = RunSources(paths, run)
        latest = sources.survey(report.ingest)
    except KeyboardInterrupt:  # still reading: the index was not opened
        raise IndexInterrupted(index_dir, committed=False) from None
    if not latest:
        where = ", ".join(str(p) for p in paths)
        reasons = "".join(f"\n  {issue}" for issue in report.ingest.issues[:5])
        more = f"\n  … and {len(report.ingest.issues) - 5} more" if len(report.ingest.issues) > 5 else ""
        skipped = counted(report.ingest.skipped, "record") + (
            f" and {counted(report.ingest.files_skipped, 'file')}" if report.ingest.files_skipped else "")
        raise InputError(f"{where}: no articles to index ({skipped} skipped){reasons}{more}")
    with _interruptible(IndexWriter(index_dir, settings, rebuild=run.rebuild, wait=run.wait, encoder=encoder,
                                    on_wait=on_wait), report) as writer:
        report.stale_lock_pid = writer.stale_lock_pid
        writer.drop_orphan_vectors()
        chrome = Boilerplate() if run.rebuild else Boilerplate.load(index_dir)
        advance = progress(len(latest)) if progress else None
        size = min(settings.batch_size, run.commits.every_articles or settings.batch_size)  # commits at batch ends
        batches = _changed_batches(writer, sources.latest(latest), chrome, size, report, advance)
        _write_batches(writer, batches, report, run.commits, embedder, advance)
        report.total_articles = writer.commit().articles
        report.commits += 1
        report.committed = report.added + report.replaced
        chrome.save(index_dir)  # derived: a table lost to a crash only forgets lines it had counted
    return report


class RunSources:
    """The paths of one run, read once to check them and once to write (standard input is kept in memory).

    ``survey`` reads and checks every record; ``latest`` then yields each id's
    last copy (a later line corrects an earlier one).
    """

    def __init__(self, paths: Sequence[Path], run: IndexRun) -> None:
        self.paths = [Path(p) for p in paths]
        self.run = run
        self._kept: list[Article] | None = None

    def _read(self, report: IngestReport) -> Iterator[Article]:
        if self._kept is not None:
            return iter(self._kept)
        articles = read_articles(self.paths, report, strict=self.run.strict, csv_delimiter=self.run.csv_delimiter)
        if STDIN in self.paths:  # read once: keep it
            self._kept = list(articles)
            return iter(self._kept)
        return articles

    def survey(self, report: IngestReport) -> dict[str, int]:
        """Each id's position in the sources' order of its last copy; every problem (and repeated id) reported."""
        latest: dict[str, tuple[int, str]] = {}
        for position, article in enumerate(self._read(report)):
            earlier = latest.get(article.id)
            if earlier is not None:
                path, _, line = article.origin.rpartition(":")
                report.issues.append(IngestIssue(
                    path or article.origin, int(line) if line.isdigit() else None,
                    f"duplicate id {article.id!r} (also at {earlier[1]}); the later one wins",
                ))
            latest[article.id] = (position, article.origin)
        return {article_id: position for article_id, (position, _) in latest.items()}

    def latest(self, positions: dict[str, int]) -> Iterator[Article]:
        """The articles again, each id's last copy only (what :meth:`survey` reported is not reported again)."""
        for position, article in enumerate(self._read(IngestReport())):
            if positions.get(article.id) == position:
                yield article


def _changed_batches(writer: IndexWriter, articles: Iterable[Article], chrome: Boilerplate, size: int,
                     report: IndexReport, advance: Callable[[int], None] | None) -> Iterator[list[Article]]:
    """Batches of ``size`` articles the index does not already hold as they are, counted as added or replaced.

    The site chrome of each batch is found before it is embedded (``chrome.prepare``)."""
    batch: list[Article] = []
    for article in articles:
        if writer.unchanged(article):
            report.unchanged += 1
            if advance:
                advance(1)
            continue
        if writer.exists(article.id):
            report.replaced += 1
        else:
            report.added += 1
        batch.append(article)
        if len(batch) >= size:
            yield chrome.prepare(batch)  # lines the sources repeat stay out of passages and shingles
            batch = []
    if batch:
        yield chrome.prepare(batch)


def _write_batches(writer: IndexWriter, batches: Iterable[Sequence[Article]], report: IndexReport,
                   commits: CommitPolicy, make_embedder: Callable[[Encoder], Embedder] | None,
                   advance: Callable[[int], None] | None) -> None:
    """Embed and write ``batches`` in order, committing whenever ``commits`` says one is due.

    The embedder may run ahead of the writer (Ray keeps batches in flight); the
    batches it has taken and the writer has not are all that is held.
    """
    to_write, to_embed = itertools.tee(batches)
    if writer.encoder is None:
        vectors: Iterator[Sequence[np.ndarray] | None] = itertools.repeat(None)
        embedder: Embedder | None = None
    else:
        embedder = (make_embedder or _local_embedder(writer.settings))(writer.encoder)
        vectors = embedder.embed_batches(to_embed)
    checkpoints = Checkpoints(commits)
    written = 0
    try:
        for (batch, last), rows in zip(_marking_last(to_write), vectors):
            report.passages += writer.add(batch, rows)
            written += len(batch)
            if advance:
                advance(len(batch))
            if checkpoints.wrote(len(batch)) and not last:  # the last commit follows anyway
                started = time.monotonic()
                writer.checkpoint()
                checkpoints.committed(time.monotonic() - started)
                report.commits += 1
                report.committed = written
    finally:
        if embedder is not None:
            embedder.close()


def _marking_last(items: Iterable[T]) -> Iterator[tuple[T, bool]]:
    """Each item and whether it is the last (one item of look-ahead)."""
    iterator = iter(items)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True


def _local_embedder(settings: IndexSettings) -> Callable[[Encoder], Embedder]:
    return lambda encoder: LocalEmbedder(encoder, settings.passages)


def delete_ids(index_dir: Path, ids: Sequence[str], *, wait: bool = False,
               on_wait: OnWait | None = None) -> tuple[list[str], Manifest]:
    """Withdraw articles by id from both sides; returns the ids not found and the new manifest."""
    manifest.load(index_dir)  # a clear error when there is no index
    with _interruptible(IndexWriter(index_dir, IndexSettings(), wait=wait, on_wait=on_wait)) as writer:
        missing = writer.delete(ids)
        return missing, writer.commit()



@contextmanager
def _interruptible(writer: IndexWriter, report: IndexReport | None = None) -> Iterator[IndexWriter]:
    """Ctrl-C inside a write becomes :class:`IndexInterrupted`, which says what of the run went in."""
    try:
        with writer:
            try:
                yield writer
            except KeyboardInterrupt:
                checkpointed = report.committed if report is not None and report.commits else 0
                raise IndexInterrupted(writer.index_dir, committed=writer.fulltext_changed(),
                                       checkpointed=checkpointed) from None
    except KeyboardInterrupt:  # while waiting for the lock or opening: nothing was written
        raise IndexInterrupted(writer.index_dir, committed=False) from None


@contextmanager
def _worded_os_errors(where: Path, state: str, remedy: Remedy | None = None) -> Iterator[None]:
    """An OSError inside becomes one :class:`IndexWriteError`: the path (else ``where``), why, ``state`` and the remedy."""
    try:
        yield
    except OSError as exc:
        raise IndexWriteError(str(exc.filename or where), os_error_reason(exc), state, remedy=remedy) from None
    except SubProcessFailed as exc:
        raise IndexWriteError(str(where), exc.reason, state, remedy=remedy) from None
