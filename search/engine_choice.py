"""Which engine answers for an index: one index's, or a sharded index's with every shard in-process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hsearch.index import layout

from .engine import SearchEngine, SearchSettings

if TYPE_CHECKING:
    from .sharded import ShardedEngine
    from .vector_prefetch import VectorPrefetch


def open_engine(index_dir: Path, settings: SearchSettings = SearchSettings(), *,
                prefetched: VectorPrefetch | None = None) -> SearchEngine | ShardedEngine:
    """The engine for whatever index is at ``index_dir``.  The sharded engine's module is imported only for
    a sharded index: it (and the shard set's writer it brings) is 9 ms of a one-shot query's start (25 ms
    where Python compiles it).  ``prefetched``: see :class:`SearchEngine` (a sharded index has none)."""
    if layout.is_sharded(index_dir):
        from .sharded import ShardedEngine

        return ShardedEngine.local(index_dir, settings)
    return SearchEngine(index_dir, settings, prefetched=prefetched)
