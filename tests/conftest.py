"""Shared fixtures: the real seeds, settings pointing at temp dirs, and pipelines.

``pipeline`` uses the tiny deterministic hashing embedder (fast, no model);
``e5_pipeline`` (session-scoped, marked integration) runs the real multilingual-e5-small
over the real seeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def hash_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """RAG_* for a CLI run with the hashing embedder over an index in ``tmp_path``."""
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_EMBED_BACKEND", "hash")
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path / "models"))
    return tmp_path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        index_dir=tmp_path / "index",
        docs_path=SEEDS,
        embed_backend="hash",
        model_cache=tmp_path / "models",
    )


@pytest.fixture
def pipeline(settings: Settings) -> Pipeline:
    """A hashing-embedder pipeline with the seeds ingested into a temp index."""
    p = Pipeline(settings, embedder=HashingEmbedder())
    p.ingest([SEEDS])
    return p


@pytest.fixture
def empty_pipeline(settings: Settings) -> Pipeline:
    """A hashing-embedder pipeline with no index yet."""
    return Pipeline(settings, embedder=HashingEmbedder())


@pytest.fixture(scope="session")
def e5_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The real model over the real seeds (provisioned once into the user's model cache)."""
    index_dir = tmp_path_factory.mktemp("e5-index")
    p = Pipeline(Settings(index_dir=index_dir, docs_path=SEEDS))
    p.ingest([SEEDS])
    yield p


@pytest.fixture(scope="session")
def e5_fp32_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The fp32 model (torch) over the real seeds: what ``rag eval --calibrate`` fitted the
    answer models on (the default pipeline runs the verified int8 encoder)."""
    index_dir = tmp_path_factory.mktemp("e5-fp32-index")
    p = Pipeline(
        Settings(index_dir=index_dir, docs_path=SEEDS, embed_backend="sentence-transformers")
    )
    p.ingest([SEEDS])
    yield p


# Abstention thresholds no confidence falls below.
NEVER_ABSTAIN = dict.fromkeys(("vi", "vi-noaccent", "en"), -1e9)


@pytest.fixture
def never_abstaining(settings: Settings, tmp_path: Path):
    """``make(filename, text)``: a hashing-embedder pipeline over that one document whose
    extractive answerer never abstains (to test which sentence it answers with)."""

    def make(filename: str, text: str) -> Pipeline:
        docs = tmp_path / "docs"
        docs.mkdir(exist_ok=True)
        (docs / filename).write_text(text, encoding="utf-8")
        p = Pipeline(settings.model_copy(update={"docs_path": docs}), embedder=HashingEmbedder())
        p.ingest([docs])
        answerer = p.answerer("extractive")
        answerer.calibration = {**answerer.calibration, "thresholds": NEVER_ABSTAIN}
        return p

    return make


@pytest.fixture
def seeds_answerer(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch):
    """The extractive answerer of ``pipeline`` (the seeds), made never to abstain by its
    model's thresholds (the checks after it still may)."""
    answerer = pipeline.answerer("extractive")
    monkeypatch.setitem(answerer.calibration, "thresholds", NEVER_ABSTAIN)
    return answerer
