"""Whoosh's segment files, read in place instead of copied.

Whoosh keeps a segment in one compound file and memory-maps it; each part
(postings, term index, stored fields, lengths) is then opened as a
``BufferFile`` over a slice of the map.  ``BufferFile`` wraps the slice in
``io.BytesIO(view)``, which copies it: opening a searcher on a 100k-article
index read the whole 500 MB segment into memory (0.22 s of a cold
``hsearch query`` and ~0.9 GB of its RSS) although a query reads a few
posting blocks.  :class:`ViewFile` is the same read/seek/tell interface over
the memoryview itself, so only the pages a query touches are read, and they
are the page cache's, shared by every process.

:func:`hsearch.index.whoosh_compat.install` puts it under ``BufferFile``
(the only place that touches Whoosh's class); writing is untouched:
``BufferFile`` is Whoosh's read-side class.  This module is plain Python.
"""

from __future__ import annotations

import io


class ViewFile:
    """A read-only, seekable file over a memoryview, without copying it."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        if self._pos >= len(self._view):  # at or past the end (a seek may go there): stay put, as BytesIO does
            return b""
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        data = bytes(self._view[self._pos:end])
        self._pos = end
        return data

    def readline(self, size: int | None = -1) -> bytes:
        if self._pos >= len(self._view):
            return b""
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        at = self._pos
        while at < end:  # look for the newline a page at a time, not by copying the rest of the view
            found = bytes(self._view[at:min(end, at + 4096)]).find(b"\n")
            if found >= 0:
                return self.read(at + found + 1 - self._pos)
            at += 4096
        return self.read(end - self._pos)

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def __iter__(self):  # type: ignore[no-untyped-def]
        while line := self.readline():
            yield line

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._view = memoryview(b"")
