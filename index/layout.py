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
VECTORS_NAME = "vectors.npz"  # format 1: the whole vector side in one zip (read, upgraded by any write)
VECTORS_DIR = "vectors"  # vector segments vectors/s<G>... and tombstones (index/vector_segments.py); format 2: g<N>
FULLTEXT_DIR = "fulltext"
KEYS_NAME = "romanized-keys.sqlite"  # derived: Latin-script keys of the Devanagari terms (keytable.py)
STORIES_NAME = "stories.npz"  # story clusters (hsearch.index.stories), derived from the full text
BOILERPLATE_NAME = "boilerplate.json"  # chrome lines learned per source (hsearch.index.boilerplate)
# Folders of state that is written outside the index's write lock, each with its own lock and its own clean-up
# of crash leftovers (the index writer's clean-up must not delete a temporary file another process is writing).
FOLLOW_DIR = "follow"  # hsearch follow's feeds and entries seen (hsearch.index.follow)
ALERTS_DIR = "alerts"  # saved searches and when articles arrived (hsearch.search.alerts)
INDEX_ENV = "HSEARCH_INDEX"
# A sharded index (index/shards.py): a top-level folder of N complete indexes, shards/<NNN>/, named by
# shards.json, with the derived tables the ingress reads across shards (global stories, term statistics).
SHARDS_NAME = "shards.json"
SHARDS_DIR = "shards"
COLLECTION_NAME = "collection.npz"  # derived: N, field lengths and per-field document frequencies over all shards
# The files of one vector generation (index/vectors.py): <array>.npy for each array, the FAISS index, meta last.
GENERATION_ARRAYS = ("vectors", "pids", "ids", "digests", "starts")
GENERATION_ANN_NAME = "ann.faiss"
GENERATION_META_NAME = "meta.json"

# role -> name inside the index folder, for every part ``hsearch verify`` reports.
PARTS = {"manifest": MANIFEST_NAME, "fulltext": FULLTEXT_DIR, "vectors": VECTORS_DIR, "keys": KEYS_NAME,
         "stories": STORIES_NAME}
# Each Whoosh segment's scoring sidecar (index/bm25_sidecar.py) lives beside it in the full-text folder as
# ``<segment id>.<suffix>``: a name Whoosh's clean-up deletes together with its segment after a merge.
SCORING_SIDECAR_SUFFIX = "hsbm25"


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


def vectors_dir(index_dir: Path) -> Path:
    """The folder of vector generations (:mod:`hsearch.index.vector_segments`)."""
    return index_dir / VECTORS_DIR


def vector_generation_dir(index_dir: Path, generation: int) -> Path:
    return vectors_dir(index_dir) / f"g{generation:06d}"


def vector_segment_dir(index_dir: Path, name: str) -> Path:
    """One vector segment's folder (format 2's ``g<N>`` generation folders are read as segments too)."""
    return vectors_dir(index_dir) / name


def tombstone_path(index_dir: Path, segment: str, generation: int) -> Path:
    """The positions of a segment's deleted articles as of commit ``generation`` (a new file per commit)."""
    return vectors_dir(index_dir) / f"{segment}.del{generation:06d}.npy"


def legacy_vectors_path(index_dir: Path) -> Path:
    """Format 1: the whole vector side in one zip (still read; upgraded by any write)."""
    return index_dir / VECTORS_NAME


def scoring_sidecar_path(fulltext: Path, segment_id: str) -> Path:
    return fulltext / f"{segment_id}.{SCORING_SIDECAR_SUFFIX}"


def keys_path(index_dir: Path) -> Path:
    return index_dir / KEYS_NAME


def stories_path(index_dir: Path) -> Path:
    return index_dir / STORIES_NAME


def boilerplate_path(index_dir: Path) -> Path:
    return index_dir / BOILERPLATE_NAME


def follow_state_path(index_dir: Path) -> Path:
    """What ``hsearch follow`` knows of its feeds (validators, failures) and the entries it has indexed."""
    return index_dir / FOLLOW_DIR / "state.json"


def alerts_path(index_dir: Path) -> Path:
    return index_dir / ALERTS_DIR / "alerts.json"


def state_leftovers(state_file: Path) -> list[Path]:
    """Temporary files a killed writer of ``state_file`` left; delete them only under that state's own lock."""
    return sorted(p for p in state_file.parent.glob(temporary_glob(state_file.name)) if p.is_file())


def shards_manifest_path(index_dir: Path) -> Path:
    return index_dir / SHARDS_NAME


def is_sharded(index_dir: Path) -> bool:
    """Whether ``index_dir`` holds a sharded index (its shard set's manifest)."""
    return shards_manifest_path(Path(index_dir)).is_file()


def shard_dir(index_dir: Path, name: str) -> Path:
    """One shard of a sharded index: a complete index of its own."""
    return index_dir / SHARDS_DIR / name


def collection_path(index_dir: Path) -> Path:
    return index_dir / COLLECTION_NAME


def parts(index_dir: Path) -> dict[str, Path]:
    """Every file or folder hsearch keeps in an index folder, by role."""
    return {role: index_dir / name for role, name in PARTS.items()}


def leftover_temporaries(index_dir: Path) -> list[Path]:
    """Half-written files of writers that were killed before their rename.

    Any atomic write into the index folder leaves a name matching the atomic
    helper's pattern, so this covers files added later too.  Only safe to
    delete while holding the write lock: then no live writer owns them.
    """
    # sidecars are written inside the full-text folder, a vector segment's derived rows inside its own folder
    segments = [p for p in vectors_dir(index_dir).glob("*") if p.is_dir()] if vectors_dir(index_dir).is_dir() else []
    folders = (index_dir, fulltext_dir(index_dir), *segments)
    return sorted(path for folder in folders for path in folder.glob(temporary_glob("*")) if path.is_file())
