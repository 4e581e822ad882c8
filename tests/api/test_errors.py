"""Bad input never gives a 500 or a traceback: every error is the one JSON shape."""

from __future__ import annotations

import logging

import pytest

from rag.errors import (
    DocumentError,
    IndexMismatchError,
    IndexMissingError,
    InputError,
    ModelError,
    NotFoundError,
)
from tests.api.conftest import assert_error

QUESTION_ENDPOINTS = ["/ask", "/ask/stream", "/search"]
Q = "Hội nghị ngoại giao lần thứ 32"

BAD_PAYLOADS = [
    # (payload, status, code)
    ({"question": ""}, 422, "invalid_input"),
    ({"question": "   \n\t "}, 422, "invalid_input"),
    ({"question": "a" * 2001}, 422, "invalid_input"),  # over max_question_chars
    ({"question": 123}, 422, "validation_error"),
    ({"question": None}, 422, "validation_error"),
    ({"question": ["a"]}, 422, "validation_error"),
    ({"question": {"text": "a"}}, 422, "validation_error"),
    ({}, 422, "validation_error"),
    ({"question": Q, "top_k": "5"}, 422, "validation_error"),
    ({"question": Q, "top_k": 0}, 422, "validation_error"),
    ({"question": Q, "top_k": 21}, 422, "validation_error"),
    ({"question": Q, "top_k": -1}, 422, "validation_error"),
    ({"question": Q, "top_k": 5.5}, 422, "validation_error"),
    ({"question": Q, "top_k": True}, 422, "validation_error"),
    ({"question": Q, "top_k": 10**30}, 422, "validation_error"),
    ({"question": Q, "mode": "semantic"}, 422, "validation_error"),
    ({"question": Q, "mode": ""}, 422, "validation_error"),
    ({"question": Q, "mode": None}, 422, "validation_error"),
    ({"question": Q, "unknown": 1}, 422, "validation_error"),
]


@pytest.mark.parametrize("endpoint", QUESTION_ENDPOINTS)
@pytest.mark.parametrize(("payload", "status", "code"), BAD_PAYLOADS)
def test_bad_question_payloads(client, endpoint, payload, status, code):
    assert_error(client.post(endpoint, json=payload), status, code)


@pytest.mark.parametrize("endpoint", ["/ask", "/ask/stream"])
@pytest.mark.parametrize("llm", ["gpt-9", "EXTRACTIVE", " "])
def test_unknown_llm_is_422(client, endpoint, llm):
    error = assert_error(client.post(endpoint, json={"question": Q, "llm": llm}), 422)
    assert error["code"] == "invalid_input"


def test_wrong_llm_type_is_422(client):
    assert_error(client.post("/ask", json={"question": Q, "llm": 5}), 422, "validation_error")


def test_validation_error_names_the_fields(client):
    error = assert_error(client.post("/ask", json={"question": 123, "top_k": "5"}), 422)
    assert "question" in error["message"] and "top_k" in error["message"]
    assert {tuple(d["loc"]) for d in error["details"]} == {("body", "question"), ("body", "top_k")}


def test_question_too_long_message(client):
    error = assert_error(client.post("/ask", json={"question": "a" * 2001}), 422)
    assert "2000" in error["message"]


