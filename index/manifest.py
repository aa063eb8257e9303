"""What an index was built with, written beside it and checked when it is opened."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from .analysis import ANALYZER_VERSION
from .atomic import atomic_write_text
from .errors import IndexNotFoundError, IndexVersionError, Remedy
from .layout import manifest_path
from .model_spec import ModelSpec
from .schema import SCHEMA_VERSION

FORMAT_VERSION = 2  # 2: vectors in memory-mapped generation folders; 1: one vectors.npz
READABLE_FORMATS = (1, 2)  # format 1 is read as before and upgraded by the next write or verify --repair


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
    vector_generation: int = 0  # the vectors/g<N> folder readers use; 0: format 1's vectors.npz
    fulltext_generation: int = 0  # the Whoosh commit this manifest pairs with its vectors; 0: not recorded

    @classmethod
    def new(cls, model: ModelSpec | None) -> Manifest:
        now = _now()
        return cls(FORMAT_VERSION, ANALYZER_VERSION, SCHEMA_VERSION, model, "flat", now, now)

    def touched(self, *, articles: int, passages: int, ann: str, vector_generation: int = 0,
                fulltext_generation: int = 0) -> Manifest:
        return replace(self, articles=articles, passages=passages, ann=ann, updated=_now(),
                       format_version=FORMAT_VERSION, vector_generation=vector_generation,
                       fulltext_generation=fulltext_generation)

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
        manifest = Manifest(model=ModelSpec(**model) if model else None, **data)
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
