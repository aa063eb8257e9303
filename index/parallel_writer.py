"""Whoosh's multi-process writer, made safe for an index of record.

Whoosh's own analysis and posting code is pure Python, so one process indexes
about 500 articles/s at best on this project's machines.  Whoosh's
``MpWriter`` farms documents out to sub-processes, each writing its own
segment (``multisegment=True``: no single-threaded merge of their runs at
the end, which would cost more than the parallel part saves; the array
scorer and the sidecars work per segment anyway).  Three things in it are not
safe enough for a writer that must never lose an article:

* a sub-process that dies (an exception, the OOM killer) simply has no
  result, and the commit goes on without its documents.  Here the commit
  checks every sub-process's exit code first and fails, keeping the old
  state, when one did not finish;
* a parent killed with SIGKILL leaves its sub-processes waiting on the job
  queue forever, and they hold the inherited write-lock file descriptors, so
  the index stays locked.  Here each sub-process asks Linux to kill it when
  its parent dies (``PR_SET_PDEATHSIG``);
* sub-processes are started by ``fork`` lazily, after an embedding runtime
  may have started threads.  Here they start when the writer opens, before
  any article is embedded, with the parent's objects frozen out of the
  garbage collector (``gc.freeze``), which would otherwise copy the
  parent's whole heap into each of them.

Replacing an article committed earlier works as with Whoosh's writer (the
parent deletes, a sub-process adds); the ingest layer already keeps one copy
of an id that a run repeats.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

from .whoosh_compat import ParallelWriter, SubProcessFailed

__all__ = ["SubProcessFailed", "die_with_parent", "open_parallel_writer"]


def die_with_parent() -> None:
    """Linux: be killed when the parent dies, so an orphan never keeps the index locked."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
    except (OSError, AttributeError):  # no prctl: the rest still works, orphans are possible
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def open_parallel_writer(ix: Any, procs: int, **kwargs: Any) -> ParallelWriter:
    """A full-text writer over ``procs`` sub-processes, each of which dies with this one."""
    return ParallelWriter(ix, procs, on_start=die_with_parent, **kwargs)
