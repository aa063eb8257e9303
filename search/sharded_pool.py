"""The server's pool for a sharded index: a few ingress engines over the same shard clients.

It lends :class:`~hsearch.search.sharded.ShardedEngine` objects to worker
threads as :class:`~hsearch.search.engine_pool.EnginePool` lends engines, so
``create_app`` serves a sharded index unchanged.  The engines share the shard
clients (deployment handles are thread-safe) and one query encoder behind a
lock; the shards' own work runs wherever the clients send it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

import anyio
import anyio.to_thread

from hsearch.index import shards as shard_set
from hsearch.index.encoders import Encoder, encoder_for_spec

from .engine import FacetCounts, SearchSettings
from .engine_pool import DEFAULT_WORKERS, MAX_FACET_VALUES, SerialEncoder
from .sharded import ShardClient, ShardedEngine, set_stamp

T = TypeVar("T")


class ShardedPool:
    """``size`` ingress engines over one sharded index, each lent to one worker thread at a time."""

    def __init__(self, index_dir: Path, clients: Sequence[ShardClient], size: int = DEFAULT_WORKERS,
                 settings: SearchSettings | None = None, *, own_clients: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings or SearchSettings(preload=True)
        self.size = size
        self.clients = list(clients)
        self._own_clients = own_clients
        built = shard_set.load(self.index_dir)
        encoder: Encoder | None = None
        if built.model is not None:
            encoder = SerialEncoder(encoder_for_spec(built.model, fast_queries=self.settings.preload))
        self._engines = [ShardedEngine(self.index_dir, self.clients, self.settings, encoder) for _ in range(size)]
        self._free = list(self._engines)
        self._gate = anyio.CapacityLimiter(size)
        self._facets: tuple[tuple[int, ...], FacetCounts] | None = None
        self._facet_lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def warm(self) -> None:
        for engine in self._engines:
            engine.rank("समाचार news", depth=1)

    def close(self) -> None:
        for engine in self._engines:
            engine.close()
        self._engines, self._free = [], []
        if self._own_clients:
            for client in self.clients:
                client.close()

    async def run(self, work: Callable[[Any], T]) -> T:
        async with self._gate:
            engine = self._free.pop()
            try:
                return await anyio.to_thread.run_sync(work, engine)
            finally:
                self._free.append(engine)

    def stamp(self) -> tuple[int, ...]:
        return set_stamp(self.index_dir)

    def facets(self, engine: ShardedEngine) -> FacetCounts:
        stamp = self.stamp()
        with self._facet_lock:
            if self._facets is None or self._facets[0] != stamp:
                self._facets = (stamp, engine.facets(MAX_FACET_VALUES))
            return self._facets[1]

    def health(self, engine: ShardedEngine) -> tuple[shard_set.ShardSet, list[dict[str, Any]]]:
        """The set's manifest and each shard's state as it answers now (run it through :meth:`run`)."""
        return shard_set.load(self.index_dir), engine.health()
