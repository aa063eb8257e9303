"""A sharded index: N complete hsearch indexes under one folder, articles routed by a stable hash of their id.

Layout (names owned by :mod:`hsearch.index.layout`)::

    INDEX/shards.json        the top-level manifest: shard names, model, analyzer, schema, counts
    INDEX/shards/000/ ...    each shard a complete index (both sides, its own segments and derived data)
    INDEX/stories.npz        derived: one story table over every shard (copies on different shards fold)
    INDEX/collection.npz     derived: BM25's collection statistics summed over the shards
    INDEX/write.lock         one writer for the whole set

An article lives on shard ``hash64(id) % N`` (:func:`shard_of`), so a
replacement or a delete reaches the one shard that holds it.  Each shard is
written through :class:`~hsearch.index.writer.IndexWriter`'s public API and
commits on its own; the derived tables of the set are written after the
shards' commits, under the set's lock.  A crash in between leaves them behind
the shards: the story table is then rebuilt from the shards' stored articles at
the next write (its generation is the sum of the shards' Whoosh generations),
and ``hsearch verify --repair`` rewrites both.

A shard whose manifest names another model, analyzer or schema than the set's
is refused (:class:`ShardMismatchError`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from . import layout, manifest, vector_segments, whoosh_compat
from .analysis import ANALYZER_VERSION
from .articles import Article
from .atomic import atomic_write_text
from .checkpoints import CommitPolicy
from .collection import CollectionTable
from .passage_vectors import Embedder
from .encoders import Encoder, encoder_for_name, encoder_for_spec, same_model
from .errors import (HsearchError, IndexNotFoundError, IndexVersionError, InputError, ModelMismatchError, Remedy,
                     SettingsError)
from .hashing import hash64
from .health import HealthReport
from .lock import OnWait, WriteLock
from .model_spec import ModelSpec
from .schema import SCHEMA_VERSION
from .settings import DEFAULT_MODEL, NO_MODEL, IndexSettings
from .stories import StoryClusters, StoryUpdates
from .writer import IndexReport, IndexRun, IndexWriter, RunSources

SHARDS_FORMAT = 1
MAX_SHARDS = 1024


class ShardMismatchError(IndexVersionError):
    """A shard built with another model, analyzer or schema than its set says."""


def shard_of(article_id: str, count: int) -> int:
    """The shard that holds ``article_id``: stable across processes, machines and Python versions."""
    return hash64(article_id.encode("utf-8")) % count


def shard_name(number: int) -> str:
    return f"{number:03d}"


@dataclass(frozen=True)
class ShardSet:
    """The top-level manifest of a sharded index."""

    format_version: int
    names: tuple[str, ...]
    model: ModelSpec | None
    analyzer_version: str
    schema_version: int
    created: str
    updated: str
    articles: int = 0
    passages: int = 0

    @property
    def count(self) -> int:
        return len(self.names)

    def dirs(self, index_dir: Path) -> list[Path]:
        return [layout.shard_dir(index_dir, name) for name in self.names]

    def owner(self, article_id: str) -> int:
        return shard_of(article_id, self.count)

    @classmethod
    def new(cls, count: int, model: ModelSpec | None) -> ShardSet:
        now = _now()
        return cls(SHARDS_FORMAT, tuple(shard_name(i) for i in range(count)), model, ANALYZER_VERSION,
                   SCHEMA_VERSION, now, now)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


is_sharded = layout.is_sharded  # the shard set's callers ask it here


def load(index_dir: Path) -> ShardSet:
    path = layout.shards_manifest_path(index_dir)
    if not path.is_file():
        raise IndexNotFoundError(f"no sharded hsearch index at {index_dir}", remedy=Remedy("build", str(index_dir)))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = data.pop("model")
        data["names"] = tuple(data["names"])
        built = ShardSet(model=ModelSpec(**model) if model else None, **data)
    except (ValueError, TypeError, KeyError) as exc:
        raise IndexVersionError(f"{path} is unreadable ({exc}); the index was made by another version of hsearch "
                                "or damaged", remedy=Remedy("rebuild", str(index_dir))) from None
    if built.format_version != SHARDS_FORMAT or built.analyzer_version != ANALYZER_VERSION \
            or built.schema_version != SCHEMA_VERSION:
        raise IndexVersionError(f"{index_dir} was built by another version of hsearch (shards format "
                                f"{built.format_version}, analyzer {built.analyzer_version}, schema "
                                f"{built.schema_version})", remedy=Remedy("rebuild", str(index_dir)))
    return built


def save(index_dir: Path, built: ShardSet) -> None:
    data = asdict(built)
    data["names"] = list(built.names)
    atomic_write_text(layout.shards_manifest_path(index_dir), json.dumps(data, ensure_ascii=False, indent=2))


def check_shards(index_dir: Path, built: ShardSet, *, present: bool = True) -> None:
    """Refuse a shard whose manifest does not match the set's model, analyzer and schema.

    ``present`` also requires every shard to exist (a reader); a writer creates missing ones.
    """
    for name, folder in zip(built.names, built.dirs(index_dir), strict=True):
        if not manifest.exists(folder):
            if present:
                raise IndexNotFoundError(f"shard {name} of {index_dir} is missing ({folder})",
                                         remedy=Remedy("rebuild", str(index_dir)))
            continue
        shard = manifest.load(folder)
        theirs = (shard.model, shard.analyzer_version, shard.schema_version)
        ours = (built.model, built.analyzer_version, built.schema_version)
        if theirs != ours:
            model = shard.model.name if shard.model else NO_MODEL
            wanted = built.model.name if built.model else NO_MODEL
            raise ShardMismatchError(
                f"shard {name} of {index_dir} was built with model {model!r}, analyzer {shard.analyzer_version}, "
                f"schema {shard.schema_version}; the set says model {wanted!r}, analyzer {built.analyzer_version}, "
                f"schema {built.schema_version}", remedy=Remedy("rebuild", str(index_dir)))


# -- the shards' full text as one, for the story table ---------------------------------
class _ShardsSearcher:
    """What :class:`StoryUpdates` reads of a Whoosh searcher, over every shard (routed by id)."""

    def __init__(self, searchers: list[Any]) -> None:
        self._searchers = searchers

    def document(self, *, id: str) -> dict[str, Any] | None:  # noqa: A002 - Whoosh's keyword
        return self._searchers[shard_of(id, len(self._searchers))].document(id=id)

    def all_stored_fields(self) -> Iterator[dict[str, Any]]:
        for searcher in self._searchers:
            yield from searcher.all_stored_fields()


class _ShardsFullText:
    """The shards' Whoosh indexes as the one index :class:`StoryUpdates` commits against."""

    def __init__(self, index_dir: Path, built: ShardSet) -> None:
        self._indexes = [whoosh_compat.open_dir(layout.fulltext_dir(d)) for d in built.dirs(index_dir)]

    def latest_generation(self) -> int:
        return sum(ix.latest_generation() for ix in self._indexes)

    @contextmanager
    def searcher(self) -> Iterator[_ShardsSearcher]:
        with ExitStack() as stack:
            yield _ShardsSearcher([stack.enter_context(ix.searcher()) for ix in self._indexes])


