"""Crash safety with real kills: an ingest running in another process is SIGKILLed at
random (seeded) moments; after each kill the live index must load and be exactly the last
committed version or the one in flight, never a mix, with every artifact consistent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings
from rag.index.searchable import VECTORS_ARTIFACT, chunk_text_for_index
from rag.index.store import IndexStore
from rag.index.vector_index import HNSW, load_vector_index
from rag.retrieval.bm25 import ARTIFACT as BM25_ARTIFACT
from rag.retrieval.bm25 import Bm25Index
from tests.rag.index.ingest_loop import corpus

ROOT = Path(__file__).resolve().parents[3]
MAX_DELAY_S = 1.5
"""Kills fall uniformly in this window after the child is ready: a few ingest rounds, so
they land in loading, embedding, building, writing, renaming and pointing ``CURRENT``."""


def _settings(index_dir: Path) -> Settings:
    # below ~135 chunks: exact search for some versions' sizes would be chosen, but every
    # version has more, so the HNSW writer runs in every commit
    return Settings(
        index_dir=index_dir, embed_backend="hash", model_cache=index_dir.parent / "models",
        faiss_flat_max=100,
    )  # fmt: skip


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "RAG_EMBED_BACKEND": settings.embed_backend,
        "RAG_MODEL_CACHE": str(settings.model_cache),
        "RAG_FAISS_FLAT_MAX": str(settings.faiss_flat_max),
    }


def _check_live(settings: Settings, candidates: tuple[int, ...]) -> int:
    """The version the live index is (one of ``candidates``), after checking that every
    part of it agrees: documents, manifest, chunks, vectors, vector index and BM25."""
    snapshot = IndexStore(settings.index_dir).load()
    pipeline = Pipeline(settings, embedder=HashingEmbedder())
    snapshot.manifest.config.check_matches(pipeline.index_config())

    texts = {d: doc.text for d, doc in snapshot.documents.items()}
    versions = [v for v in candidates if texts == {d.doc_id: d.text for d in corpus(v)}]
    assert versions, f"live index is none of versions {candidates} (mixed?)"

    entries = snapshot.manifest.documents
    assert set(entries) == set(snapshot.documents)
    for doc_id, doc in snapshot.documents.items():
        assert entries[doc_id].content_hash == doc.content_hash
    assert sum(e.chunks for e in entries.values()) == len(snapshot.chunks)
    for chunk in snapshot.chunks:
        assert snapshot.documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text

    texts_indexed = [chunk_text_for_index(snapshot.documents[c.doc_id], c) for c in snapshot.chunks]
    np.testing.assert_allclose(
        snapshot.vectors, HashingEmbedder().embed_passages(texts_indexed), atol=1e-6
    )
    assert snapshot.path is not None
    spec = snapshot.manifest.vector
    assert spec.kind == HNSW
    vectors = load_vector_index(spec, snapshot.path / VECTORS_ARTIFACT, snapshot.vectors.shape[1])
    assert vectors.size == len(snapshot.chunks)
    scores, _ = vectors.search(np.asarray(snapshot.vectors[:5]), 1)
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)  # each row finds itself
    assert Bm25Index.load(snapshot.path / BM25_ARTIFACT).size == len(snapshot.chunks)
    return versions[0]


def _kill_trials(tmp_path: Path, trials: int, seed: int) -> list[int]:
    settings = _settings(tmp_path / "index")
    Pipeline(settings, embedder=HashingEmbedder()).add_documents(corpus(0))
    rng = random.Random(seed)
    live, seen = 0, []
    for _ in range(trials):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.rag.index.ingest_loop", str(live)],
            cwd=ROOT, env=_env(settings), stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, MAX_DELAY_S))  # a random moment, not a timing assertion
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        assert child.returncode == -signal.SIGKILL, out  # it was still ingesting
        lines = out.splitlines()
        committed = [int(line.split()[1]) for line in lines if line.startswith("committed")]
        last = committed[-1] if committed else live
        live = _check_live(settings, (last, last + 1))  # the old or the new one
        seen.append(live - last)  # 1: the kill came after the commit, before its report

    # the store recovers: the next ingest commits, and kill leftovers are collected
    pipeline = Pipeline(settings, embedder=HashingEmbedder())
    report = pipeline.add_documents(corpus(live + 1))
    assert _check_live(settings, (live + 1,)) == live + 1
    assert report.embedded_chunks < report.chunks  # unchanged documents were not re-embedded
    root = settings.index_dir
    assert not list(root.glob(".tmp-*")) and not list(root.glob(".CURRENT.tmp-*"))
    assert len(list(root.glob("gen-*"))) <= 2
    return seen


def test_a_killed_ingest_leaves_the_old_or_the_new_index(tmp_path: Path):
    _kill_trials(tmp_path, trials=3, seed=15)


@pytest.mark.slow
def test_twenty_five_killed_ingests_never_leave_a_mixed_or_unloadable_index(tmp_path: Path):
    _kill_trials(tmp_path, trials=25, seed=2026)
