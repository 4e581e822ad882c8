"""``rag ingest --ray``: a Ray ingest gives the serial ingest's index (same documents,
chunks and offsets; vectors equal within float tolerance), stays incremental, and fails
with the serial ingest's one-line errors.

One local Ray (2 CPUs, no dashboard) serves the whole module: starting Ray costs seconds.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings
from rag.cli.main import app
from rag.documents import load_documents
from rag.errors import DocumentError, ModelError
from rag.ingest_ray import EMBED_STEP, embedding_steps

ray = pytest.importorskip("ray", reason="Ray is the [scale] extra")

BAD_FILE = "003_bad.txt"


def _ray_settings(settings: Settings, index: Path, **overrides: object) -> Settings:
    return settings.model_copy(
        update={"index_dir": index, "ray_workers": 2, "ray_worker_cpus": 1, **overrides}
    )


def assert_same_index(ray_pipeline: Pipeline, serial: Pipeline, atol: float = 1e-6) -> None:
    got, want = ray_pipeline.index().snapshot, serial.index().snapshot
    assert got.documents == want.documents
    got_entries = {d: (e.content_hash, e.chunks, e.path) for d, e in got.manifest.documents.items()}
    want_entries = {
        d: (e.content_hash, e.chunks, e.path) for d, e in want.manifest.documents.items()
    }
    assert got_entries == want_entries
    assert got.manifest.config == want.manifest.config
    assert [(c.chunk_id, c.text, c.start, c.end) for c in got.chunks] == [
        (c.chunk_id, c.text, c.start, c.end) for c in want.chunks
    ]
    assert got.vectors.shape == want.vectors.shape
    np.testing.assert_allclose(got.vectors, want.vectors, atol=atol)


# ------------------------------------------------------------------ without a cluster
def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def env(hash_env):
    return hash_env


def test_without_ray_installed_the_cli_says_which_extra(env, seeds_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = run("ingest", str(seeds_dir), "--ray")
    assert result.exit_code == 7
    assert result.output.strip().splitlines() == [
        "error: Ray is not installed: pip install 'hoinghi-qa[scale]' (or 'ray[data]')"
    ]
    assert not (env / "index").exists()


@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1"])
def test_an_unreachable_cluster_is_one_line_and_nothing_is_written(
    env, seeds_dir, monkeypatch, address
):
    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # even inside the module's Ray
    result = run("ingest", str(seeds_dir), "--ray-address", address)
    assert result.exit_code == 7, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: cannot reach the Ray cluster at '{address}': ")
    assert not (env / "index").exists()


# ------------------------------------------------------------------ on a local Ray
@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(
        address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
        logging_level=logging.ERROR,
    )  # fmt: skip
    yield
    ray.shutdown()


def test_ray_ingest_equals_the_serial_ingest(local_ray, pipeline, settings, tmp_path, seeds_dir):
    ray_pipeline = Pipeline(_ray_settings(settings, tmp_path / "ray"), embedder=HashingEmbedder())
    totals: list[int] = []
    advanced: list[int] = []

    def progress(total: int):
        totals.append(total)
        return advanced.append

    report = ray_pipeline.ingest([seeds_dir], ray=True, progress=progress)
    assert len(report.added) == 5 and report.embedded_chunks == report.chunks > EMBED_STEP
    assert totals == [report.chunks] and sorted(advanced) == sorted(  # per step, as they come
        len(step) for step in embedding_steps(range(report.chunks))
    )
    assert_same_index(ray_pipeline, pipeline)
    query = "Hội nghị Ngoại giao lần thứ 32 diễn ra khi nào?"
    assert [r.chunk_id for r in ray_pipeline.search(query, 5).results] == [
        r.chunk_id for r in pipeline.search(query, 5).results
    ]


def test_ray_ingest_is_incremental_like_the_serial_one(local_ray, settings, tmp_path, seeds_dir):
    docs = tmp_path / "docs"
    shutil.copytree(seeds_dir, docs)
    ray_pipeline = Pipeline(_ray_settings(settings, tmp_path / "ray"), embedder=HashingEmbedder())
    serial = Pipeline(settings, embedder=HashingEmbedder())
    ray_pipeline.ingest([docs], ray=True)
    before = ray_pipeline.store.current()
    report = ray_pipeline.ingest([docs], ray=True)
    assert not report.changed and report.embedded_chunks == 0
    assert ray_pipeline.store.current() == before  # nothing committed

    target = docs / "004_20db11f31da62d09.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nĐoạn mới về hợp tác.\n",
                      encoding="utf-8")  # fmt: skip
    (docs / "001_0e8e28d4b0a12a92.txt").unlink()
    report = ray_pipeline.ingest([docs], ray=True, prune=True)
    assert report.updated == ["004_20db11f31da62d09"] and not report.added
    assert report.removed == ["001_0e8e28d4b0a12a92"]
    changed = [c for c in ray_pipeline.index().snapshot.chunks if c.doc_id in report.updated]
    assert report.embedded_chunks == len(changed)  # only the changed document was embedded
    serial.ingest([docs])
    assert_same_index(ray_pipeline, serial)


def test_a_bad_file_fails_the_ray_ingest_as_it_fails_the_serial_one(
    local_ray, settings, tmp_path, seeds_dir
):
    docs = tmp_path / "docs"
    shutil.copytree(seeds_dir, docs)
    (docs / BAD_FILE).write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(DocumentError) as serial:
        load_documents([docs])
    ray_pipeline = Pipeline(_ray_settings(settings, tmp_path / "ray"), embedder=HashingEmbedder())
    with pytest.raises(DocumentError) as on_ray:
        ray_pipeline.ingest([docs], ray=True)
    assert on_ray.value.message == serial.value.message and BAD_FILE in serial.value.message
    assert not ray_pipeline.store.exists()


def test_a_duplicate_id_fails_the_ray_ingest_as_it_fails_the_serial_one(
    local_ray, settings, tmp_path, seeds_dir
):
    docs = tmp_path / "docs"
    (docs / "b").mkdir(parents=True)
    shutil.copy(seeds_dir / "002_d729f544271d1c8c.txt", docs)
    shutil.copy(seeds_dir / "002_d729f544271d1c8c.txt", docs / "b")
    with pytest.raises(DocumentError) as serial:
        load_documents([docs])
    ray_pipeline = Pipeline(_ray_settings(settings, tmp_path / "ray"), embedder=HashingEmbedder())
    with pytest.raises(DocumentError) as on_ray:
        ray_pipeline.ingest([docs], ray=True)
    assert "duplicate document id" in serial.value.message
    assert on_ray.value.message == serial.value.message


def test_a_worker_with_another_encoder_is_refused(local_ray, settings, tmp_path, seeds_dir):
    """The actors build their encoder from the settings; an index configured for another
    encoder (here a 32-d one in this process) is not written with their vectors."""
    ray_pipeline = Pipeline(_ray_settings(settings, tmp_path / "ray"), embedder=HashingEmbedder(32))
    with pytest.raises(ModelError, match="Ray worker's encoder is 'hashing-trigram-64"):
        ray_pipeline.ingest([seeds_dir], ray=True)
    assert not ray_pipeline.store.exists()


def test_the_cli_ingests_on_ray(local_ray, env, seeds_dir, pipeline, monkeypatch):
    monkeypatch.setenv("RAG_INDEX_DIR", str(env / "cli-index"))  # not the serial one's
    result = run("ingest", str(seeds_dir), "--ray")
    assert result.exit_code == 0, result.output
    chunks = len(pipeline.index().snapshot.chunks)
    assert f"5 added, 0 updated, 0 unchanged, 0 removed; chunks: {chunks} ({chunks} embedded)" in (
        " ".join(result.output.split())
    )
    on_disk = Pipeline(Settings(), embedder=HashingEmbedder())  # RAG_* from the environment
    assert on_disk.settings.index_dir == env / "cli-index"
    assert_same_index(on_disk, pipeline)


@pytest.mark.integration
def test_ray_ingest_with_the_real_encoder_equals_the_serial_cli_one(
    local_ray, e5_pipeline, tmp_path, seeds_dir
):
    """The int8 encoder's vectors depend on which texts share a call (up to 0.011 apart):
    equal to the serial `rag ingest`, which embeds the same EMBED_STEP groups (its progress
    steps); within that noise of a library ingest that embedded everything in one call."""
    settings = e5_pipeline.settings.model_copy(
        update={"index_dir": tmp_path / "ray", "ray_workers": 2, "ray_worker_cpus": 1}
    )
    ray_pipeline = Pipeline(settings)
    ray_pipeline.ingest([seeds_dir], ray=True)
    serial_cli = Pipeline(settings.model_copy(update={"index_dir": tmp_path / "serial"}))
    serial_cli.ingest([seeds_dir], progress=lambda total: lambda n: None)  # as the CLI does
    assert_same_index(ray_pipeline, serial_cli)

    got, one_call = ray_pipeline.index().snapshot.vectors, e5_pipeline.index().snapshot.vectors
    assert len(got) > EMBED_STEP  # more than one step, or the grouping would not matter
    assert float(np.min(np.sum(got * one_call, axis=1))) > 0.995
