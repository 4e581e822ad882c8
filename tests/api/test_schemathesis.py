"""Property-based fuzzing of every operation in the app's own OpenAPI schema: whatever
Schemathesis sends (valid and invalid bodies, odd strings, wrong types, uploads), the API
answers without a 5xx and every error is the documented JSON shape (OpenAI's on the
OpenAI-compatible ``/v1`` routes, the project's elsewhere).

Bounded: ``max_examples`` per operation, derandomized, no example database.

The schema is loaded eagerly (``from_dict``) and the requests go to a fixture-built app
via ``case.call(app=...)``: ``schemathesis.pytest.from_fixture`` (lazy loading) breaks on
pytest 9.2, which renamed ``Node._nodeid``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from api.main import create_app
from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings
from tests.api.conftest import API_KEY, auth, seeded_pipeline

MAX_EXAMPLES = 25

# The OpenAPI document does not depend on the index: build it from an app whose pipeline
# never loads anything.
_schema_app = create_app(
    pipeline=Pipeline(
        Settings(index_dir=Path("/nonexistent/index"), embed_backend="hash"),
        embedder=HashingEmbedder(),
    )
)
schema = schemathesis.openapi.from_dict(_schema_app.openapi())


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The real app over a seeded index of its own, writes enabled (the fuzzer may add
    and delete documents)."""
    pipeline = seeded_pipeline(tmp_path_factory.mktemp("fuzz"))
    app = create_app(
        pipeline=pipeline, settings=pipeline.settings.model_copy(update={"api_key": API_KEY})
    )
    # ``case.call(app=...)`` does not run the lifespan: warm up as it would (else /ready
    # rightly answers 503 not_ready)
    app.state.service.start()
    app.state.service.done.wait(60)
    yield app


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: schemathesis.Case, fuzz_app: FastAPI) -> None:
    # with the key, so that the write endpoints get past auth and see the fuzzed bodies
    response = case.call(app=fuzz_app, headers=auth(API_KEY), timeout=30)
    assert response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert {"code", "message"} <= set(body["error"])
        if case.operation.path.startswith("/v1/"):  # OpenAI's shape on the /v1 routes
            assert set(body["error"]) == {"message", "type", "param", "code"}, body
            assert header(response, "x-request-id")
        else:
            assert body["error"]["request_id"] == header(response, "x-request-id")


def header(response: schemathesis.Response, name: str) -> str | None:
    values = response.headers.get(name)  # Schemathesis keeps every value of a header
    return values[0] if values else None
