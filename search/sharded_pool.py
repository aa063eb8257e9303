"""The server's pool for a sharded index: a few ingress engines over the same shard clients.

It lends :class:`~hsearch.search.sharded.ShardedEngine` objects to worker
threads as :class:`~hsearch.search.engine_pool.EnginePool` lends engines, so
``create_app`` serves a sharded index unchanged.  The engines share the shard
clients (deployment handles are thread-safe) and one query encoder behind a
lock; the shards' own work runs wherever the clients send it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar


from hsearch.index import shards as shard_set
from hsearch.index.encoders import Encoder, encoder_for_spec

from .engine import SearchSettings
from .engine_pool import DEFAULT_WORKERS, LendingPool, SerialEncoder
from .sharded import ShardClient, ShardedEngine, set_stamp

T = TypeVar("T")


class ShardedPool(LendingPool[ShardedEngine]):
    """``size`` ingress engines over one sharded index, each lent to one worker thread at a time."""

    def __init__(self, index_dir: Path, clients: Sequence[ShardClient], size: int = DEFAULT_WORKERS,
                 settings: SearchSettings | None = None, *, own_clients: bool = False) -> None:
        self.clients = list(clients)
        self._own_clients = own_clients
        chosen = settings or SearchSettings(preload=True)
        built = shard_set.load(Path(index_dir))
        encoder: Encoder | None = None
        if built.model is not None:
            encoder = SerialEncoder(encoder_for_spec(built.model, fast_queries=chosen.preload))
        super().__init__(index_dir, chosen, lambda: [ShardedEngine(Path(index_dir), self.clients, chosen, encoder)
                                                     for _ in range(size)])

    def close(self) -> None:
        super().close()
        if self._own_clients:
            for client in self.clients:
                client.close()
            self.clients = []

    def stamp(self) -> tuple[int, ...]:
        return set_stamp(self.index_dir)

    def health(self, engine: ShardedEngine) -> tuple[shard_set.ShardSet, list[dict[str, Any]]]:
        """The set's manifest and each shard's state as it answers now (run it through :meth:`run`)."""
        return shard_set.load(self.index_dir), engine.health()