@pytest.mark.parametrize("endpoint", QUESTION_ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [b"{bad json", b'{"question": ', b"{'question': 'x'}", b'{"question": "x",}', b"\xff\xfe"],
)
def test_malformed_json_is_400(client, endpoint, body):
    r = client.post(endpoint, content=body, headers={"Content-Type": "application/json"})
    error = assert_error(r, 400)
    assert error["code"] in {"malformed_json", "bad_request"}


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b'"question"', b"42"])
def test_json_that_is_not_an_object_is_422(client, body):
    r = client.post("/ask", content=body, headers={"Content-Type": "application/json"})
    assert_error(r, 422, "validation_error")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_non_json_content_type_is_422(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/ask", content=b'{"question": "x"}', headers=headers)
    assert_error(r, 422, "validation_error")


# ------------------------------------------------------------------------ body size
@pytest.fixture
def small_client(api_pipeline, make_client):
    return make_client(api_pipeline, max_body_bytes=4096)


@pytest.mark.parametrize("endpoint", [*QUESTION_ENDPOINTS, "/documents"])
def test_body_over_limit_by_content_length_is_413(small_client, endpoint):
    big = b'{"question": "' + b"a" * 5000 + b'"}'
    r = small_client.post(endpoint, content=big, headers={"Content-Type": "application/json"})
    error = assert_error(r, 413, "payload_too_large")
    assert "4096" in error["message"]


def test_body_over_limit_while_streaming_is_413(small_client):
    def chunks():  # no Content-Length: chunked transfer encoding
        yield b'{"question": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}'

    r = small_client.post("/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_error(r, 413, "payload_too_large")


def test_upload_over_limit_is_413(small_client):
    r = small_client.post("/documents", files={"file": ("big.txt", b"x" * 10_000)})
    assert_error(r, 413, "payload_too_large")


def test_body_under_limit_passes(small_client):
    def chunks():
        yield b'{"question": '
        yield '"Hội nghị ngoại giao"}'.encode()

    r = small_client.post("/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text


# ------------------------------------------------------------------- routes / methods
def test_unknown_route_is_404_json(client):
    assert_error(client.get("/nope"), 404, "not_found")


def test_wrong_method_is_405_json(client):
    r = client.get("/ask")
    assert_error(r, 405, "method_not_allowed")
    assert "POST" in r.headers["allow"]


# --------------------------------------------------------------- pipeline failures
@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InputError("bad"), 422, "invalid_input"),
        (DocumentError("bad doc"), 422, "invalid_document"),
        (NotFoundError("gone"), 404, "not_found"),
        (IndexMissingError("no index: run `rag ingest`"), 503, "index_missing"),
        (IndexMismatchError("built with another model"), 503, "index_mismatch"),
        (ModelError("cannot load the model"), 503, "model_unavailable"),
    ],
)
def test_rag_errors_map_to_status(api_pipeline, make_client, monkeypatch, exc, status, code):
    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(api_pipeline, "search", fail)
    client = make_client(api_pipeline)
    error = assert_error(client.post("/search", json={"question": Q}), status, code)
    assert error["message"] == exc.message


def test_unexpected_exception_is_500_json_without_details(
    api_pipeline, make_client, monkeypatch, caplog
):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(api_pipeline, "ask", boom)
    client = make_client(api_pipeline)
    with caplog.at_level(logging.ERROR, logger="api"):
        r = client.post("/ask", json={"question": Q}, headers={"X-Request-ID": "req-500"})
    error = assert_error(r, 500, "internal_error")
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert "req-500" in error["message"]
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "secret internal detail" in logged and "Traceback" in logged and "req-500" in logged


def test_unexpected_exception_in_stream_is_500_json(api_pipeline, make_client, monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("nope")

    monkeypatch.setattr(api_pipeline, "ask_stream", boom)
    client = make_client(api_pipeline)
    assert_error(client.post("/ask/stream", json={"question": Q}), 500, "internal_error")


@pytest.mark.parametrize("endpoint", QUESTION_ENDPOINTS)
@pytest.mark.parametrize("escaped", [r"\ud800", r"Hội nghị \udfff", r"\udc00\ud800"])
def test_lone_surrogates_are_a_clear_422_not_a_5xx(client, endpoint, escaped):
    body = '{"question": "' + escaped + '"}'  # valid JSON, but not valid Unicode text
    response = client.post(endpoint, content=body, headers={"content-type": "application/json"})
    assert_error(response, 422, "invalid_input")
    assert "Unicode" in response.json()["error"]["message"]