def combined_generation(index_dir: Path, built: ShardSet) -> int | None:
    """The sum of the shards' Whoosh generations: it grows with every commit of any shard."""
    try:
        return _ShardsFullText(index_dir, built).latest_generation()
    except Exception:  # noqa: BLE001 - a shard not written yet: nothing derived can be current
        return None


def write_derived(index_dir: Path, built: ShardSet, stories: StoryUpdates | None = None) -> None:
    """The set's story table and collection statistics, from the shards as committed now."""
    fulltext = _ShardsFullText(index_dir, built)
    if stories is None:  # a repair: no stored table matches generation -1, so it is rebuilt from the shards
        stories = StoryUpdates(index_dir, -1)
    stories.commit(fulltext)
    write_collection(index_dir, built)


def write_collection(index_dir: Path, built: ShardSet) -> CollectionTable:
    indexes = [whoosh_compat.open_dir(layout.fulltext_dir(d)) for d in built.dirs(index_dir)]
    with ExitStack() as stack:
        readers = [stack.enter_context(ix.reader()) for ix in indexes]
        generations = [ix.latest_generation() for ix in indexes]
        table = CollectionTable.from_readers(readers, {"generations": generations})
    table.save(layout.collection_path(index_dir))
    return table


# -- writing -----------------------------------------------------------------------------
@dataclass
class _Run:
    """What one sharded write needs of its caller."""

    settings: IndexSettings
    rebuild: bool = False
    encoder: Encoder | None = None
    commits: CommitPolicy = CommitPolicy()
    embedder: Callable[[Encoder], Embedder] | None = None
    advance: Callable[[int], None] | None = None


