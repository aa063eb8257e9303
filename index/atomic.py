"""Atomic file writes: readers see the old file or the new one, never half of either.

Every file hsearch replaces (the manifest, the vector store, derived sidecars,
model caches, benchmark caches and results) goes through :func:`atomic_open`:
the bytes go to a temporary file in the same folder (so the rename cannot cross
file systems), are fsynced, renamed over the target with :func:`os.replace`,
and the folder is fsynced so the rename itself survives a crash.  If writing
fails the temporary file is removed and the target is untouched.

A writer killed mid-write (``kill -9``, power loss) leaves its temporary file
behind; its name always matches :func:`temporary_glob`, so the index layout
can find and delete such leftovers while it holds the write lock.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TEMP_SUFFIX = ".tmp"


# The files hsearch replaces get the mode open() gives new files (0644 under the usual umask, which the kernel
# applies), so a server running as another user can read an index its owner built; mkstemp would make 0600.
FILE_MODE = 0o666


def temporary_glob(name: str) -> str:
    """The glob pattern of the temporary files :func:`atomic_open` makes for a target called ``name``."""
    return f".{name}.*{TEMP_SUFFIX}"


@contextmanager
def atomic_open(path: Path, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file to write ``path``'s new content; it replaces ``path`` when the block ends.

    ``mode`` is ``"wb"`` or ``"w"`` (text, UTF-8 unless ``encoding`` says otherwise).
    An exception inside the block leaves ``path`` as it was and removes the temporary file.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes whole files: mode must be 'wb' or 'w', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        text = {"encoding": encoding or "utf-8", "newline": ""} if mode == "w" else {}
        with os.fdopen(fd, mode, **text) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(path.parent)


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file beside ``path``, named by :func:`temporary_glob`'s pattern, open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
        try:
            return os.open(tmp, flags, FILE_MODE), str(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` atomically (no newline translation)."""
    with atomic_open(path, "w", encoding=encoding) as handle:
        handle.write(text)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
