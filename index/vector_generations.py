"""Which generation of vector files an index uses; publishing a new one and removing old ones.

As Lucene's ``segments_N``: every commit writes the vector side whole into a
new folder ``vectors/g<N>`` (never changing an older one), and the manifest's
atomic rename is what switches readers to it.  Older generations are deleted
after the switch; a reader that has them mapped keeps reading them (POSIX
keeps an unlinked file alive while it is open or mapped).  A generation that
no manifest names -- a writer killed before its manifest rename -- is removed
by the next writer, under the write lock.

Generation 0 is the format-1 layout: one ``vectors.npz`` read whole.  It is
still read, and ``hsearch verify --repair`` (or any write) upgrades it.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from . import layout
from . import manifest as manifest_io
from .errors import IndexDamagedError, IndexWriteError, Remedy
from .manifest import Manifest
from .vectors import VectorStore, remove_folder

_GENERATION = re.compile(r"g(\d+)$")


def current_path(index_dir: Path, built: Manifest) -> Path:
    """The folder (or, for generation 0, the file) holding the index's vectors."""
    if built.vector_generation:
        return layout.vector_generation_dir(index_dir, built.vector_generation)
    return layout.legacy_vectors_path(index_dir)


def vectors_path(index_dir: Path) -> Path:
    """The current generation's folder (the format-1 file for an index not yet upgraded)."""
    if not manifest_io.exists(index_dir):
        return layout.legacy_vectors_path(index_dir)
    return current_path(index_dir, manifest_io.load(index_dir))


def open_store(index_dir: Path, built: Manifest | None = None, *, writable: bool = False) -> VectorStore:
    """The vector store the manifest names, memory-mapped.

    A generation that is missing is read again from a fresh manifest once
    (a writer may have switched and deleted it since ``built`` was read),
    then reported as damage that ``verify --repair`` fixes.
    """
    built = built if built is not None else manifest_io.load(index_dir)
    assert built.model is not None, "a full-text-only index has no vectors"
    for attempt in range(2):
        if not built.vector_generation:
            return VectorStore.load_legacy(layout.legacy_vectors_path(index_dir), built.model.dim)
        folder = current_path(index_dir, built)
        if folder.is_dir():
            return VectorStore.load(folder, built.model.dim, writable=writable)
        if attempt == 0:
            built = manifest_io.load(index_dir)
    raise IndexDamagedError(
        f"{layout.manifest_path(index_dir)} names vector generation {built.vector_generation}, but {folder} "
        "is missing",
        remedy=Remedy("repair", str(index_dir)),
        retry={"mode": "bm25"},
    )


def generations(index_dir: Path) -> list[int]:
    """Numbers of the generation folders present (complete or not), ascending."""
    folder = layout.vectors_dir(index_dir)
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := _GENERATION.match(p.name)))


def stage(index_dir: Path, store: VectorStore, built: Manifest) -> int:
    """Write ``store`` as the next generation, not yet named by any manifest; returns its number.

    A failed write (disk full) removes what it wrote and raises
    :class:`IndexWriteError`: the index stays as it was.
    """
    number = max([built.vector_generation, *generations(index_dir)]) + 1
    folder = layout.vector_generation_dir(index_dir, number)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        store.save(folder)
    except OSError as exc:
        remove_folder(folder)
        reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))
        raise IndexWriteError(
            f"the vector files in {folder.parent}", reason,
            "nothing was committed and the index is as it was. Free space (or fix the permissions) and run the "
            "command again",
        ) from None
    return number


def drop_unreferenced(index_dir: Path, keep: int) -> None:
    """Delete every generation but ``keep``, half-written ones, and the format-1 file once upgraded.

    Only safe under the write lock.
    """
    folder = layout.vectors_dir(index_dir)
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            match = _GENERATION.match(path.name)
            if path.is_dir() and (match is None or int(match.group(1)) != keep):
                remove_generation(path)
    if keep:
        layout.legacy_vectors_path(index_dir).unlink(missing_ok=True)


def remove_generation(folder: Path) -> None:
    """Delete one generation folder (or a half-written one)."""
    remove_folder(folder)