def index_sharded(index_dir: Path, paths: Sequence[Path], settings: IndexSettings = IndexSettings(),
                  run: IndexRun = IndexRun(), *, shards: int | None = None, encoder: Encoder | None = None,
                  embedder: Callable[[Encoder], Embedder] | None = None,
                  progress: Callable[[int], Callable[[int], None]] | None = None,
                  report: IndexReport | None = None, on_wait: OnWait | None = None) -> IndexReport:
    """:func:`hsearch.index.writer.index_paths` for a sharded index (created with ``shards`` when new).

    The articles of one run are held in memory while they are routed to their shards."""
    report = report if report is not None else IndexReport()
    sources = RunSources(paths, run)
    articles = list(sources.latest(sources.survey(report.ingest)))
    rebuild, wait, commits = run.rebuild, run.wait, run.commits
    if not articles:
        where = ", ".join(str(p) for p in paths)
        raise InputError(f"{where}: no articles to index ({report.ingest.skipped} records skipped)")
    advance = progress(len(articles)) if progress else None
    job = _Run(settings, rebuild, encoder, commits, embedder, advance)
    with WriteLock(Path(index_dir), wait=wait, on_wait=on_wait) as lock:
        report.stale_lock_pid = lock.stale_pid
        built, job.encoder = _open_set(Path(index_dir), shards, settings, encoder, rebuild)
        _write(Path(index_dir), built, articles, [], job, report)
    return report


def delete_sharded(index_dir: Path, ids: Sequence[str], *, wait: bool = False,
                   on_wait: OnWait | None = None) -> tuple[list[str], ShardSet]:
    """Withdraw articles by id from the shards that hold them; returns the ids not found and the new set."""
    index_dir = Path(index_dir)
    with WriteLock(index_dir, wait=wait, on_wait=on_wait):
        built = load(index_dir)
        check_shards(index_dir, built)
        report = IndexReport()
        missing = _write(index_dir, built, [], list(dict.fromkeys(ids)), _Run(IndexSettings()), report)
        return missing, load(index_dir)


def split_index(source: Path, target: Path, count: int, *, wait: bool = False,
                on_wait: OnWait | None = None) -> IndexReport:
    """A new sharded index at ``target`` holding every article of the single index at ``source``.

    Articles are read back from the full text's stored fields in document
    order and written with their stored vectors (nothing is embedded again);
    the story table is the source's own, so stories stay as they were.
    """
    source, target = Path(source), Path(target)
    built_source = manifest.load(source)
    if is_sharded(target) or manifest.exists(target):
        raise SettingsError(f"{target} already holds an index; split into a new folder", params=("index",))
    ix = whoosh_compat.open_dir(layout.fulltext_dir(source))
    with ix.searcher() as searcher:
        records = list(searcher.all_stored_fields())
    articles = [Article(r["id"], r.get("title", ""), r.get("body", ""), r.get("date"), r.get("source", ""),
                        r.get("url", ""), r.get("category", ""), origin=f"{source}") for r in records]
    store = vector_segments.open_store(source, built_source) if built_source.model is not None else None
    vectors = {a.id: store.vectors_of(a.id) for a in articles} if store is not None else None
    report = IndexReport()
    clusters = StoryClusters.load(layout.stories_path(source))
    with WriteLock(target, wait=wait, on_wait=on_wait):
        built, encoder = _open_set(target, count, IndexSettings(model=_model_name(built_source.model)), None,
                                   rebuild=False, spec=built_source.model)
        run = _Run(IndexSettings(ann=built_source.ann if built_source.ann != "flat" else "auto"), encoder=encoder)
        _write(target, built, articles, [], run, report, vectors=vectors, clusters=clusters)
    return report


