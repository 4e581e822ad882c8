"""Milvus (through Milvus Lite, the real engine embedded) as the vector store: the same
results as FAISS, a collection per generation reached through the store's ``CURRENT``,
old collections dropped, and a store of the other kind refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings
from rag.errors import IndexMismatchError
from rag.index.faiss_index import FaissFlatIndex
from rag.index.milvus_index import MilvusConnection, MilvusIndex, _client
from rag.index.vector_index import (
    MILVUS,
    VectorIndexSpec,
    VectorPolicy,
    build_vector_index,
    load_vector_index,
)

DIM = 32


def _unit(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def policy(tmp_path: Path) -> VectorPolicy:
    connection = MilvusConnection.for_index(str(tmp_path / "milvus.db"), tmp_path / "index")
    return VectorPolicy(store="milvus", milvus=connection)


def test_milvus_search_equals_exact_faiss_search_and_survives_save_and_load(
    tmp_path: Path, policy: VectorPolicy
):
    base, queries = _unit(300, 1), _unit(20, 2)
    spec = policy.choose(len(base))
    assert spec == VectorIndexSpec(MILVUS)
    index = build_vector_index(spec, base, policy)
    assert isinstance(index, MilvusIndex) and index.size == 300
    index.save(tmp_path / "vectors.index")
    loaded = load_vector_index(spec, tmp_path / "vectors.index", DIM, None, policy)

    exact_scores, exact_ids = FaissFlatIndex.build(base).search(queries, 10)
    scores, ids = loaded.search(queries, 10)
    assert (ids == exact_ids).mean() >= 0.99  # ties aside, the same rows in the same order
    np.testing.assert_allclose(scores, exact_scores, atol=1e-5)

    empty = build_vector_index(spec, np.zeros((0, DIM), np.float32), policy)
    _, none = empty.search(queries[:2], 5)
    assert (none == -1).all()
    with pytest.raises(ValueError, match="dimension"):
        load_vector_index(spec, tmp_path / "vectors.index", DIM + 1, None, policy)


def _settings(tmp_path: Path, store: str) -> Settings:
    return Settings(
        index_dir=tmp_path / "index", embed_backend="hash", model_cache=tmp_path / "models",
        vector_store=store, milvus_uri=str(tmp_path / "milvus.db"),
    )  # fmt: skip


def test_a_milvus_pipeline_answers_like_the_faiss_one(tmp_path: Path, seeds_dir: Path):
    faiss_pipeline = Pipeline(_settings(tmp_path / "f", "faiss"), embedder=HashingEmbedder())
    milvus_pipeline = Pipeline(_settings(tmp_path / "m", "milvus"), embedder=HashingEmbedder())
    for p in (faiss_pipeline, milvus_pipeline):
        p.ingest([seeds_dir])
    assert isinstance(milvus_pipeline.index().vectors, MilvusIndex)
    questions = ("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào",
                 "hoi nghi doi ngoai toan quoc 2021", "Who chaired the conference?")  # fmt: skip
    for question in questions:
        a = faiss_pipeline.search(question, top_k=5, mode="dense").results
        b = milvus_pipeline.search(question, top_k=5, mode="dense").results
        assert [r.chunk_id for r in a] == [r.chunk_id for r in b]
        h = milvus_pipeline.search(question, top_k=5, mode="hybrid").results
        assert [r.chunk_id for r in h] == [
            r.chunk_id for r in faiss_pipeline.search(question, top_k=5, mode="hybrid").results
        ]


def test_generations_get_their_own_collections_and_old_ones_are_dropped(
    tmp_path: Path, seeds_dir: Path
):
    settings = _settings(tmp_path, "milvus")
    pipeline = Pipeline(settings, embedder=HashingEmbedder())
    files = sorted(seeds_dir.glob("*.txt"))
    assert len(files) >= 3
    collections, added = [], []
    for n in (1, 2, 3):
        report = pipeline.ingest(files[:n])
        added += report.added
        assert report.embedded_chunks < report.chunks or n == 1  # unchanged: not re-embedded
        collections.append(pipeline.index().vectors.collection)  # type: ignore[attr-defined]
        assert pipeline.index().vectors.size == report.chunks
    assert len(set(collections)) == 3
    prefix = pipeline.vector_policy().milvus.collection_prefix  # type: ignore[union-attr]
    client = _client(str(tmp_path / "milvus.db"), None, None)
    alive = sorted(c for c in client.list_collections() if c.startswith(prefix))
    assert alive == sorted(collections[1:])  # the live one and the previous one

    # a collection a killed ingest created (never pointed at) goes at the next commit
    orphan = build_vector_index(VectorIndexSpec(MILVUS), _unit(3, 0), pipeline.vector_policy())
    pipeline.delete_document(added[-1])
    alive = sorted(c for c in client.list_collections() if c.startswith(prefix))
    assert orphan.collection not in alive  # type: ignore[attr-defined]
    assert len(alive) == 2


def test_an_index_of_the_other_store_is_refused(tmp_path: Path, seeds_dir: Path):
    Pipeline(_settings(tmp_path, "faiss"), embedder=HashingEmbedder()).ingest([seeds_dir])
    milvus = Pipeline(_settings(tmp_path, "milvus"), embedder=HashingEmbedder())
    with pytest.raises(IndexMismatchError, match="vector index faiss"):
        milvus.index()
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        milvus.ingest([seeds_dir])
    report = milvus.ingest([seeds_dir], rebuild=True)
    assert isinstance(milvus.index().vectors, MilvusIndex)
    assert milvus.index().vectors.size == report.chunks


def test_a_milvus_lite_file_open_in_another_process_is_a_clear_error(tmp_path: Path):
    import subprocess
    import sys

    from rag.errors import VectorStoreError

    uri = str(tmp_path / "busy.db")
    _client(uri, None, None)  # this process holds the file
    code = (
        "import sys\n"
        "from rag.errors import VectorStoreError\n"
        "from rag.index.milvus_index import _client\n"
        "try:\n"
        f"    _client({uri!r}, None, None)\n"
        "except VectorStoreError as exc:\n"
        "    print(exc)\n"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, timeout=120).stdout  # fmt: skip
    assert "cannot open Milvus" in out and "one process at a time" in out
    assert issubclass(VectorStoreError, Exception)
