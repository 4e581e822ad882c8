"""Fixtures for the HTTP API tests: apps over the fast hashing-embedder pipelines.

``api_pipeline`` is one read-only seeded index shared by the whole session (tests that
write use the function-scoped ``pipeline`` fixture from tests/conftest.py instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings
from tests.conftest import SEEDS

API_KEY = "s3cret-test-key"


def seeded_pipeline(root: Path) -> Pipeline:
    """Like the ``pipeline`` fixture (hashing embedder, seeds ingested) under ``root``."""
    settings = Settings(
        index_dir=root / "index", docs_path=SEEDS, embed_backend="hash", model_cache=root / "m"
    )
    p = Pipeline(settings, embedder=HashingEmbedder())
    p.ingest([SEEDS])
    return p


@pytest.fixture(scope="session")
def api_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return seeded_pipeline(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="session")
def client(api_pipeline: Pipeline) -> Iterator[TestClient]:
    """A started (warmed-up) app over the shared read-only index; writes disabled."""
    with TestClient(create_app(pipeline=api_pipeline)) as c:
        yield c


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """``make_client(pipeline, **settings_overrides)`` -> a started TestClient."""
    opened: list[TestClient] = []

    def make(pipeline: Pipeline, *, start: bool = True, **overrides: Any) -> TestClient:
        settings = pipeline.settings.model_copy(update=overrides)
        c = TestClient(create_app(pipeline=pipeline, settings=settings))
        if start:
            c.__enter__()
            opened.append(c)
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def auth(key: str = API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's JSON error shape with ``status`` (and ``code``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "request_id", "details"} <= set(error)
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    if code is not None:
        assert error["code"] == code, error
    return error


def without_timings(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "timings_ms"}