def _model_name(spec: ModelSpec | None) -> str:
    return spec.name if spec is not None else NO_MODEL


def _open_set(index_dir: Path, shards: int | None, settings: IndexSettings, encoder: Encoder | None,
              rebuild: bool, spec: ModelSpec | None = None) -> tuple[ShardSet, Encoder | None]:
    """The set to write (created when new) and the one encoder its shards share."""
    if shards is not None and not 1 <= shards <= MAX_SHARDS:
        raise SettingsError(f"{{shards}} must be between 1 and {MAX_SHARDS}", params=("shards",))
    if is_sharded(index_dir):
        built = load(index_dir)
        if shards is not None and shards != built.count:
            raise SettingsError(f"{index_dir} has {built.count} shards, not {shards}; index without {{shards}} to "
                                "add to it, or split its articles into a new folder", params=("shards",))
        requested = settings.model
        if requested is not None and not rebuild and not _model_matches(built.model, requested):
            raise ModelMismatchError(f"{index_dir} was built with model {_model_name(built.model)!r}, not "
                                     f"{requested!r}", advice="Index without {model} to keep its model",
                                     params=("model",))
        check_shards(index_dir, built, present=False)
        if built.model is None:
            return built, None
        return built, encoder if encoder is not None else encoder_for_spec(built.model)
    if manifest.exists(index_dir):
        raise SettingsError(f"{index_dir} holds a single index; split it into a new folder to shard it",
                            params=("shards",))
    if shards is None:
        raise IndexNotFoundError(f"no hsearch index at {index_dir}", remedy=Remedy("build", str(index_dir)))
    name = settings.model or DEFAULT_MODEL
    if name == NO_MODEL:
        chosen = None
    elif encoder is not None:
        chosen = encoder
    elif spec is not None:
        chosen = encoder_for_spec(spec)
    else:
        chosen = encoder_for_name(name)
    built = ShardSet.new(shards, chosen.spec if chosen is not None else None)
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    save(index_dir, built)
    return built, chosen


def _model_matches(built: ModelSpec | None, requested: str) -> bool:
    if built is None:
        return requested == NO_MODEL
    return requested != NO_MODEL and same_model(built, requested)


def _write(index_dir: Path, built: ShardSet, articles: Sequence[Article], deletes: Sequence[str], run: _Run,
           report: IndexReport, *, vectors: dict[str, np.ndarray] | None = None,
           clusters: StoryClusters | None = None) -> list[str]:
    """Write each shard's part and commit it, then the set's derived tables and manifest; returns missing ids."""
    before = combined_generation(index_dir, built)
    fresh = run.rebuild or before is None
    stories = StoryUpdates(index_dir, before, fresh=fresh)
    routed: list[list[Article]] = [[] for _ in built.names]
    for article in articles:
        routed[built.owner(article.id)].append(article)
    removed: list[list[str]] = [[] for _ in built.names]
    for article_id in deletes:
        removed[built.owner(article_id)].append(article_id)
    changed: set[str] = set()
    missing: list[str] = []
    embedder = run.embedder(run.encoder) if run.embedder is not None and run.encoder is not None else None
    try:
        for folder, part, gone in zip(built.dirs(index_dir), routed, removed, strict=True):
            if not part and not gone and manifest.exists(folder) and not run.rebuild:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            with IndexWriter(folder, replace(run.settings, model=_model_name(built.model)), rebuild=run.rebuild,
                             encoder=run.encoder) as writer:
                writer.drop_orphan_vectors()
                missing += writer.delete(gone) if gone else []
                todo = [a for a in part if not writer.unchanged(a)]
                report.unchanged += len(part) - len(todo)
                report.replaced += sum(1 for a in todo if writer.exists(a.id))
                report.added += sum(1 for a in todo if not writer.exists(a.id))
                if run.advance and len(part) > len(todo):
                    run.advance(len(part) - len(todo))
                _write_shard(writer, todo, run, report, embedder, vectors)
                changed.update(a.id for a in todo)
                writer.commit()
                report.commits += 1
    finally:
        if embedder is not None:
            embedder.close()
    for article_id in deletes:
        if article_id not in missing:
            stories.deleted(article_id)
    for article in articles:  # in input order, as one index places them
        if article.id in changed and clusters is None:
            stories.added(article)
    write_derived(index_dir, built, stories)
    if clusters is not None:  # a split keeps its source's stories as they were
        clusters.save(layout.stories_path(index_dir), _ShardsFullText(index_dir, built).latest_generation())
    totals = [manifest.load(d) for d in built.dirs(index_dir)]
    save(index_dir, replace(built, updated=_now(), articles=sum(m.articles for m in totals),
                            passages=sum(m.passages for m in totals)))
    report.total_articles = sum(m.articles for m in totals)
    report.committed = len(changed)
    return missing


