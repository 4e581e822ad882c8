"""Hostile bodies on every POST endpoint: never a 5xx or a traceback, always a 4xx in the
route's error shape (OpenAI's on /v1, the project's elsewhere).

Lone surrogates (``"\\ud800"`` as a JSON escape), NUL characters (escaped and raw), strings
of megabytes, 10000-deep nesting, wrong types, wrong or missing Content-Type, bytes that
are not UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.main import create_app
from rag import Pipeline
from tests.api.conftest import API_KEY, assert_error, auth, seeded_pipeline
from tests.api.test_openai import assert_openai_error

Q = "Hội nghị ngoại giao lần thứ 32"
# endpoint -> a valid body, and the names of its string fields to poison
ENDPOINTS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "/ask": ({"question": Q}, ["question"]),
    "/ask/stream": ({"question": Q}, ["question"]),
    "/search": ({"question": Q}, ["question"]),
    "/documents": (
        {"doc_id": "hostile", "title": "T", "text": "Nội dung.", "date": "2024-01-02"},
        ["doc_id", "title", "text", "date"],
    ),
    "/v1/chat/completions": (
        {"model": "hoinghi-qa", "messages": [{"role": "user", "content": Q}]},
        ["model", "messages.0.content", "messages.0.role"],
    ),
}
OPTIONAL = {("/documents", "date")}
DEPTH = 10_000


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Writes enabled (the key is sent), so /documents bodies get past auth."""
    pipeline: Pipeline = seeded_pipeline(tmp_path_factory.mktemp("hostile"))
    settings = pipeline.settings.model_copy(update={"api_key": API_KEY})
    app = create_app(pipeline=pipeline, settings=settings)
    with TestClient(app, raise_server_exceptions=False, headers=auth()) as c:
        yield c


