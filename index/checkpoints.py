"""When a long ``hsearch index`` commits what it has done so far.

A build of a large archive runs for hours; each commit makes the articles
written until then durable, so a crash or a kill loses at most the work since
the last one, and running the same command again skips what was committed
(its articles are already held unchanged) and carries on.

A commit is not free: Whoosh writes a segment and the vector file is saved
whole, which grows with the index.  So the default is sized by work, not by a
count: commit after a few minutes of work, and never sooner than ten times the
last commit took (a commit then costs at most a tenth of the build).  A user
who wants a fixed rhythm says ``--commit-every N`` articles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import SettingsError

DEFAULT_COMMIT_SECONDS = 300.0
COMMIT_COST_SHARE = 10.0  # at least this many times the last commit's duration between two commits


@dataclass(frozen=True)
class CommitPolicy:
    """``every_articles`` commits after that many articles; otherwise every ``every_seconds`` of work."""

    every_articles: int | None = None
    every_seconds: float = DEFAULT_COMMIT_SECONDS

    def __post_init__(self) -> None:
        if self.every_articles is not None and self.every_articles < 1:
            raise SettingsError(f"{{commit_every}} must be at least 1, not {self.every_articles}",
                                params=("commit_every",))


class Checkpoints:
    """Tracks the work since the last commit and says when the next one is due."""

    def __init__(self, policy: CommitPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._since = clock()
        self._articles = 0
        self._last_commit_seconds = 0.0

    def wrote(self, articles: int) -> bool:
        """Count ``articles`` written; whether a commit is due now."""
        self._articles += articles
        if self.policy.every_articles is not None:
            return self._articles >= self.policy.every_articles
        interval = max(self.policy.every_seconds, COMMIT_COST_SHARE * self._last_commit_seconds)
        return self._clock() - self._since >= interval

    def committed(self, seconds: float) -> None:
        """A commit that took ``seconds`` just finished: start counting again."""
        self._last_commit_seconds = seconds
        self._articles = 0
        self._since = self._clock()