def _write_shard(writer: IndexWriter, todo: Sequence[Article], run: _Run, report: IndexReport,
                 embedder: Embedder | None, vectors: dict[str, np.ndarray] | None) -> None:
    size = min(run.settings.batch_size, run.commits.every_articles or run.settings.batch_size)
    batches = [list(todo[start:start + size]) for start in range(0, len(todo), size)]
    if vectors is not None and writer.encoder is not None:
        rows: Iterable[Sequence[np.ndarray] | None] = ([vectors[a.id] for a in batch] for batch in batches)
    elif embedder is not None and writer.encoder is not None:
        rows = embedder.embed_batches(batches)
    else:
        rows = (None for _ in batches)
    written = 0
    for batch, matrices in zip(batches, rows, strict=True):
        report.passages += writer.add(batch, matrices)
        written += len(batch)
        if run.advance:
            run.advance(len(batch))
        every = run.commits.every_articles
        if every and written % every == 0 and written < len(todo):
            writer.checkpoint()
            report.commits += 1


# -- reading: statistics and health over every shard ------------------------------------------
def statistics(index_dir: Path, *, facet_limit: int | None = None) -> dict[str, object]:
    """``hsearch stats`` of a sharded index: each shard's figures summed, and each shard's own."""
    from .statistics import index_statistics

    built = load(index_dir)
    check_shards(index_dir, built)
    parts = [index_statistics(d) for d in built.dirs(index_dir)]
    info: dict[str, object] = {
        "index": str(index_dir), "articles": sum(int(p["articles"]) for p in parts),  # type: ignore[call-overload]
        "passages": sum(int(p["passages"]) for p in parts),  # type: ignore[call-overload]
    }
    for key in ("model", "vector_search", "analyzer", "format"):
        info[key] = parts[0][key]
    info["created"] = built.created
    info["updated"] = max(str(p["updated"]) for p in parts)
    info["dates"] = _merged_dates([p["dates"] for p in parts])  # type: ignore[misc]
    for key in ("sources", "categories"):
        counts: dict[str, int] = {}
        for part in parts:
            for entry in part[key]:  # type: ignore[attr-defined]
                counts[entry["value"]] = counts.get(entry["value"], 0) + int(entry["count"])
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))
        info[f"{key}_total"] = len(ordered)
        info[key] = [{"value": value, "count": count} for value, count in ordered[:facet_limit]]
    info["stories"] = _set_stories(index_dir, int(info["articles"]))  # type: ignore[call-overload]
    info["segments"] = {"fulltext": _summed_segments([p["segments"]["fulltext"] for p in parts]),  # type: ignore
                        "vectors": {**parts[0]["segments"]["vectors"],  # type: ignore[index]
                                    "passages": info["passages"]}}
    info["bytes"] = {key: sum(int(p["bytes"].get(key, 0)) for p in parts)  # type: ignore[attr-defined]
                     for key in parts[0]["bytes"]}  # type: ignore[union-attr]
    info["shards"] = [{"name": name, "articles": p["articles"], "passages": p["passages"], "updated": p["updated"]}
                      for name, p in zip(built.names, parts, strict=True)]
    return info


