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
import gc
import os
import pickle
import queue
import signal
import sys
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name

#: Seconds to wait for a finished sub-process's result (it is sent before the process exits).
RESULT_TIMEOUT_S = 60


class SubProcessFailed(RuntimeError):
    """A sub-writer exited without its segment; the commit did not happen."""

    def __init__(self, exit_codes: list[int | None]) -> None:
        self.exit_codes = exit_codes
        failed = [code for code in exit_codes if code != 0]
        killed = any(code is not None and code < 0 for code in failed)
        self.reason = (f"a full-text writer process exited with code {failed[0] if failed else None}"
                       + (" (killed: out of memory?)" if killed else ""))
        super().__init__(self.reason)


def _die_with_parent() -> None:
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


class _SubWriter(SubWriterTask):
    def run(self) -> None:
        _die_with_parent()
        super().run()


class ParallelWriter(MpWriter):
    """``MpWriter(multisegment=True)`` whose commit fails rather than lose a sub-process's documents."""

    def __init__(self, ix: Any, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        # Objects that exist now are frozen out of the collector while forking, so that the
        # sub-processes' collections do not touch (and so copy) every page of the parent's heap.
        gc.freeze()
        try:
            for _ in range(self.procs):
                self._new_task()
        finally:
            gc.unfreeze()

    def _new_task(self) -> SubWriterTask:
        task = _SubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                          self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        # Whoosh's MpWriter.commit takes a plain commit when nothing was added
        # through the sub-writers; they must still be told to stop.
        if not self._added_sub:
            self._stop_tasks()
        super().commit(mergetype=mergetype, optimize=optimize, merge=merge)

    def cancel(self) -> None:
        super().cancel()
        self._stop_tasks()

    def _stop_tasks(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.kill()
            task.join()

    def _enqueue(self) -> None:
        """Whoosh's: the buffered documents go to a job file, its name to the job queue."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as handle:
            for item in self.docbuffer:
                pickle.dump(item, handle, 2)
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job: Any) -> None:
        """Queue a job; a full queue whose readers died is a failure, not a wait forever."""
        while True:
            try:
                self.jobqueue.put(job, timeout=1)
                return
            except queue.Full:
                if not all(task.is_alive() for task in self.tasks):
                    raise SubProcessFailed([task.exitcode for task in self.tasks]) from None

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        """Whoosh's multisegment commit, with the sub-processes' exit codes checked before the TOC is written."""
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        final_segments = self._merge_segments(mergetype, optimize, merge)  # existing segments, meanwhile
        for task in self.tasks:
            task.join()
        codes = [task.exitcode for task in self.tasks]
        results = []
        if all(code == 0 for code in codes):  # each sent its result before it exited
            try:
                results = [self.resultqueue.get(timeout=RESULT_TIMEOUT_S) for _ in self.tasks]
            except queue.Empty:
                pass
        if len(results) != len(self.tasks):
            super().cancel()  # SegmentWriter's: removes this writer's files and releases the lock
            raise SubProcessFailed(codes)
        final_segments += [segment for _, _, segment in results]
        if self._added:
            final_segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(final_segments)
        self._finish()
