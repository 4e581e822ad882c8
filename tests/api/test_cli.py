"""`rag serve`: refuses to start without an index (exit 3), else runs uvicorn's factory."""

from __future__ import annotations

import os
from typing import Any

import pytest
from typer.testing import CliRunner

from rag.cli.main import app


@pytest.fixture
def env(hash_env, monkeypatch):
    # set then unset: monkeypatch then restores whatever `serve` puts there
    monkeypatch.setenv("RAG_EMBED_THREADS", "1")
    monkeypatch.delenv("RAG_EMBED_THREADS")
    return hash_env


@pytest.fixture
def uvicorn_calls(monkeypatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    return calls


def test_serve_without_an_index_exits_3(env, uvicorn_calls):
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 3
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "rag ingest" in lines[0]
    assert uvicorn_calls == []


def test_serve_runs_the_app_factory(env, seeds_dir, uvicorn_calls, monkeypatch):
    assert CliRunner().invoke(app, ["ingest", str(seeds_dir)]).exit_code == 0
    monkeypatch.setenv("RAG_LOG_LEVEL", "debug")
    result = CliRunner().invoke(app, ["serve", "--port", "8123", "--workers", "2"])
    assert result.exit_code == 0, result.output
    (args, kwargs) = uvicorn_calls[0]
    assert args == ("api.main:create_app",)
    assert kwargs["factory"] is True and kwargs["host"] == "127.0.0.1"
    assert kwargs["port"] == 8123 and kwargs["workers"] == 2 and kwargs["reload"] is False
    assert kwargs["log_level"] == "debug"
    assert os.environ["RAG_EMBED_THREADS"] == "1"  # parallel requests share the cores


def test_serve_defaults_to_one_worker_per_core_with_uvloop_and_httptools(
    env, seeds_dir, uvicorn_calls, monkeypatch
):
    assert CliRunner().invoke(app, ["ingest", str(seeds_dir)]).exit_code == 0
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    kwargs = uvicorn_calls[-1][1]
    assert kwargs["workers"] == 3
    assert kwargs["loop"] == "uvloop" and kwargs["http"] == "httptools"
    monkeypatch.setenv("RAG_WORKERS", "5")
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    assert uvicorn_calls[-1][1]["workers"] == 5


@pytest.mark.parametrize(
    "args", [["--log-level", "loud"], ["--reload", "--workers", "2"], ["--port", "0"]]
)
def test_serve_rejects_bad_options(env, uvicorn_calls, args):
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code != 0
    assert uvicorn_calls == []