def check(endpoint: str, response: Any, status: int | None = None) -> None:
    """A 4xx (``status`` when given) in the endpoint's error shape."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    expect: Callable[..., Any] = (
        assert_openai_error if endpoint.startswith("/v1/") else assert_error
    )
    expect(response, status if status is not None else response.status_code)


def post(client: TestClient, endpoint: str, body: bytes | str, **headers: str) -> Any:
    headers = {"content-type": "application/json", **headers}
    return client.post(endpoint, content=body, headers=headers)


def with_raw(body: dict[str, Any], field: str, raw_json: str) -> str:
    """``body`` as JSON with ``field`` (dotted path) set to the raw JSON text ``raw_json``."""
    marker = "__RAW_VALUE__"
    data = json.loads(json.dumps(body))
    target: Any = data
    parts = field.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[parts[-1]] = marker
    return json.dumps(data, ensure_ascii=False).replace(json.dumps(marker), raw_json)


FIELDS = [(e, f) for e, (_, fields) in ENDPOINTS.items() for f in fields]


@pytest.mark.parametrize(("endpoint", "field"), FIELDS)
@pytest.mark.parametrize("raw", [r'"\ud800"', r'"Hội nghị \udfff x"', r'"\udc00\ud800"'])
def test_lone_surrogates(hostile_client, endpoint, field, raw):
    body = with_raw(ENDPOINTS[endpoint][0], field, raw)
    check(endpoint, post(hostile_client, endpoint, body))


@pytest.mark.parametrize(("endpoint", "field"), FIELDS)
def test_escaped_nul(hostile_client, endpoint, field):
    body = with_raw(ENDPOINTS[endpoint][0], field, r'"Hội nghị\u0000 32"')
    check(endpoint, post(hostile_client, endpoint, body))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_raw_nul_byte_is_malformed_json(hostile_client, endpoint):
    body, fields = ENDPOINTS[endpoint]
    raw = with_raw(body, fields[0], '"3\x002"')  # a raw control character in a string
    check(endpoint, post(hostile_client, endpoint, raw), 400)


@pytest.mark.parametrize(("endpoint", "field"), FIELDS)
def test_megabyte_strings_under_the_body_limit(hostile_client, endpoint, field):
    body = with_raw(ENDPOINTS[endpoint][0], field, json.dumps("x" * 1_900_000))
    if endpoint == "/documents" and field == "text":
        pytest.skip("a 1.9 MB document text is valid (it would be ingested)")
    check(endpoint, post(hostile_client, endpoint, body))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_megabytes_over_the_body_limit(hostile_client, endpoint):
    body = with_raw(ENDPOINTS[endpoint][0], ENDPOINTS[endpoint][1][0], '"' + "y" * 3_000_000 + '"')
    check(endpoint, post(hostile_client, endpoint, body), 413)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "nested",
    ["[" * DEPTH + "]" * DEPTH, '{"a":' * DEPTH + "1" + "}" * DEPTH, "[" * DEPTH],
    ids=["lists", "objects", "unclosed"],
)
def test_deep_nesting_as_the_body(hostile_client, endpoint, nested):
    check(endpoint, post(hostile_client, endpoint, nested))


@pytest.mark.parametrize(("endpoint", "field"), FIELDS)
def test_deep_nesting_in_a_field(hostile_client, endpoint, field):
    body = with_raw(ENDPOINTS[endpoint][0], field, "[" * DEPTH + "]" * DEPTH)
    check(endpoint, post(hostile_client, endpoint, body))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("body", ["1", '"question"', "null", "true", "[]", "[{}]", "{}", ""])
def test_bodies_of_the_wrong_type(hostile_client, endpoint, body):
    check(endpoint, post(hostile_client, endpoint, body))


@pytest.mark.parametrize(("endpoint", "field"), FIELDS)
@pytest.mark.parametrize("value", ["1", "1e400", "-0", "true", "null", "{}", '["a"]', '{"$ne": 1}'])
def test_fields_of_the_wrong_type(hostile_client, endpoint, field, value):
    if value == "null" and (endpoint, field) in OPTIONAL:
        pytest.skip("null is a valid value of an optional field")
    check(endpoint, post(hostile_client, endpoint, with_raw(ENDPOINTS[endpoint][0], field, value)))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data",
        "multipart/form-data; boundary=zzz",
        "application/json; charset=utf-16",
        "",
        "\u00ff/\u00ff",
    ],
)
def test_wrong_content_types(hostile_client, endpoint, content_type):
    body = json.dumps({"unexpected": True}).encode()
    headers = {"content-type": content_type.encode("latin-1")}  # bytes: not only ASCII
    check(endpoint, hostile_client.post(endpoint, content=body, headers=headers))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "body", [b'{"question": "\xff\xfe"}', b"\xef\xbb\xbf{}", b"\x00\x00\x00", b"\x80" * 100]
)
def test_bytes_that_are_not_utf8_json(hostile_client, endpoint, body):
    check(endpoint, post(hostile_client, endpoint, body))


def test_history_messages_with_surrogates_and_nul_are_tolerated(hostile_client):
    """Earlier messages are only context: bad text there is replaced, not fatal; the
    question itself is checked."""
    messages = '[{"role":"user","content":"\\ud800 \\u0000 hội nghị"},' + (
        '{"role":"assistant","content":"\\udfff"},{"role":"user","content":"Ai chủ trì?"}]'
    )
    body = '{"model":"hoinghi-qa","messages":' + messages + "}"
    r = post(hostile_client, "/v1/chat/completions", body)
    assert r.status_code == 200, r.text


_ROLES = st.sampled_from(["user", "assistant", "system", "tool", "developer", "User", ""])
_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from("\x00đ?…"),
    max_size=80,
)


@given(
    messages=st.lists(st.tuples(_ROLES, _TEXT | st.none()), min_size=1, max_size=8),
    stream=st.booleans(),
)
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
def test_any_conversation_is_answered_or_refused_cleanly(client, messages, stream):
    """Random conversations (the follow-up rewriter sees arbitrary text): a 200 or a 4xx in
    OpenAI's shape, never a 5xx."""
    body = {
        "model": "hoinghi-qa",
        "stream": stream,
        "messages": [{"role": role, "content": content} for role, content in messages],
    }
    r = client.post("/v1/chat/completions", json=body)
    if r.status_code != 200:
        check("/v1/chat/completions", r)
