import json

import numpy as np
import pytest

from rag.chunking import Chunk
from rag.documents import Document
from rag.errors import IndexMismatchError, IndexMissingError
from rag.index.manifest import IndexConfig, Manifest
from rag.index.store import IndexSnapshot, IndexStore

CONFIG = IndexConfig("m", 4, "norm-v1", {"chunk_tokens": 10}, "faiss-flat-ip")


def _snapshot(n: int) -> IndexSnapshot:
    doc = Document("d", "T", "x" * 100, "d.txt")
    chunks = [Chunk("d", i, "x", i, i + 1) for i in range(n)]
    return IndexSnapshot(Manifest(CONFIG), {"d": doc}, chunks, np.ones((n, 4), np.float32))


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexMissingError, match="rag ingest"):
        IndexStore(tmp_path / "none").load()


def test_commit_then_load_roundtrip(tmp_path):
    store = IndexStore(tmp_path)
    gen = store.commit(_snapshot(3), {})
    loaded = store.load()
    assert loaded.generation == gen
    assert [c.chunk_id for c in loaded.chunks] == ["d#0", "d#1", "d#2"]
    assert loaded.vectors.shape == (3, 4)
    assert loaded.documents["d"].text == "x" * 100


def test_a_crash_mid_write_leaves_the_previous_index_live(tmp_path):
    store = IndexStore(tmp_path)
    first = store.commit(_snapshot(2), {})

    def explode(path):
        path.write_text("half")
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        store.commit(_snapshot(5), {"bm25": explode})
    assert store.current() == first
    assert len(store.load().chunks) == 2
    assert not list(tmp_path.glob(".tmp-*"))


def test_old_generations_are_collected(tmp_path):
    store = IndexStore(tmp_path)
    for n in range(1, 5):
        store.commit(_snapshot(n), {})
    gens = sorted(p.name for p in tmp_path.glob("gen-*"))
    assert len(gens) == 2 and store.current() == gens[-1]


def test_manifest_mismatch_is_refused_with_a_hint():
    other = IndexConfig("other-model", 8, "norm-v1", {"chunk_tokens": 10}, "faiss-flat-ip")
    with pytest.raises(IndexMismatchError, match="--rebuild") as err:
        CONFIG.check_matches(other)
    assert "other-model" in str(err.value) and "dimension" in str(err.value)


def test_unsupported_format_is_refused(tmp_path):
    store = IndexStore(tmp_path)
    gen = store.commit(_snapshot(1), {})
    manifest = tmp_path / gen / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = 99
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError):
        store.load()


def test_a_generation_never_made_live_does_not_displace_the_previous_one(tmp_path):
    """A writer killed between renaming its generation into place and pointing CURRENT at
    it leaves an orphan; the next commit keeps the previously live generation, not it."""
    store = IndexStore(tmp_path)
    first = store.commit(_snapshot(1), {})
    orphan = tmp_path / "gen-000002"
    orphan.mkdir()
    (orphan / "manifest.json").write_text("{}")
    (tmp_path / ".CURRENT.tmp-999999").write_text("gen-000002\n")  # killed mid-replace
    assert store.current() == first
    third = store.commit(_snapshot(3), {})
    assert third == "gen-000003"
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == [first, third]
    assert not list(tmp_path.glob(".CURRENT.tmp-*"))


def test_a_vector_row_is_read_from_the_file_as_the_mapping_holds_it(tmp_path):
    store = IndexStore(tmp_path)
    vectors = np.random.default_rng(0).random((50, 4)).astype(np.float32)
    snapshot = _snapshot(50)
    store.commit(IndexSnapshot(snapshot.manifest, snapshot.documents, snapshot.chunks, vectors), {})
    loaded = store.load()
    assert isinstance(loaded.vectors, np.memmap)
    for row in (0, 17, 49):
        np.testing.assert_array_equal(loaded.vector(row), vectors[row])
    sliced = IndexSnapshot(loaded.manifest, {}, [], loaded.vectors[10:])  # not the whole file
    np.testing.assert_array_equal(sliced.vector(0), vectors[10])
    np.testing.assert_array_equal(_snapshot(3).vector(2), np.ones(4, np.float32))
