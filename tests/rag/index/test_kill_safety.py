"""Crash safety with real kills: an ingest running in another process is SIGKILLed at
random (seeded) moments; after each kill the live index must load and be exactly the last
committed version or the one in flight, never a mix, with every artifact consistent
(``ingest_loop.check_live``). For FAISS (past the flat threshold, so that the default
large-corpus writer, IVF, runs in every commit) and for Milvus Lite."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import Pipeline, Settings

ROOT = Path(__file__).resolve().parents[3]
MAX_DELAY_S = 1.5
"""Kills fall uniformly in this window after the child is ready: a few ingest rounds, so
they land in loading, embedding, building, writing, renaming and pointing ``CURRENT``."""

needs_milvus = pytest.mark.skipif(
    not (importlib.util.find_spec("pymilvus") and importlib.util.find_spec("milvus_lite")),
    reason="needs the [scale] extra (pymilvus, milvus-lite)",
)
STORES = [pytest.param("faiss"), pytest.param("milvus", marks=needs_milvus)]
DEFAULT_TRIALS = {"faiss": 3, "milvus": 2}  # each Milvus Lite check is a process start


def _settings(tmp_path: Path, store: str) -> Settings:
    # every version has ~135 chunks: above the threshold, so FAISS builds IVF indexes
    return Settings(
        index_dir=tmp_path / "index", embed_backend="hash", model_cache=tmp_path / "models",
        faiss_flat_max=100, vector_store=store, milvus_uri=str(tmp_path / "milvus.db"),
    )  # fmt: skip


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "RAG_EMBED_BACKEND": settings.embed_backend,
        "RAG_MODEL_CACHE": str(settings.model_cache),
        "RAG_FAISS_FLAT_MAX": str(settings.faiss_flat_max),
        "RAG_VECTOR_STORE": settings.vector_store,
        "RAG_MILVUS_URI": str(settings.milvus_uri),
    }


def _run(settings: Settings, *args: object) -> str:
    """``ingest_loop`` to completion: in a process of its own for Milvus Lite (one process
    at a time may open its file, so the test process never does), in this one for FAISS."""
    if settings.vector_store == "faiss":
        from embeddings.hashing import HashingEmbedder
        from tests.rag.index.ingest_loop import check_live, corpus

        pipeline = Pipeline(settings, embedder=HashingEmbedder())
        if args[0] == "check":
            return str(check_live(pipeline, [int(str(a)) for a in args[1:]]))
        report = pipeline.add_documents(corpus(int(str(args[1]))))
        return json.dumps({"chunks": report.chunks, "embedded": report.embedded_chunks})
    command = [sys.executable, "-m", "tests.rag.index.ingest_loop", *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, env=_env(settings), capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _kill_trials(tmp_path: Path, store: str, trials: int, seed: int) -> list[int]:
    settings = _settings(tmp_path, store)
    _run(settings, "once", 0)
    rng = random.Random(seed)
    live, seen = 0, []
    for _ in range(trials):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.rag.index.ingest_loop", "loop", str(live)],
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
        live = int(_run(settings, "check", last, last + 1))  # the old or the new one
        seen.append(live - last)  # 1: the kill came after the commit, before its report

    # the store recovers: the next ingest commits, and kill leftovers are collected
    report = json.loads(_run(settings, "once", live + 1))
    assert int(_run(settings, "check", live + 1)) == live + 1
    assert report["embedded"] < report["chunks"]  # unchanged documents were not re-embedded
    root = settings.index_dir
    assert not list(root.glob(".tmp-*")) and not list(root.glob(".CURRENT.tmp-*"))
    assert len(list(root.glob("gen-*"))) <= 2
    return seen


@pytest.mark.parametrize("store", STORES)
def test_a_killed_ingest_leaves_the_old_or_the_new_index(tmp_path: Path, store: str):
    _kill_trials(tmp_path, store, trials=DEFAULT_TRIALS[store], seed=15)


@pytest.mark.slow
@pytest.mark.parametrize("store", STORES)
def test_twenty_five_killed_ingests_never_leave_a_mixed_or_unloadable_index(
    tmp_path: Path, store: str
):
    _kill_trials(tmp_path, store, trials=25, seed=2026)


def test_the_checks_catch_a_mixed_index(tmp_path: Path):
    """The checker is not vacuous: a live index whose documents come from two versions
    is refused."""
    from embeddings.hashing import HashingEmbedder
    from tests.rag.index.ingest_loop import check_live, corpus

    settings = _settings(tmp_path, "faiss")
    pipeline = Pipeline(settings, embedder=HashingEmbedder())
    pipeline.add_documents(corpus(1))
    pipeline.add_documents(corpus(2)[:45])  # half of version 2 over version 1
    with pytest.raises(AssertionError, match="mixed"):
        check_live(pipeline, (1, 2))
