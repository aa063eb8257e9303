"""Check that the full-text and vector sides agree, and repair them (:mod:`.statistics` describes an index)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


from . import bm25_sidecar, keytable, layout, manifest, stories, vector_segments, whoosh_compat
from .articles import Article
from .encoders import Encoder
from .errors import FullTextDamagedError, IndexDamagedError, damage_reason
from .lock import OnWait
from .schema import read_article_digests
from .writer import IndexWriter
from .settings import IndexSettings
from .wording import counted


@dataclass
class HealthReport:
    """What differs between the two sides; empty lists mean they agree."""

    articles: int = 0
    passages: int = 0
    missing_vectors: list[str] = field(default_factory=list)  # in full text, no vectors
    stale_vectors: list[str] = field(default_factory=list)    # vectors of an older text
    orphan_vectors: list[str] = field(default_factory=list)   # vectors, no full text
    problems: list[str] = field(default_factory=list)         # parts that do not open, stale counts
    sidecar_problems: list[str] = field(default_factory=list)  # scoring sidecars to rebuild (also in problems)
    fulltext_unreadable: bool = False                         # nothing to repair from
    vectors_unreadable: bool = False                          # the vector file must be rebuilt whole
    vectors_outdated: bool = False                            # format 1's vectors.npz, to upgrade
    story_problems: list[str] = field(default_factory=list)   # stories.npz disagrees: rebuilt whole

    @property
    def healthy(self) -> bool:
        return not (self.missing_vectors or self.stale_vectors or self.orphan_vectors or self.problems)


def verify(index_dir: Path) -> HealthReport:
    """Open every part and compare the article sets and the text each vector was made from."""
    built = manifest.load(index_dir)
    report = HealthReport()
    try:
        texts = read_article_digests(index_dir)
    except Exception as exc:  # a damaged Whoosh index raises many kinds of errors
        report.problems.append(f"full-text index does not open: {damage_reason(exc)}")
        report.fulltext_unreadable = True
        return report
    report.articles = len(texts)
    ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
    report.sidecar_problems = bm25_sidecar.sidecar_problems(layout.fulltext_dir(index_dir), ix)
    report.problems += report.sidecar_problems
    _check_keys(index_dir, report)
    report.story_problems = stories.check(index_dir, texts)
    report.problems += report.story_problems
    if built.model is None:
        _check_counts(index_dir, built, report)
        return report
    try:
        store = vector_segments.open_store(index_dir, built)
    except IndexDamagedError as exc:  # a truncated or foreign file, a missing generation
        report.problems.append(exc.problem)  # the advice (run verify --repair) is verify's own
        report.vectors_unreadable = True
        return report
    report.passages = store.passage_count
    report.problems += vector_segments.rows_problems(index_dir, built)
    _check_counts(index_dir, built, report)
    if not built.vector_generation and layout.legacy_vectors_path(index_dir).exists():
        report.vectors_outdated = True
        report.problems.append(
            f"{layout.legacy_vectors_path(index_dir)} is in the format of hsearch before vector generations "
            "(read whole at every start); repairing the index converts it to memory-mapped files, keeping "
            "every vector"
        )
    vectors = store.article_digests()
    report.missing_vectors = sorted(set(texts) - set(vectors))
    report.orphan_vectors = sorted(set(vectors) - set(texts))
    report.stale_vectors = sorted(i for i in set(texts) & set(vectors) if texts[i] != vectors[i])
    return report


def _check_keys(index_dir: Path, report: HealthReport) -> None:
    """The romanized-key table is derived: stale or missing, it is rebuilt (queries build one in memory meanwhile)."""
    stored = keytable.read_stamp(index_dir)
    if stored != keytable.stamp_of(index_dir):
        state = "missing or unreadable" if stored is None else "out of date"
        report.problems.append(f"{layout.keys_path(index_dir)} (romanized query keys) is {state}; "
                               "queries rebuild it in memory until it is written again")


def _check_counts(index_dir: Path, built: manifest.Manifest, report: HealthReport) -> None:
    """A write killed after its data commits but before the manifest leaves the old counts there."""
    if (built.articles, built.passages) != (report.articles, report.passages):
        report.problems.append(
            f"{manifest.manifest_path(index_dir)} counts {counted(built.articles, 'article')} and "
            f"{counted(built.passages, 'passage')}, but the index holds {report.articles} and {report.passages} "
            "(a write was interrupted)"
        )


def repair(index_dir: Path, *, wait: bool = False, encoder: Encoder | None = None,
           on_wait: OnWait | None = None) -> tuple[HealthReport, HealthReport]:
    """Bring the vector side in line with the full text, which is the record of what was committed.

    Missing and stale articles are re-embedded from their stored text; orphan
    vectors are dropped; scoring sidecars that are missing, of another format
    or damaged are rebuilt from the segments' postings.  A vector file that does not open is rebuilt whole.
    The manifest is rewritten with the counts of what the index holds.
    Returns ``(before, after)``: what was wrong, and what :func:`verify` finds once repaired.
    """
    before = verify(index_dir)
    if before.fulltext_unreadable:
        raise FullTextDamagedError(index_dir, before.problems[0].removeprefix("full-text index does not open: "))
    if before.healthy:
        return before, before
    if before.story_problems:
        stories.remove_all(layout.stories_path(index_dir))  # derived: the commit below rebuilds it
    with IndexWriter(index_dir, IndexSettings(), wait=wait, fresh_vectors=before.vectors_unreadable,
                     encoder=encoder, on_wait=on_wait) as writer:
        writer.delete_vectors(before.orphan_vectors)
        redo = before.missing_vectors + before.stale_vectors
        if before.vectors_unreadable:
            redo = sorted(read_article_digests(index_dir))
        ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
        with ix.searcher() as searcher:
            for start in range(0, len(redo), 64):
                articles = []
                for article_id in redo[start:start + 64]:
                    stored = searcher.document(id=article_id)
                    if stored is not None:
                        articles.append(Article(id=article_id, title=stored.get("title", ""),
                                                body=stored.get("body", "")))
                writer.embed(articles)
        writer.commit()
        # derived from the full text, so rebuilt from it (still under the write lock)
        fulltext = layout.fulltext_dir(index_dir)
        bm25_sidecar.write_missing(fulltext, whoosh_compat.open_dir(fulltext), rebuild_broken=True)
        vector_segments.write_missing_rows(index_dir, manifest.load(index_dir), checksum=True)
    return before, verify(index_dir)
