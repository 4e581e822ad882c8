"""GET /health, GET /ready, the docs, and the headers every response carries."""

from __future__ import annotations

import json
import logging
import time

from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.conftest import API_KEY, assert_error, auth


def wait_ready(client: TestClient, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get("/ready")
        if r.status_code == 200 or time.monotonic() > deadline:
            return r.json()
        if r.json()["error"]["code"] != "not_ready":
            return r.json()
        time.sleep(0.02)


def test_health_is_live_without_warm_up(empty_pipeline):
    client = TestClient(create_app(pipeline=empty_pipeline))  # lifespan not started
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_ready_after_warm_up(client, api_pipeline):
    body = wait_ready(client)
    snapshot = api_pipeline.index().snapshot
    assert body["status"] == "ready"
    assert body["documents"] == 5
    assert body["chunks"] == len(snapshot.chunks)
    assert body["generation"] == snapshot.generation
    assert body["model"] == api_pipeline.embedder.model_id


def test_ready_is_503_before_warm_up(empty_pipeline):
    client = TestClient(create_app(pipeline=empty_pipeline))  # lifespan not started
    error = assert_error(client.get("/ready"), 503, "not_ready")
    assert "not loaded" in error["message"]


def test_ready_is_503_when_the_index_is_missing(empty_pipeline, make_client):
    client = make_client(empty_pipeline)
    body = wait_ready(client)
    assert body["error"]["code"] == "index_missing"
    r = client.get("/ready")
    error = assert_error(r, 503, "index_missing")
    assert "rag ingest" in error["message"]
    # and the endpoints that need the index say so, with 503 rather than 500
    assert_error(client.post("/ask", json={"question": "Hà Nội?"}), 503, "index_missing")
    assert_error(client.post("/search", json={"question": "Hà Nội?"}), 503, "index_missing")
    assert_error(client.get("/documents"), 503, "index_missing")


def test_ready_turns_200_once_an_index_appears(empty_pipeline, make_client):
    client = make_client(empty_pipeline, api_key=API_KEY)
    assert wait_ready(client)["error"]["code"] == "index_missing"
    doc = {
        "doc_id": "first",
        "title": "Tài liệu đầu tiên",
        "text": "Hà Nội là thủ đô của Việt Nam.",
    }
    assert client.post("/documents", json=doc, headers=auth()).status_code == 201
    r = client.get("/ready")
    assert r.status_code == 200, r.text
    assert r.json()["documents"] == 1


def test_request_id_is_echoed_or_generated(client):
    r = client.get("/health", headers={"X-Request-ID": "client-id.42"})
    assert r.headers["x-request-id"] == "client-id.42"
    generated = client.get("/health").headers["x-request-id"]
    assert len(generated) == 32
    # an unreasonable id is replaced, not reflected
    r = client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert r.headers["x-request-id"] != "x" * 500


def test_timing_headers(client):
    r = client.post("/ask", json={"question": "Hội nghị ngoại giao lần thứ 32"})
    assert r.status_code == 200
    assert float(r.headers["x-process-time-ms"]) >= 0
    timing = r.headers["server-timing"]
    for stage in ("embed", "search", "answer", "app"):
        assert f"{stage};dur=" in timing


def test_access_log_is_one_json_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="api.access"):
        client.get("/health", headers={"X-Request-ID": "log-me"})
    lines = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    record = json.loads(next(line for line in lines if "log-me" in line))
    assert "\n" not in lines[0]
    assert record["request_id"] == "log-me"
    assert record["method"] == "GET" and record["path"] == "/health"
    assert record["status"] == 200 and record["duration_ms"] >= 0


def test_docs_and_openapi(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/health", "/ready", "/ask", "/ask/stream", "/search", "/documents",
            "/documents/{doc_id}"} <= set(paths)  # fmt: skip
    assert "ErrorResponse" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]  # one error shape
    # validation errors are documented with our error shape, not FastAPI's default
    ask_422 = paths["/ask"]["post"]["responses"]["422"]["content"]["application/json"]
    assert ask_422["schema"]["$ref"].endswith("/ErrorResponse")
    assert "text/event-stream" in paths["/ask/stream"]["post"]["responses"]["200"]["content"]
    upload = paths["/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(upload)


def test_cors_when_configured(api_pipeline, make_client):
    origin = "http://app.example"
    cors = make_client(api_pipeline, cors_origins=[origin])
    r = cors.options(
        "/ask",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == origin
    r = cors.post("/ask", json={"question": ""}, headers={"Origin": origin})
    assert r.status_code == 422 and r.headers["access-control-allow-origin"] == origin
    assert "x-request-id" in r.headers["access-control-expose-headers"].lower()


def test_no_cors_headers_by_default(client):
    r = client.get("/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
