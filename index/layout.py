"""Where each part of an index lives inside its folder."""

from __future__ import annotations

import os
from pathlib import Path

from .manifest import MANIFEST_NAME
from .vectors import LEGACY_NAME

FULLTEXT_DIR = "fulltext"
VECTORS_DIR = "vectors"
INDEX_ENV = "HSEARCH_INDEX"


def default_index_dir() -> Path:
    """``$HSEARCH_INDEX``, else ``$XDG_DATA_HOME/hsearch/index`` (``~/.local/share/...``)."""
    explicit = os.environ.get(INDEX_ENV)
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "hsearch" / "index"


def fulltext_dir(index_dir: Path) -> Path:
    return index_dir / FULLTEXT_DIR


def vectors_dir(index_dir: Path) -> Path:
    """The folder of vector generations (:mod:`hsearch.index.vector_generations`)."""
    return index_dir / VECTORS_DIR


def vector_generation_dir(index_dir: Path, generation: int) -> Path:
    return vectors_dir(index_dir) / f"g{generation:06d}"


def legacy_vectors_path(index_dir: Path) -> Path:
    """Format 1: the whole vector side in one zip (still read; upgraded by any write)."""
    return index_dir / LEGACY_NAME


def vectors_path(index_dir: Path) -> Path:
    """The current generation's folder (the format-1 file for an index not yet upgraded)."""
    from . import manifest as manifest_io
    from .vector_generations import current_path

    if not manifest_io.exists(index_dir):
        return legacy_vectors_path(index_dir)
    return current_path(index_dir, manifest_io.load(index_dir))


def parts(index_dir: Path) -> dict[str, Path]:
    """Every file or folder hsearch keeps in an index folder, by role."""
    return {
        "manifest": index_dir / MANIFEST_NAME,
        "fulltext": fulltext_dir(index_dir),
        "vectors": vectors_path(index_dir),
    }


def leftover_temporaries(index_dir: Path) -> list[Path]:
    """Half-written files of writers that were killed before their rename.

    Only safe to delete while holding the write lock: then no live writer owns them.
    """
    return sorted([*index_dir.glob(f".{LEGACY_NAME}.tmp*"), *index_dir.glob(f"{Path(MANIFEST_NAME).stem}.tmp*")])
