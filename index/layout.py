"""Where each part of an index lives inside its folder: the one owner of every name in it.

A module that adds a file to an index (a derived sidecar, a key table, a new
generation of vectors) adds its name here, to :data:`PARTS` when ``hsearch
verify`` should list it, writes it with :mod:`hsearch.index.atomic`, and so gets
crash leftovers cleaned up by :func:`leftover_temporaries` for free.
"""

from __future__ import annotations

import os
from pathlib import Path

from .atomic import temporary_glob

MANIFEST_NAME = "manifest.json"
VECTORS_NAME = "vectors.npz"
FULLTEXT_DIR = "fulltext"
INDEX_ENV = "HSEARCH_INDEX"

# role -> name inside the index folder, for every part ``hsearch verify`` reports.
PARTS = {"manifest": MANIFEST_NAME, "fulltext": FULLTEXT_DIR, "vectors": VECTORS_NAME}


def default_index_dir() -> Path:
    """``$HSEARCH_INDEX``, else ``$XDG_DATA_HOME/hsearch/index`` (``~/.local/share/...``)."""
    explicit = os.environ.get(INDEX_ENV)
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "hsearch" / "index"


def manifest_path(index_dir: Path) -> Path:
    return index_dir / MANIFEST_NAME


def fulltext_dir(index_dir: Path) -> Path:
    return index_dir / FULLTEXT_DIR


def vectors_path(index_dir: Path) -> Path:
    return index_dir / VECTORS_NAME


def parts(index_dir: Path) -> dict[str, Path]:
    """Every file or folder hsearch keeps in an index folder, by role."""
    return {role: index_dir / name for role, name in PARTS.items()}


def leftover_temporaries(index_dir: Path) -> list[Path]:
    """Half-written files of writers that were killed before their rename.

    Any atomic write into the index folder leaves a name matching the atomic
    helper's pattern, so this covers files added later too.  Only safe to
    delete while holding the write lock: then no live writer owns them.
    """
    return sorted(path for path in index_dir.glob(temporary_glob("*")) if path.is_file())
