"""The ranking modes, defined once: the CLI's choices, the API's enum and the engine's check read them.

A light module (no index libraries), so ``hsearch --help`` and the server's
schema can name the modes without loading Whoosh or FAISS.
"""

from __future__ import annotations

from typing import Literal, get_args

Mode = Literal["hybrid", "bm25", "semantic"]
MODES: tuple[str, ...] = get_args(Mode)  # hybrid first: the default where vectors exist
FULLTEXT_MODE: Mode = "bm25"


def modes_for(has_vectors: bool) -> list[Mode]:
    """The modes an index can answer, its default first."""
    return list(get_args(Mode)) if has_vectors else [FULLTEXT_MODE]
