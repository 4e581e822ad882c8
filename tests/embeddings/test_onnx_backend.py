import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from embeddings.onnx_backend import word_embeddings


def _safetensors(path: Path, tensors: dict[str, np.ndarray]) -> Path:
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}  # fmt: skip
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))
    return path


def test_word_rows_are_read_as_the_array_indexes_them(tmp_path):
    rng = np.random.default_rng(0)
    other = rng.random((3, 5)).astype(np.float32)
    words = rng.random((1000, 8)).astype(np.float32)
    path = _safetensors(tmp_path / "m.safetensors", {"other": other, "words": words})
    rows = word_embeddings(path, "words")
    assert rows.shape == (1000, 8)
    ids = rng.integers(0, 1000, (4, 17))  # a padded batch, repeated ids
    np.testing.assert_array_equal(rows[ids], words[ids])
    np.testing.assert_array_equal(rows[[999, 0, 999]], words[[999, 0, 999]])
    assert rows[np.zeros((2, 0), np.int64)].shape == (2, 0, 8)
    with pytest.raises(IndexError):
        rows[[1000]]
    with pytest.raises(ValueError, match="does not match its shape"):
        word_embeddings(_safetensors(tmp_path / "v.safetensors", {"v": words[0]}), "v")


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_reading_word_rows_maps_nothing_of_the_file_into_the_process(tmp_path):
    words = np.random.default_rng(1).random((20_000, 64)).astype(np.float32)  # ~5 MB
    path = _safetensors(tmp_path / "big.safetensors", {"words": words})
    rows = word_embeddings(path, "words")
    for start in range(0, 20_000, 97):
        rows[[start]]
    mapped = 0
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            mapped += int(line.split()[1])
    assert mapped == 0