def statistics_of(index_dir: Path, *, facet_limit: int | None = None) -> dict[str, object]:
    """``hsearch stats`` of whatever index is at ``index_dir``: one index, or a sharded one."""
    from .statistics import index_statistics

    if is_sharded(index_dir):
        return statistics(index_dir, facet_limit=facet_limit)
    return index_statistics(index_dir) if facet_limit is None else index_statistics(index_dir, facet_limit=facet_limit)


def _merged_dates(parts: list[dict[str, Any]]) -> dict[str, Any]:
    firsts = [p["first"] for p in parts if p.get("first")]
    lasts = [p["last"] for p in parts if p.get("last")]
    merged = dict(parts[0])
    merged["first"] = min(firsts) if firsts else None
    merged["last"] = max(lasts) if lasts else None
    for key, value in parts[0].items():
        if isinstance(value, int) and key not in ("first", "last"):
            merged[key] = sum(int(p.get(key, 0)) for p in parts)
    return merged


def _summed_segments(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged = dict(parts[0])
    for key, value in parts[0].items():
        if isinstance(value, int):
            merged[key] = sum(int(p.get(key, 0)) for p in parts)
    return merged


def _set_stories(index_dir: Path, articles: int) -> dict[str, int]:
    """As one index counts them, over the set's story table (copies on different shards are one story)."""
    clusters = StoryClusters.load(layout.stories_path(index_dir))
    sizes = [len(ids) for ids in clusters.stories().values()] if clusters is not None else []
    stories = len(sizes) + max(0, articles - sum(sizes))
    return {"stories": stories, "with_copies": sum(1 for n in sizes if n > 1), "copies": articles - stories}


@dataclass
class SetHealth:
    """``hsearch verify`` of a sharded index: each shard's report, and the set's own problems."""

    shards: dict[str, HealthReport]
    problems: list[str]

    @property
    def healthy(self) -> bool:
        return not self.problems and all(r.healthy for r in self.shards.values())


def verify_set(index_dir: Path) -> SetHealth:
    from .health import verify
    from .stories import check as check_stories

    built = load(index_dir)
    check_shards(index_dir, built)
    reports = {name: verify(d) for name, d in zip(built.names, built.dirs(index_dir), strict=True)}
    problems: list[str] = []
    digests: dict[str, str] = {}
    for name, folder in zip(built.names, built.dirs(index_dir), strict=True):
        from .schema import read_article_digests

        for article_id, digest in read_article_digests(folder).items():
            if built.owner(article_id) != built.names.index(name):
                problems.append(f"article {article_id!r} is on shard {name}, not on the shard its id routes to")
            digests[article_id] = digest
    problems += [f"the set's {p}" for p in check_stories(index_dir, digests)]
    table = CollectionTable.load(layout.collection_path(index_dir))
    generations = [whoosh_compat.open_dir(layout.fulltext_dir(d)).latest_generation() for d in built.dirs(index_dir)]
    if table is None:
        problems.append(f"collection statistics {layout.COLLECTION_NAME} are missing or unreadable")
    elif table.meta.get("generations") != generations:
        problems.append(f"collection statistics {layout.COLLECTION_NAME} are older than the shards")
    return SetHealth(reports, problems)


def repair_set(index_dir: Path, *, wait: bool = False, on_wait: OnWait | None = None) -> SetHealth:
    """Repair every shard (``verify --repair``), then rewrite the set's derived tables."""
    from .health import repair

    built = load(index_dir)
    check_shards(index_dir, built)
    for folder in built.dirs(index_dir):
        repair(folder, wait=wait, on_wait=on_wait)
    with WriteLock(index_dir, wait=wait, on_wait=on_wait):
        write_derived(index_dir, built)
    return verify_set(index_dir)


def shard_health_words(health: SetHealth) -> list[str]:
    """One line per problem, each naming its shard."""
    lines = list(health.problems)
    for name, report in health.shards.items():
        lines += [f"shard {name}: {problem}" for problem in getattr(report, "problems", [])]
    return lines


__all__ = ["HsearchError", "ShardMismatchError", "ShardSet", "delete_sharded", "index_sharded", "is_sharded",
           "load", "shard_of", "split_index", "statistics", "verify_set"]
