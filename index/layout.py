"""Where each part of an index lives inside its folder."""

from __future__ import annotations

import os
from pathlib import Path

from .manifest import MANIFEST_NAME
from .vectors import VECTORS_NAME

FULLTEXT_DIR = "fulltext"
STORIES_NAME = "stories.npz"  # story clusters (hsearch.index.stories), derived from the full text
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


def vectors_path(index_dir: Path) -> Path:
    return index_dir / VECTORS_NAME


def stories_path(index_dir: Path) -> Path:
    return index_dir / STORIES_NAME


def parts(index_dir: Path) -> dict[str, Path]:
    """Every file or folder hsearch keeps in an index folder, by role."""
    return {
        "manifest": index_dir / MANIFEST_NAME,
        "fulltext": fulltext_dir(index_dir),
        "vectors": vectors_path(index_dir),
        "stories": stories_path(index_dir),
    }


def leftover_temporaries(index_dir: Path) -> list[Path]:
    """Half-written files of writers that were killed before their rename.

    Only safe to delete while holding the write lock: then no live writer owns them.
    """
    return sorted([*index_dir.glob(f".{VECTORS_NAME}.tmp*"), *index_dir.glob(f"{Path(MANIFEST_NAME).stem}.tmp*"),
                   *index_dir.glob(f".{STORIES_NAME}.tmp*")])
