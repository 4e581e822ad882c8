"""BM25 in Milvus (Milvus Lite, the real engine embedded): the analyzer keeps Vietnamese
syllables, it ranks and scores like the bm25s files (with and without diacritics), and a
Milvus pipeline over the seeds retrieves the passages the FAISS + bm25s one does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from embeddings.hashing import HashingEmbedder
from eval.gold import load_gold, select_split
from rag import Pipeline, Settings
from rag.errors import InputError
from rag.index.milvus_index import MilvusConnection, MilvusIndex, analyzer_params
from rag.index.searchable import chunk_text_for_index
from rag.index.vector_index import VectorIndexSpec, VectorPolicy, build_vector_index
from rag.retrieval.bm25 import Bm25Index, lexical_fields
from rag.retrieval.milvus_bm25 import MilvusBm25Index
from rag.textnorm import syllables

ROOT = Path(__file__).resolve().parents[3]

TEXTS = [
    "Hội nghị ngoại giao lần thứ 32 diễn ra sáng 19/12",
    "Hội nghị đối ngoại toàn quốc năm 2021 tại phòng họp Diên Hồng",
    "Uỷ ban Đối ngoại của Quốc hội báo cáo",
    "Hồi ức về hội thảo khoa học; hồi đó, hơi nghị lực",
]
QUERIES = [
    "ngoại giao lần thứ 32",
    "Hoi nghi ngoai giao lan thu 32",
    "Ủy ban đối ngoại",
    "hội",
    "hồi",
    "hoi",
    "Diên Hồng",
    "When was the diplomatic conference held",
    "zzz qqq",
]


def _lexical(texts: list[str]) -> list[tuple[str, str]]:
    return [(" ".join(a), " ".join(f)) for a, f in map(lexical_fields, texts)]


@pytest.fixture
def milvus_bm25(tmp_path: Path) -> MilvusBm25Index:
    connection = MilvusConnection.for_index(str(tmp_path / "milvus.db"), tmp_path / "index")
    policy = VectorPolicy(store="milvus", milvus=connection, lexical="milvus")
    vectors = np.eye(len(TEXTS), 8, dtype=np.float32)
    index = build_vector_index(policy.choose(len(TEXTS)), vectors, policy, _lexical(TEXTS))
    return MilvusBm25Index.of(index)


def test_the_analyzer_keeps_vietnamese_syllables():
    # Milvus Lite has no run_analyzer; its engine builds the fields' analyzer from the same
    # params with this factory, so the tokens it indexes are these
    from milvus_lite.analyzer.factory import create_analyzer

    analyzer = create_analyzer(analyzer_params(lite=True))
    for text in [*TEXTS, "Thủ tướng Phạm Minh Chính chủ trì; COVID-19, năm 2021-2022."]:
        accented, folded = lexical_fields(text)
        assert analyzer.tokenize(" ".join(accented)) == accented == syllables(text)
        assert analyzer.tokenize(" ".join(folded)) == folded
    assert "hội" in lexical_fields(TEXTS[0])[0] and "hoi" in lexical_fields(TEXTS[0])[1]
    assert analyzer_params(lite=False) == {"tokenizer": "whitespace", "filter": ["lowercase"]}


def test_syllables_with_and_without_diacritics_are_found(milvus_bm25: MilvusBm25Index):
    def rows(query: str) -> set[int]:
        return {row for row, _ in milvus_bm25.top(query, 10)}

    assert rows("hội") == {0, 1, 2, 3}  # "hội" only, not "hồi"/"hơi"
    assert rows("hồi") == {3}
    assert rows("hoi") == {0, 1, 2, 3}  # typed without diacritics: the folded field
    assert (
        rows("Hoi nghi ngoai giao lan thu 32") >= {0}
        and milvus_bm25.top("Hoi nghi ngoai giao lan thu 32", 1)[0][0] == 0
    )
    assert milvus_bm25.top("Ủy ban đối ngoại", 1)[0][0] == 2  # tone placement normalised
    assert milvus_bm25.top("zzz qqq", 5) == [] and milvus_bm25.top("", 5) == []
    assert milvus_bm25.coverage("hoi nghi ngoai giao") == 1.0
    assert milvus_bm25.coverage("hội nghị zzz") == pytest.approx(2 / 3)


def test_milvus_bm25_ranks_and_scores_like_bm25s(milvus_bm25: MilvusBm25Index):
    files = Bm25Index.build(TEXTS)
    assert milvus_bm25.size == files.size == len(TEXTS)
    for query in QUERIES:
        expected, got = files.top(query, 10), milvus_bm25.top(query, 10)
        assert [r for r, _ in got] == [r for r, _ in expected], query
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-4)
        assert milvus_bm25.coverage(query) == pytest.approx(files.coverage(query)), query


def test_empty_and_oversized_chunks_are_indexed(tmp_path: Path):
    connection = MilvusConnection.for_index(str(tmp_path / "milvus.db"), tmp_path / "index")
    policy = VectorPolicy(store="milvus", milvus=connection, lexical="milvus")
    texts = ["", "Hội nghị", "   ", "Ngoại giao " * 8000]  # the last: ~110 kB, over VARCHAR's
    vectors = np.eye(4, 4, dtype=np.float32)
    index = build_vector_index(policy.choose(4), vectors, policy, _lexical(texts))
    bm25 = MilvusBm25Index.of(index)
    assert bm25.size == 4
    assert [row for row, _ in bm25.top("hội nghị", 5)] == [1]
    assert [row for row, _ in bm25.top("ngoại giao", 5)] == [3]  # cut to fit, still found


def test_a_vector_only_collection_has_no_bm25(tmp_path: Path):
    connection = MilvusConnection.for_index(str(tmp_path / "milvus.db"), tmp_path / "index")
    policy = VectorPolicy(store="milvus", milvus=connection)
    index = build_vector_index(VectorIndexSpec("milvus-ip"), np.eye(3, 4, dtype=np.float32), policy)
    assert isinstance(index, MilvusIndex) and not index.has_lexical
    with pytest.raises(ValueError, match="no BM25"):
        MilvusBm25Index.of(index)
    with pytest.raises(ValueError, match="milvus vector store"):
        VectorPolicy(lexical="milvus")


def _settings(tmp_path: Path, store: str, **extra: object) -> Settings:
    return Settings(
        index_dir=tmp_path / "index", embed_backend="hash", model_cache=tmp_path / "models",
        vector_store=store, milvus_uri=str(tmp_path / "milvus.db"), **extra,
    )  # fmt: skip


def test_the_lexical_store_follows_the_vector_store_and_is_kept_by_the_index(
    tmp_path: Path, seeds_dir: Path
):
    milvus = Pipeline(_settings(tmp_path / "m", "milvus"), embedder=HashingEmbedder())
    milvus.ingest([seeds_dir])
    index = milvus.index()
    assert isinstance(index.bm25, MilvusBm25Index)
    assert index.bm25.collection == index.vectors.collection  # type: ignore[attr-defined]
    assert index.snapshot.path is not None
    bm25_dir = index.snapshot.path / "bm25"
    assert json.loads((bm25_dir / "meta.json").read_text())["store"] == "milvus"
    assert sorted(p.name for p in bm25_dir.iterdir()) == ["meta.json"]  # no bm25s files

    # an index built with bm25s files keeps them whatever RAG_LEXICAL_STORE says later
    files = _settings(tmp_path / "b", "milvus", lexical_store="bm25s")
    Pipeline(files, embedder=HashingEmbedder()).ingest([seeds_dir])
    reader = Pipeline(files.model_copy(update={"lexical_store": "auto"}), HashingEmbedder())
    assert isinstance(reader.index().bm25, Bm25Index)

    faiss = Pipeline(_settings(tmp_path / "f", "faiss", lexical_store="milvus"), HashingEmbedder())
    with pytest.raises(InputError, match="RAG_VECTOR_STORE=milvus"):
        faiss.ingest([seeds_dir])


def test_unchanged_documents_keep_their_bm25_in_each_new_generation(
    tmp_path: Path, seeds_dir: Path
):
    pipeline = Pipeline(_settings(tmp_path, "milvus"), embedder=HashingEmbedder())
    files = sorted(seeds_dir.glob("*.txt"))
    pipeline.ingest(files[:1])
    report = pipeline.ingest(files[:2])
    assert report.embedded_chunks < report.chunks  # the first file was not re-embedded
    index = pipeline.index()
    assert isinstance(index.bm25, MilvusBm25Index) and index.bm25.size == report.chunks
    snapshot = index.snapshot
    texts = [chunk_text_for_index(snapshot.documents[c.doc_id], c) for c in snapshot.chunks]
    files_bm25 = Bm25Index.build(texts)
    for chunk in snapshot.chunks[:: max(1, len(texts) // 6)]:  # chunks of both documents
        query = " ".join(chunk.text.split()[:10])
        expected, got = files_bm25.top(query, 10), index.bm25.top(query, 10)
        assert [r for r, _ in got] == [r for r, _ in expected], query
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-4)


def test_hybrid_over_milvus_gives_the_faiss_bm25s_top_passage(tmp_path: Path, seeds_dir: Path):
    """Gold test questions, hashing embedder: the same top passage as FAISS + bm25s for at
    least 95 % of them, in hybrid and in BM25 mode."""
    faiss = Pipeline(_settings(tmp_path / "f", "faiss"), embedder=HashingEmbedder())
    milvus = Pipeline(_settings(tmp_path / "m", "milvus"), embedder=HashingEmbedder())
    for p in (faiss, milvus):
        p.ingest([seeds_dir])
    assert isinstance(milvus.index().bm25, MilvusBm25Index)
    questions = [g.question for g in select_split(load_gold(ROOT / "eval/gold.jsonl"), "test")]
    assert len(questions) >= 40
    for mode in ("hybrid", "bm25"):
        same = 0
        for question in questions:
            a = faiss.search(question, top_k=5, mode=mode).results
            b = milvus.search(question, top_k=5, mode=mode).results
            same += [r.chunk_id for r in a[:1]] == [r.chunk_id for r in b[:1]]
        assert same / len(questions) >= 0.95, (mode, same, len(questions))
