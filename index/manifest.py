"""What an index was built with, written beside it and checked when it is opened."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from .atomic import atomic_write_text
from .errors import IndexNotFoundError, IndexVersionError, Remedy
from .layout import manifest_path
from .model_spec import ModelSpec
from .versions import ANALYZER_VERSION, SCHEMA_VERSION

FORMAT_VERSION = 3  # 3: vector segments with tombstones; 2: one generation folder per commit; 1: one vectors.npz
READABLE_FORMATS = (1, 2, 3)  # 1 and 2 are read as before and upgraded by the next write or verify --repair


@dataclass(frozen=True)
class SegmentRef:
    """One live vector segment as a commit sees it (:mod:`hsearch.index.vector_segments`).

    The segment's folder ``vectors/<name>`` never changes once written;
    ``deletes`` is the commit generation of its tombstone file
    ``vectors/<name>.del<deletes>.npy`` (0: none), a new small file per commit that deletes from it.
    """

    name: str
    articles: int  # rows of articles written in it, live or not
    passages: int
    deletes: int = 0
    deleted_articles: int = 0
    deleted_passages: int = 0
    ann: str = "flat"  # the search kind of this segment (vector_segments.segment_ann)

    @property
    def live_passages(self) -> int:
        return self.passages - self.deleted_passages

    @property
    def live_articles(self) -> int:
        return self.articles - self.deleted_articles


@dataclass(frozen=True)
class Manifest:
    """The index's own description; ``model`` is None for a full-text-only index."""

    format_version: int
    analyzer_version: str
    schema_version: int
    model: ModelSpec | None
    ann: str  # "flat" or "ivf": what the vector side currently is
    created: str
    updated: str
    articles: int = 0
    passages: int = 0
    # The commit counter of the vector side.  Format 2: the vectors/g<N> folder readers use (0: format 1's
    # vectors.npz).  Format 3: the generation of the last commit (names its segment and tombstone files).
    vector_generation: int = 0
    # Format 3: the live vector segments of this commit, oldest first; the manifest is the one commit point.
    segments: tuple[SegmentRef, ...] = ()
    # Whoosh's TOC generation the full text was committed at with this manifest (-1: not recorded, before
    # format 3): a reader opens the full text at exactly this generation and the vectors named above.
    fulltext_generation: int = -1

    @classmethod
    def new(cls, model: ModelSpec | None) -> Manifest:
        now = _now()
        return cls(FORMAT_VERSION, ANALYZER_VERSION, SCHEMA_VERSION, model, "flat", now, now)

    def touched(self, *, articles: int, passages: int, ann: str, vector_generation: int = 0,
                segments: tuple[SegmentRef, ...] = (), fulltext_generation: int = -1) -> Manifest:
        return replace(self, articles=articles, passages=passages, ann=ann, updated=_now(),
                       format_version=FORMAT_VERSION, vector_generation=vector_generation,
                       segments=tuple(segments), fulltext_generation=fulltext_generation)

    def check_compatible(self, index_dir: Path) -> None:
        """Refuse an index this hsearch would read wrongly, saying how to rebuild it."""
        built = {
            "format": (self.format_version, FORMAT_VERSION),
            "analyzer": (self.analyzer_version, ANALYZER_VERSION),
            "schema": (self.schema_version, SCHEMA_VERSION),
        }
        for what, (theirs, ours) in built.items():
            if theirs != ours and not (what == "format" and theirs in READABLE_FORMATS):
                raise IndexVersionError(
                    f"{index_dir} was built with {what} version {theirs}, but this hsearch uses {ours}",
                    remedy=Remedy("rebuild", str(index_dir)),
                )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def exists(index_dir: Path) -> bool:
    return manifest_path(index_dir).is_file()


def load(index_dir: Path) -> Manifest:
    path = manifest_path(index_dir)
    if not path.is_file():
        raise IndexNotFoundError(f"no hsearch index at {index_dir}", remedy=Remedy("build", str(index_dir)))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = data.pop("model")
        segments = tuple(SegmentRef(**segment) for segment in data.pop("segments", ()))
        manifest = Manifest(model=ModelSpec(**model) if model else None, segments=segments, **data)
    except (ValueError, TypeError, KeyError) as exc:
        raise IndexVersionError(
            f"{path} is unreadable ({exc}); the index was made by another version of hsearch or damaged",
            remedy=Remedy("rebuild", str(index_dir)),
        ) from None
    manifest.check_compatible(index_dir)
    return manifest


def save(index_dir: Path, manifest: Manifest) -> None:
    """Write atomically: readers see the old manifest or the new one, never half."""
    atomic_write_text(manifest_path(index_dir), json.dumps(asdict(manifest), ensure_ascii=False, indent=2))
