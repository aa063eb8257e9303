"""One writer at a time per index.

An OS-level ``flock`` on ``write.lock`` is held for the whole write; the kernel
releases it when the process dies, even by ``kill -9``, so a lock file left by
a killed writer is stale by construction and is simply taken over.  The PID
written inside is only for the message the second writer sees.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from .errors import UNWRITABLE_ADVICE, IndexLockedError, IndexWriteError, os_error_reason

LOCK_NAME = "write.lock"
OnWait = Callable[[int | None], None]


class WriteLock:
    """Context manager: ``with WriteLock(index_dir, wait=False): ...``."""

    def __init__(self, index_dir: Path, *, wait: bool = False, timeout: float | None = None,
                 on_wait: OnWait | None = None) -> None:
        self.path = index_dir / LOCK_NAME
        self.wait = wait
        self.timeout = timeout
        self.on_wait = on_wait  # told once, with the holder's PID, when waiting begins
        self.stale_pid: int | None = None
        self._fd: int | None = None

    def __enter__(self) -> WriteLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # the first write of every write: nothing is touched yet
            raise IndexWriteError(
                str(exc.filename or self.path), os_error_reason(exc), UNWRITABLE_ADVICE) from None
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not self.wait or (deadline is not None and time.monotonic() > deadline):
                    holder = _read_pid(fd)
                    os.close(fd)
                    who = f"PID {holder}" if holder else "another process"
                    raise IndexLockedError(
                        f"index {self.path.parent} is locked by {who}, which is writing to it",
                        advice="Or try again when it finishes", retry={"wait": True},
                    ) from None
                if self.on_wait is not None:
                    self.on_wait(_read_pid(fd))
                    self.on_wait = None
                time.sleep(0.1)
        previous = _read_pid(fd)
        if previous and previous != os.getpid():
            self.stale_pid = previous  # its holder died without releasing: flock was free
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass  # a full disk: the lock holds all the same, the PID is only for other writers' messages
        self._fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
