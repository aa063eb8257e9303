"""Build settings: one frozen object passed in, recorded in the manifest."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SettingsError
from .segment_policy import APPROXIMATE, MergePolicy

DEFAULT_MODEL = "e5-small"
NO_MODEL = "none"
ANN_KINDS = ("auto", "flat", *APPROXIMATE)  # what ``--ann`` accepts (segment_policy.segment_ann applies it)


@dataclass(frozen=True)
class PassageSettings:
    """How long articles are cut for the encoder.

    Windows stay well inside e5's 512-token limit: longer windows dilute the
    one vector that has to stand for them, and cost quadratic attention time.
    """

    max_tokens: int = 256
    overlap_sentences: int = 1
    lead_sentences: int = 2


@dataclass(frozen=True)
class IndexSettings:
    """What ``hsearch index`` was asked to build with.

    ``model`` is an alias (``e5-small``, ``labse``), a sentence-transformers
    model name or folder, or ``none`` for a full-text-only index; ``None``
    means "whatever the existing index uses, else the default".
    """

    model: str | None = None
    ann: str = "auto"
    exact_limit: int = 200_000
    passages: PassageSettings = PassageSettings()
    batch_size: int = 64
    #: Full-text writer processes. More than 1 runs Whoosh's analysis and
    #: posting code in that many sub-processes (one new segment each per
    #: commit): for bulk builds on several cores (bench/README.md, "Indexing").
    procs: int = 1
    #: When the vector side's segments are merged (index/segment_policy.py).
    merge: MergePolicy = MergePolicy()

    def __post_init__(self) -> None:
        if self.procs < 1:
            raise SettingsError(f"{{procs}} must be 1 or more, not {self.procs}", params=("procs",))
        # the manifest records ``ann``: an unknown name must not reach it
        if self.ann not in ANN_KINDS:
            raise SettingsError(f"unknown {{ann}} kind {self.ann!r}; choose one of {', '.join(ANN_KINDS)}",
                                params=("ann",))
