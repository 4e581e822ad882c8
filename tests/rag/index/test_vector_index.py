"""The vector index structure chosen by size: exact search up to a threshold, IVF (default)
or HNSW beyond, recorded in the manifest and loaded (memory-mapped) as it was built."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings
from rag.documents import Document
from rag.errors import IndexMismatchError
from rag.index.faiss_index import FaissFlatIndex, FaissHnswIndex, FaissIvfIndex
from rag.index.manifest import IndexConfig, Manifest
from rag.index.vector_index import (
    FLAT,
    HNSW,
    IVF,
    VectorIndexSpec,
    VectorPolicy,
    build_vector_index,
    load_vector_index,
)

DIM = 32
SMALL = VectorPolicy(
    flat_max=100, hnsw_m=16, hnsw_ef_construction=80, hnsw_ef_search=64, large="hnsw"
)
SMALL_IVF = VectorPolicy(flat_max=100, ivf_nprobe=8, ivf_train_size=600)


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _recall_at(k: int, exact: np.ndarray, approx: np.ndarray) -> float:
    return float(np.mean([len(set(e) & set(a)) / k for e, a in zip(exact, approx, strict=True)]))


def test_the_policy_chooses_flat_up_to_the_threshold_then_hnsw():
    assert SMALL.choose(0) == VectorIndexSpec(FLAT)
    assert SMALL.choose(100) == VectorIndexSpec(FLAT)
    spec = SMALL.choose(101)
    assert spec.kind == HNSW
    assert spec.params == {"M": 16, "ef_construction": 80, "ef_search": 64}


def test_the_default_policy_chooses_ivf_beyond_the_threshold_with_its_parameters():
    assert VectorPolicy().choose(100_000).kind == FLAT  # the default threshold
    assert VectorPolicy().choose(100_001).kind == IVF
    assert SMALL_IVF.choose(100) == VectorIndexSpec(FLAT)
    # nlist ~ 4 sqrt(N); the k-means sample is capped, and never below nlist or above N
    assert SMALL_IVF.choose(2500).params == {"nlist": 200, "nprobe": 8, "train_size": 600}
    assert SMALL_IVF.choose(101).params == {"nlist": 40, "nprobe": 8, "train_size": 101}
    assert VectorPolicy().choose(1_000_000).params == {
        "nlist": 4000, "nprobe": 32, "train_size": 200_000,
    }  # fmt: skip
    fixed = VectorPolicy(flat_max=0, ivf_nlist=64, ivf_train_size=10)
    assert fixed.choose(1000).params["nlist"] == 64 and fixed.choose(1000).params[
        "train_size"] == 64  # fmt: skip
    with pytest.raises(ValueError, match="large-index structure"):
        VectorPolicy(large="pq")


def _clustered(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    x = centres[rng.integers(0, len(centres), n)] + 0.4 * _unit(rng, n)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_ivf_recall_against_exact_search_after_a_save_and_mmap_load(tmp_path: Path):
    rng = np.random.default_rng(5)
    centres = _unit(rng, 40)
    base, queries = _clustered(rng, 2500, centres), _clustered(rng, 100, centres)
    spec = SMALL_IVF.choose(len(base))
    ivf = build_vector_index(spec, base)
    assert isinstance(ivf, FaissIvfIndex) and ivf.params == spec.params
    ivf.save(tmp_path / "v.index")
    loaded = load_vector_index(spec, tmp_path / "v.index", DIM)
    exact = FaissFlatIndex.build(base)

    _, truth = exact.search(queries, 10)
    scores, ids = loaded.search(queries, 10)
    assert ids.shape == scores.shape == (100, 10)
    assert _recall_at(10, truth, ids) >= 0.95
    np.testing.assert_allclose(scores, np.einsum("qd,qkd->qk", queries, base[ids]), atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    # one list scanned: approximate indeed (fewer true neighbours), still the same interface
    one = load_vector_index(spec, tmp_path / "v.index", DIM, {"nprobe": 1})
    assert _recall_at(10, truth, one.search(queries, 10)[1]) < _recall_at(10, truth, ids)


def test_nprobe_can_be_changed_at_load_but_not_the_build_parameters(tmp_path: Path):
    rng = np.random.default_rng(6)
    spec = SMALL_IVF.choose(400)
    build_vector_index(spec, _unit(rng, 400)).save(tmp_path / "v.index")
    loaded = load_vector_index(spec, tmp_path / "v.index", DIM, {"nprobe": 3, "nlist": 9,
                                                                "ef_search": 5})  # fmt: skip
    assert loaded.params == {"nlist": 80, "nprobe": 3, "train_size": 400}
    with pytest.raises(ValueError, match="not IVF"):
        load_vector_index(spec, _flat_file(tmp_path), DIM)


def _flat_file(tmp_path: Path) -> Path:
    path = tmp_path / "f.index"
    FaissFlatIndex.build(_unit(np.random.default_rng(3), 4)).save(path)
    return path


def test_an_empty_ivf_index_answers_with_no_hits(tmp_path: Path):
    index = build_vector_index(SMALL_IVF.choose(10_000), np.zeros((0, DIM), np.float32))
    index.save(tmp_path / "v.index")
    for ivf in (index, load_vector_index(SMALL_IVF.choose(10_000), tmp_path / "v.index", DIM)):
        scores, ids = ivf.search(np.ones((2, DIM), np.float32), 5)
        assert (ids == -1).all() and ids.shape == (2, 1) and scores.shape == (2, 1)


def test_hnsw_recall_against_exact_search_after_a_save_and_mmap_load(tmp_path: Path):
    rng = np.random.default_rng(7)
    base, queries = _unit(rng, 200), _unit(rng, 50)
    spec = SMALL.choose(len(base))
    hnsw = build_vector_index(spec, base)
    assert isinstance(hnsw, FaissHnswIndex) and hnsw.params == spec.params
    hnsw.save(tmp_path / "v.index")
    loaded = load_vector_index(spec, tmp_path / "v.index", DIM)
    exact = FaissFlatIndex.build(base)

    _, truth = exact.search(queries, 10)
    scores, ids = loaded.search(queries, 10)
    assert ids.shape == scores.shape == (50, 10)
    assert _recall_at(10, truth, ids) >= 0.95
    # the same interface: scores are inner products of the returned rows, best first
    np.testing.assert_allclose(scores, np.einsum("qd,qkd->qk", queries, base[ids]), atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_k_beyond_ef_search_still_returns_k_results():
    rng = np.random.default_rng(1)
    base = _unit(rng, 300)
    index = build_vector_index(VectorIndexSpec(HNSW, {"M": 8, "ef_construction": 40,
                                                      "ef_search": 4}), base)  # fmt: skip
    _, ids = index.search(base[:3], 50)
    assert ids.shape == (3, 50) and (ids >= 0).all()
    assert list(ids[:, 0]) == [0, 1, 2]


def test_ef_search_can_be_changed_at_load_but_not_the_build_parameters(tmp_path: Path):
    rng = np.random.default_rng(2)
    spec = SMALL.choose(150)
    build_vector_index(spec, _unit(rng, 150)).save(tmp_path / "v.index")
    loaded = load_vector_index(spec, tmp_path / "v.index", DIM, {"ef_search": 300, "x": 1})
    assert loaded.params == {"M": 16, "ef_construction": 80, "ef_search": 300}
    flat = FaissFlatIndex.build(_unit(rng, 5))
    flat.save(tmp_path / "f.index")
    assert load_vector_index(VectorIndexSpec(), tmp_path / "f.index", DIM, {"ef_search": 9})\
        .params == {}  # fmt: skip


def test_an_empty_hnsw_index_answers_with_no_hits():
    index = build_vector_index(SMALL.choose(10_000), np.zeros((0, DIM), np.float32))
    scores, ids = index.search(np.ones((2, DIM), np.float32), 5)
    assert (ids == -1).all() and ids.shape == (2, 1) and scores.shape == (2, 1)


def test_loading_a_file_of_the_wrong_structure_is_refused(tmp_path: Path):
    FaissFlatIndex.build(_unit(np.random.default_rng(3), 4)).save(tmp_path / "f.index")
    with pytest.raises(ValueError, match="not HNSW"):
        load_vector_index(SMALL.choose(1000), tmp_path / "f.index", DIM)
    with pytest.raises(ValueError, match="dimension"):
        load_vector_index(VectorIndexSpec(), tmp_path / "f.index", DIM + 1)


def test_the_manifest_round_trips_the_spec_and_reads_old_manifests(tmp_path: Path):
    config = IndexConfig("m", DIM, "n1", {"tokens": 160}, "faiss")
    path = tmp_path / "manifest.json"
    path.write_text(Manifest(config, vector=SMALL.choose(500)).to_json(), encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["vector"] == {
        "kind": "faiss-hnsw-ip",
        "params": {"M": 16, "ef_construction": 80, "ef_search": 64},
    }
    assert Manifest.read(path).vector == SMALL.choose(500)
    del data["vector"]  # an index from before the structure was chosen by size
    data["config"]["vector_index"] = "faiss-flat-ip"
    path.write_text(json.dumps(data), encoding="utf-8")
    old = Manifest.read(path)
    assert old.vector == VectorIndexSpec(FLAT)
    old.config.check_matches(config)  # the legacy name still means the faiss store
    with pytest.raises(IndexMismatchError, match="vector index"):
        old.config.check_matches(IndexConfig("m", DIM, "n1", {"tokens": 160}, "milvus"))


def _docs(n: int) -> list[Document]:
    words = "hội nghị ngoại giao đối ngoại toàn quốc lần thứ năm kinh tế văn hóa".split()
    rng = np.random.default_rng(0)
    return [
        Document(f"doc{i:03d}", f"Bài {i}", " ".join(rng.choice(words, 12)) + f" số {i}.", "x")
        for i in range(n)
    ]


def test_ingest_switches_to_hnsw_past_the_threshold_and_records_it(tmp_path: Path):
    settings = Settings(
        index_dir=tmp_path / "index", embed_backend="hash", model_cache=tmp_path / "models",
        faiss_flat_max=150, hnsw_m=12, hnsw_ef_construction=60, hnsw_ef_search=48,
        faiss_large="hnsw",
    )  # fmt: skip
    pipeline = Pipeline(settings, embedder=HashingEmbedder())
    pipeline.add_documents(_docs(100))
    small = pipeline.index()
    assert small.snapshot.manifest.vector == VectorIndexSpec(FLAT)
    assert isinstance(small.vectors, FaissFlatIndex)

    report = pipeline.add_documents(_docs(200))  # 100 more, one chunk each
    manifest = json.loads((settings.index_dir / str(report.generation) / "manifest.json")
                          .read_text(encoding="utf-8"))  # fmt: skip
    assert manifest["vector"] == {
        "kind": "faiss-hnsw-ip",
        "params": {"M": 12, "ef_construction": 60, "ef_search": 48},
    }
    assert manifest["config"]["vector_index"] == "faiss"

    reader = Pipeline(settings.model_copy(update={"hnsw_ef_search": 90}),
                      embedder=HashingEmbedder())  # fmt: skip
    big = reader.index()
    assert isinstance(big.vectors, FaissHnswIndex) and big.vectors.size == 200
    assert big.vectors.params["ef_search"] == 90  # the search-time knob, from settings
    # searching through the pipeline gives the chunks exact search gives
    exact = FaissFlatIndex.build(np.asarray(big.snapshot.vectors))
    queries = np.asarray(big.snapshot.vectors[:40])
    _, truth = exact.search(queries, 10)
    _, got = big.vectors.search(queries, 10)
    assert _recall_at(10, truth, got) >= 0.95
    hits = reader.search("hội nghị ngoại giao số 7", top_k=3, mode="dense")
    assert len(hits.results) == 3


def test_ingest_builds_ivf_past_the_threshold_by_default_and_reads_nprobe_at_load(
    tmp_path: Path,
):
    settings = Settings(
        index_dir=tmp_path / "index", embed_backend="hash", model_cache=tmp_path / "models",
        faiss_flat_max=150, ivf_nprobe=6,
    )  # fmt: skip
    pipeline = Pipeline(settings, embedder=HashingEmbedder())
    report = pipeline.add_documents(_docs(400))  # one chunk each
    manifest = json.loads((settings.index_dir / str(report.generation) / "manifest.json")
                          .read_text(encoding="utf-8"))  # fmt: skip
    assert manifest["vector"] == {
        "kind": "faiss-ivf-ip", "params": {"nlist": 80, "nprobe": 6, "train_size": 400},
    }  # fmt: skip

    reader = Pipeline(settings.model_copy(update={"ivf_nprobe": 80}), embedder=HashingEmbedder())
    big = reader.index()
    assert isinstance(big.vectors, FaissIvfIndex) and big.vectors.size == 400
    assert big.vectors.params["nprobe"] == 80  # every list: exact
    exact = FaissFlatIndex.build(np.asarray(big.snapshot.vectors))
    queries = np.asarray(big.snapshot.vectors[:40])
    assert _recall_at(10, exact.search(queries, 10)[1], big.vectors.search(queries, 10)[1]) == 1
    assert len(reader.search("hội nghị ngoại giao số 7", top_k=3, mode="hybrid").results) == 3


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "spec",
    [VectorIndexSpec(FLAT), SMALL.choose(1000), SMALL_IVF.choose(300)],
    ids=["flat", "hnsw", "ivf"],
)
def test_loaded_indexes_map_their_vectors_from_the_file(tmp_path: Path, spec: VectorIndexSpec):
    """Workers share the vectors through the page cache instead of each holding a copy
    (FAISS's plain IO_FLAG_MMAP copied a flat index whole into memory)."""
    path = tmp_path / f"{spec.kind}.index"
    build_vector_index(spec, _unit(np.random.default_rng(4), 300)).save(path)
    index = load_vector_index(spec, path, DIM)
    assert str(path) in Path("/proc/self/maps").read_text()
    assert index.size == 300
