"""``hsearch serve --ray``: a sharded index served on Ray Serve, one deployment per shard.

Each shard is a Ray Serve application of one deployment (``hsearch-shard-NNN``)
of ``replicas`` replicas, each holding a :class:`~hsearch.search.sharded.Shard`
over its shard folder (it follows the shard's commits as any engine does).
Ray Serve starts the replicas, restarts one whose process dies and routes
each call to a live replica; the ingress retries a call that a dying replica
dropped (:data:`ATTEMPTS`), so with two replicas a killed one costs no request.

The ingress is this process: the same FastAPI app as ``hsearch serve``
(:func:`hsearch.search.server.create_app`) over a :class:`ShardedPool` of
:class:`~hsearch.search.sharded.ShardedEngine` objects that plan and embed
each query once, call the shards' deployment handles, fuse and page.  Serve's
own HTTP proxy is not started: nothing listens but the page's port.

The cluster is :class:`~hsearch.index.ray_embedding.RayCluster`'s, as for
``hsearch index --ray``: without an address a private one bound to 127.0.0.1
with the dashboard off and Ray's token authentication on; ``auto`` or
``HOST:PORT`` joins a running one, whose nodes must see the index folder at
the same path (a shared filesystem, or a copy of each shard where it runs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hsearch.index import shards as shard_set
from hsearch.index.errors import RayUnavailableError
from hsearch.index.ray_embedding import RAY_INSTALL_HINT, RayCluster, RaySettings

from .engine import SearchSettings
from .sharded import Shard, ShardQuery

#: Calls of one request to one shard: a replica that dies mid-call loses its calls, Serve sends the next elsewhere.
ATTEMPTS = 3
RETRY_PAUSE_S = 0.2
APP_PREFIX = "hsearch-shard-"


def _serve() -> Any:
    try:
        from ray import serve
    except ImportError:
        raise RayUnavailableError("{ray} serving needs Ray Serve, which is not installed",
                                  advice=f"Install the extra: {RAY_INSTALL_HINT}", params=("ray",)) from None
    return serve


@dataclass(frozen=True)
class ServeSettings:
    """How the shards are deployed: ``replicas`` per shard, each asking Ray for ``cpus_per_replica``."""

    replicas: int = 1
    cpus_per_replica: float = 0.5
    preload: bool = True  # replicas keep BM25 field lengths in memory and compile the BM25 kernel


class ShardReplica:
    """One replica of a shard's deployment (made a Serve deployment by :func:`deploy_shards`)."""

    def __init__(self, shard_dir: str, name: str, preload: bool) -> None:
        self.shard = Shard(Path(shard_dir), name, SearchSettings(preload=preload))

    def search(self, query: ShardQuery) -> Any:
        return self.shard.search(query)

    def reference_score(self, query: ShardQuery, top: tuple[str, float]) -> float:
        return self.shard.reference_score(query, top)

    def documents(self, ids: list[str]) -> Any:
        return self.shard.documents(ids)

    def matched_terms(self, terms: list[str], ids: list[str]) -> Any:
        return self.shard.matched_terms(terms, ids)

    def similar_sources(self, article_id: str) -> Any:
        return self.shard.similar_sources(article_id)

    def facets(self) -> Any:
        return self.shard.facets()

    def health(self) -> Any:
        return self.shard.health()


def app_name(shard: str) -> str:
    return f"{APP_PREFIX}{shard}"


def deploy_shards(index_dir: Path, settings: ServeSettings = ServeSettings()) -> list[RayShardClient]:
    """Deploy every shard of the set at ``index_dir`` on the connected cluster; a client for each."""
    serve = _serve()
    built = shard_set.load(index_dir)
    shard_set.check_shards(index_dir, built)
    serve.start(proxy_location="Disabled")
    deployment = serve.deployment(ShardReplica, max_ongoing_requests=8)
    clients = []
    for name, folder in zip(built.names, built.dirs(index_dir), strict=True):
        bound = deployment.options(name="shard", num_replicas=settings.replicas,
                                   ray_actor_options={"num_cpus": settings.cpus_per_replica}).bind(
            str(Path(folder).resolve()), name, settings.preload)
        handle = serve.run(bound, name=app_name(name), route_prefix=None, blocking=False)
        clients.append(RayShardClient(name, handle))
    return clients


def remove_shards(index_dir: Path) -> None:
    """Delete the shards' applications (the cluster stays: it may be someone else's)."""
    serve = _serve()
    for name in shard_set.load(index_dir).names:
        try:
            serve.delete(app_name(name))
        except Exception:  # noqa: BLE001 - already gone
            pass


class _Call:
    """One call to a shard's deployment, sent again when the replica that had it died."""

    def __init__(self, handle: Any, method: str, args: tuple[Any, ...]) -> None:
        self._handle, self._method, self._args = handle, method, args
        self._response = self._send()

    def _send(self) -> Any:
        return getattr(self._handle, self._method).remote(*self._args)

    def result(self, timeout: float | None = None) -> Any:
        import ray.exceptions as ray_errors

        retryable = (ray_errors.RayActorError, ray_errors.ActorUnavailableError)
        deadline = None if timeout is None else time.monotonic() + timeout
        for attempt in range(ATTEMPTS):
            left = None if deadline is None else max(0.1, deadline - time.monotonic())
            try:
                return self._response.result(timeout_s=left)
            except retryable:
                if attempt == ATTEMPTS - 1 or (deadline is not None and time.monotonic() >= deadline):
                    raise
                time.sleep(RETRY_PAUSE_S)
                self._response = self._send()
        raise AssertionError("unreachable")


class RayShardClient:
    """A shard's Serve deployment as the ingress calls it."""

    def __init__(self, name: str, handle: Any) -> None:
        self.name = name
        self.handle = handle

    def call(self, method: str, *args: Any) -> _Call:
        return _Call(self.handle, method, args)

    def close(self) -> None:
        pass


def serve_sharded(index_dir: Path, *, address: str = "local", host: str = "127.0.0.1", port: int = 8000,
                  replicas: int = 1, workers: int = 2, local_cpus: int | None = None) -> None:
    """Deploy the shards on Ray Serve, bind the port, then serve the page and the API until interrupted."""
    import sys

    import uvicorn

    from hsearch.index.wording import counted

    from .server import create_app, listen
    from .sharded_pool import ShardedPool

    with RayCluster(RaySettings(address=address, local_cpus=local_cpus)):
        try:
            clients = deploy_shards(index_dir, ServeSettings(replicas=replicas))
            with ShardedPool(index_dir, clients, workers) as pool:
                pool.warm()
                listener = listen(host, port)
                bound_port = listener.getsockname()[1]
                shown = f"[{host}]" if ":" in host else host
                built = shard_set.load(index_dir)
                print(f"hsearch: {counted(built.articles, 'article')} in {built.count} shards "
                      f"({replicas} {'replica' if replicas == 1 else 'replicas'} each, on Ray Serve) from "
                      f"{index_dir}; search page at http://{shown}:{bound_port}/ (Ctrl+C stops)",
                      file=sys.stderr, flush=True)
                config = uvicorn.Config(create_app(pool), log_level="info", timeout_graceful_shutdown=5,  # type: ignore[arg-type]
                                        server_header=False)
                uvicorn.Server(config).run(sockets=[listener])
        finally:
            if address == "local":
                _serve().shutdown()  # the private cluster goes with it
            else:
                remove_shards(index_dir)  # a shared cluster keeps Serve and its other applications
