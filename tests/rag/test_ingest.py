import shutil

import pytest

from embeddings.hashing import HashingEmbedder
from rag import Pipeline
from rag.errors import IndexMismatchError


def test_seeds_are_indexed_once(pipeline):
    docs = dict(pipeline.documents())
    assert len(docs) == 5
    snap = pipeline.index().snapshot
    assert len({c.chunk_id for c in snap.chunks}) == len(snap.chunks)  # no duplicates
    assert sum(e.chunks for e in docs.values()) == len(snap.chunks)
    for c in snap.chunks:
        assert snap.documents[c.doc_id].text[c.start : c.end] == c.text


def test_reingesting_unchanged_documents_does_nothing(pipeline, seeds_dir):
    before = pipeline.store.current()
    report = pipeline.ingest([seeds_dir])
    assert report.unchanged and not report.changed and report.embedded_chunks == 0
    assert pipeline.store.current() == before


def test_changed_document_replaces_its_chunks(settings, tmp_path, seeds_dir):
    docs = tmp_path / "docs"
    shutil.copytree(seeds_dir, docs)
    p = Pipeline(settings, embedder=HashingEmbedder())
    p.ingest([docs])
    target = docs / "004_20db11f31da62d09.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nĐoạn mới về hợp tác hữu nghị.\n",
                      encoding="utf-8")  # fmt: skip
    report = p.ingest([docs])
    assert report.updated == ["004_20db11f31da62d09"] and not report.added
    snap = p.index().snapshot
    chunks = [c for c in snap.chunks if c.doc_id == "004_20db11f31da62d09"]
    assert any("Đoạn mới" in c.text for c in chunks)
    assert len({c.chunk_id for c in snap.chunks}) == len(snap.chunks)
    assert report.embedded_chunks == len(chunks)  # only that document was re-embedded


def test_prune_removes_documents_whose_files_are_gone(settings, tmp_path, seeds_dir):
    docs = tmp_path / "docs"
    shutil.copytree(seeds_dir, docs)
    p = Pipeline(settings, embedder=HashingEmbedder())
    p.ingest([docs])
    (docs / "001_0e8e28d4b0a12a92.txt").unlink()
    assert not p.ingest([docs]).removed  # without --prune nothing is removed
    report = p.ingest([docs], prune=True)
    assert report.removed == ["001_0e8e28d4b0a12a92"]
    assert "001_0e8e28d4b0a12a92" not in dict(p.documents())
    assert all(c.doc_id != "001_0e8e28d4b0a12a92" for c in p.index().snapshot.chunks)


def test_index_built_with_another_model_is_refused(pipeline, settings, seeds_dir):
    other = Pipeline(settings, embedder=HashingEmbedder(dim=32))
    before = pipeline.store.current()
    with pytest.raises(IndexMismatchError, match="rebuild"):
        other.ingest([seeds_dir])
    with pytest.raises(IndexMismatchError):
        other.search("hội nghị")
    assert pipeline.store.current() == before
    report = other.ingest([seeds_dir], rebuild=True)
    assert len(report.added) == 5 and other.index().snapshot.vectors.shape[1] == 32


def test_delete_document(pipeline):
    pipeline.delete_document("004_20db11f31da62d09")
    assert "004_20db11f31da62d09" not in dict(pipeline.documents())
