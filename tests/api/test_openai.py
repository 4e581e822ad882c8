"""The OpenAI-compatible routes (/v1/chat/completions, /v1/models) through the ASGI app:
response shapes, streaming, follow-ups, model ids, auth and OpenAI-shaped errors."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import openai_chat
from api.openai_chat import ChatTurns, message_content, split_messages, strip_sources
from api.schemas_openai import ChatMessage
from rag.answering.base import Draft, Passage, citation
from rag.answering.models import Answer
from rag.retrieval.base import Query
from tests.api.conftest import assert_error, auth
from tests.rag.cli.fakes import ABSTAIN, SpanAnswerer

URL = "/v1/chat/completions"
Q_VI = "Hội nghị Ngoại giao lần thứ 32 diễn ra ngày nào?"
Q_EN = "When was the 32nd diplomatic conference held?"
SOURCE_LINE = re.compile(
    r"^\[(\d+)\] (.+?)(?: \((\d{4}-\d{2}-\d{2})\))? — /documents/(\S+)#(\d+)-(\d+)$"
)


def chat(question: str, model: str = "hoinghi-qa", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": question}], **extra}


def assert_openai_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is OpenAI's error shape: {"error": {message, type, param, code}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["type"]
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"]
    if code is not None:
        assert error["code"] == code, error
    return error


def sse_data(text: str) -> list[Any]:
    """The ``data:`` payloads of an OpenAI-style event stream (``[DONE]`` kept as a str)."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        (line,) = block.splitlines()
        assert line.startswith("data: "), line
        payload = line[len("data: ") :]
        events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


@pytest.fixture
def span_answers(api_pipeline, monkeypatch):
    """Every answer comes from ``SpanAnswerer``: cited ([1]) and with a short answer."""
    fake = SpanAnswerer()
    monkeypatch.setattr(api_pipeline, "answerer", lambda name=None: fake)
    return fake


@pytest.fixture
def asked(api_pipeline, monkeypatch):
    """The (question, llm) of every ``Pipeline.ask`` call, in order."""
    calls: list[tuple[str, str | None]] = []
    real = api_pipeline.ask

    def spy(question, top_k=None, mode=None, llm=None):
        calls.append((question, llm))
        return real(question, top_k, mode, llm)

    monkeypatch.setattr(api_pipeline, "ask", spy)
    return calls


# ----------------------------------------------------------------------------- models
def test_models_lists_the_extractive_model(client):
    r = client.get("/v1/models")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["hoinghi-qa"]  # no local LLM in a temp cache
    (model,) = body["data"]
    assert model["object"] == "model" and isinstance(model["created"], int) and model["owned_by"]


def test_models_lists_the_local_llm_when_it_is_available(client, monkeypatch):
    monkeypatch.setattr(openai_chat, "local_llm_available", lambda settings: True)
    ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert ids == ["hoinghi-qa", "hoinghi-qa-local"]
    assert client.get("/v1/models/hoinghi-qa-local").json()["id"] == "hoinghi-qa-local"


def test_retrieve_model(client):
    r = client.get("/v1/models/hoinghi-qa")
    assert r.status_code == 200 and r.json()["id"] == "hoinghi-qa"
    assert_openai_error(client.get("/v1/models/gpt-4o"), 404, "model_not_found")
    assert_openai_error(client.get("/v1/models/hoinghi-qa-local"), 404, "model_not_found")


# ------------------------------------------------------------------------- completion
def test_completion_shape_and_content(client, span_answers):
    r = client.post(URL, json=chat(Q_VI))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-") and isinstance(body["created"], int)
    assert body["model"] == "hoinghi-qa"
    (choice,) = body["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    usage = body["usage"]
    assert usage["prompt_tokens"] == len(Q_VI.split())
    assert usage["completion_tokens"] == len(content.split())
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    plain = client.post("/ask", json={"question": Q_VI}).json()
    assert body["citations"] == plain["citations"] and body["short_answer"] == plain["short_answer"]
    answer, sources = content.split("\n\nNguồn:\n")
    assert answer == plain["answer"] and "[1]" in answer
    lines = sources.split("\n")
    assert len(lines) == len(plain["citations"])
    for line, cited in zip(lines, plain["citations"], strict=True):
        m = SOURCE_LINE.match(line)
        assert m, line
        assert (int(m[1]), m[2], m[3], m[4]) == (
            cited["n"],
            cited["title"],
            cited["date"],
            cited["doc_id"],
        )
        doc = client.get(f"/documents/{m[4]}").json()
        assert doc["text"][int(m[5]) : int(m[6])] == cited["text"]


def test_english_question_lists_sources(client, span_answers):
    content = client.post(URL, json=chat(Q_EN)).json()["choices"][0]["message"]["content"]
    assert "\n\nSources:\n[1] " in content and "Nguồn:" not in content


def test_abstention_is_an_ordinary_reply(client, span_answers):
    span_answers.abstain = True
    r = client.post(URL, json=chat("Thủ đô của Úc là gì?"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["choices"][0]["message"]["content"] == ABSTAIN
    assert body["choices"][0]["finish_reason"] == "stop" and body["short_answer"] is None


def test_sampling_options_and_unknown_fields_are_ignored(client, span_answers):
    plain = client.post(URL, json=chat(Q_VI)).json()
    extra = {
        "temperature": 1.3, "top_p": 0.5, "max_tokens": 7, "max_completion_tokens": 7,
        "n": 1, "user": "u-1", "presence_penalty": 0, "seed": 3, "metadata": {"a": "b"},
        "stream": False, "stop": ["\n"], "tools": [], "response_format": {"type": "text"},
    }  # fmt: skip
    r = client.post(URL, json=chat(Q_VI, **extra))
    assert r.status_code == 200, r.text
    assert r.json()["choices"] == plain["choices"]


def test_content_parts_and_other_roles(client, span_answers):
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": [{"type": "text", "text": Q_VI}, {"type": "image_url"}]},
    ]
    r = client.post(URL, json={"model": "hoinghi-qa", "messages": messages})
    assert r.status_code == 200, r.text
    same = client.post(URL, json=chat(Q_VI)).json()
    assert r.json()["choices"] == same["choices"]


# ---------------------------------------------------------------------------- stream
def test_stream_chunks_add_up_to_the_completion(client, span_answers):
    whole = client.post(URL, json=chat(Q_VI)).json()
    with client.stream("POST", URL, json=chat(Q_VI, stream=True)) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_data(r.read().decode())
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    final = chunks[-1]
    assert final["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert final["citations"] == whole["citations"]
    assert final["short_answer"] == whole["short_answer"]
    middle = chunks[1:-1]
    assert len(middle) >= 2 and all(c["choices"][0]["finish_reason"] is None for c in middle)
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert streamed == whole["choices"][0]["message"]["content"]
    assert "usage" not in final


def test_stream_usage_when_asked(client, span_answers):
    payload = chat(Q_VI, stream=True, stream_options={"include_usage": True})
    with client.stream("POST", URL, json=payload) as r:
        events = sse_data(r.read().decode())
    usage_chunk = events[-2]
    assert usage_chunk["choices"] == []
    whole = client.post(URL, json=chat(Q_VI)).json()
    assert usage_chunk["usage"] == whole["usage"]


def test_stream_errors_are_json_before_the_stream(client):
    r = client.post(URL, json=chat("   ", stream=True))
    assert_openai_error(r, 422, "invalid_input")


# ------------------------------------------------------------------------ follow-ups
def test_follow_up_is_rewritten_from_the_messages(client, span_answers, asked):
    first = client.post(URL, json=chat(Q_VI)).json()["choices"][0]["message"]["content"]
    messages = [
        {"role": "system", "content": "Trả lời ngắn gọn."},
        {"role": "user", "content": Q_VI},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "Ai chủ trì hội nghị đó?"},
    ]
    r = client.post(URL, json={"model": "hoinghi-qa", "messages": messages})
    assert r.status_code == 200, r.text
    assert asked[-1] == ("Ai chủ trì Hội nghị Ngoại giao lần thứ 32?", "extractive")


def test_slot_follow_up(client, span_answers, asked):
    messages = [
        {"role": "user", "content": "Ai chủ trì hội nghị đối ngoại toàn quốc năm 2021?"},
        {"role": "assistant", "content": "Nguyễn Phú Trọng [1]"},
        {"role": "user", "content": "còn năm 2023 thì sao?"},
    ]
    assert client.post(URL, json={"model": "hoinghi-qa", "messages": messages}).status_code == 200
    assert asked[-1][0] == "Ai chủ trì hội nghị đối ngoại toàn quốc năm 2023?"


def test_without_history_the_question_is_asked_as_typed(client, span_answers, asked):
    assert client.post(URL, json=chat("Ai chủ trì hội nghị đó?")).status_code == 200
    assert asked == [("Ai chủ trì hội nghị đó?", "extractive")]


class AbstainsOnRewrites:
    """Answers only questions that do not name the 32nd conference."""

    name = "fake-picky"

    def answer(self, query: Query, passages: list[Passage]) -> Draft:
        cited = [citation(1, passages[0], passages[0].chunk.start, passages[0].chunk.end)]
        if "32" in query.text:
            return Draft(ABSTAIN, True, cited, -1.0)
        return Draft("Đồng chí X chủ trì. [1]", False, cited, 1.0)


def test_own_words_answer_when_the_rewrite_abstains(client, api_pipeline, monkeypatch, asked):
    fake = AbstainsOnRewrites()
    monkeypatch.setattr(api_pipeline, "answerer", lambda name=None: fake)
    messages = [
        {"role": "user", "content": Q_VI},
        {"role": "assistant", "content": ABSTAIN},
        {"role": "user", "content": "Ai chủ trì hội nghị đó?"},
    ]
    body = client.post(URL, json={"model": "hoinghi-qa", "messages": messages}).json()
    assert [q for q, _ in asked] == [
        "Ai chủ trì Hội nghị Ngoại giao lần thứ 32?",
        "Ai chủ trì hội nghị đó?",
    ]
    assert body["choices"][0]["message"]["content"].startswith("Đồng chí X chủ trì. [1]")


def test_local_model_uses_the_local_backend(client, api_pipeline, monkeypatch, asked):
    names: list[str | None] = []
    fake = SpanAnswerer()

    def answerer(name=None):
        names.append(name)
        return fake

    monkeypatch.setattr(openai_chat, "local_llm_available", lambda settings: True)
    monkeypatch.setattr(api_pipeline, "answerer", answerer)
    r = client.post(URL, json=chat(Q_VI, model="hoinghi-qa-local"))
    assert r.status_code == 200, r.text
    assert r.json()["model"] == "hoinghi-qa-local"
    assert asked == [(Q_VI, "local")] and "local" in names


# --------------------------------------------------------------------------- helpers
def test_split_messages_pairs_questions_with_replies():
    messages = [
        ChatMessage(role="system", content="s"),
        ChatMessage(role="user", content="q1"),
        ChatMessage(role="assistant", content="a1"),
        ChatMessage(role="user", content="q2"),
        ChatMessage(role="user", content="q3"),
        ChatMessage(role="assistant", content="a3"),
        ChatMessage(role="tool", content="t"),
        ChatMessage(role="user", content="q4"),
        ChatMessage(role="assistant", content="trailing"),
    ]
    assert split_messages(messages) == ChatTurns("q4", [("q1", "a1"), ("q2", ""), ("q3", "a3")])


def test_strip_sources_undoes_message_content():
    answer = Answer(
        question=Q_VI, answer="Ngày 19/12 [1].", abstained=False, backend="x", timings_ms={},
        citations=[{"n": 1, "doc_id": "d", "title": "T", "source": "s", "date": None,
                    "text": "t", "start": 0, "end": 1, "score": 1.0}],
    )  # fmt: skip
    content = message_content(answer, Q_VI)
    assert content == "Ngày 19/12 [1].\n\nNguồn:\n[1] T — /documents/d#0-1"
    assert strip_sources(content) == "Ngày 19/12 [1]."
    assert strip_sources("no sources here") == "no sources here"


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("payload", "status", "code", "param"),
    [
        (chat(Q_VI, model="gpt-4o"), 404, "model_not_found", "model"),
        (chat(Q_VI, model="hoinghi-qa-local"), 404, "model_not_found", "model"),
        ({"model": "hoinghi-qa", "messages": [{"role": "system", "content": "x"}]}, 400,
         "missing_user_message", "messages"),
        ({"model": "hoinghi-qa", "messages": []}, 422, "validation_error", "messages"),
        ({"model": "hoinghi-qa", "messages": "hi"}, 422, "validation_error", "messages"),
        ({"model": "hoinghi-qa"}, 422, "validation_error", "messages"),
        ({"messages": [{"role": "user", "content": "hi"}]}, 422, "validation_error", "model"),
        (chat(Q_VI, model=3), 422, "validation_error", "model"),
        ({"model": "hoinghi-qa", "messages": [{"content": "hi"}]}, 422, "validation_error",
         "messages.0.role"),
        ({"model": "hoinghi-qa", "messages": [{"role": "user", "content": 5}]}, 422,
         "validation_error", "messages.0.content"),
        (chat(Q_VI, stream="yes"), 422, "validation_error", "stream"),
        (chat(Q_VI, n=2), 400, "unsupported_value", "n"),
        (chat(Q_VI, temperature="hot"), 422, "validation_error", "temperature"),
        (chat(""), 422, "invalid_input", None),
        (chat(" \n\t"), 422, "invalid_input", None),
        (chat("a" * 2001), 422, "invalid_input", None),
    ],
)  # fmt: skip
def test_bad_requests_are_openai_errors(client, payload, status, code, param):
    error = assert_openai_error(client.post(URL, json=payload), status, code)
    expected_type = "invalid_request_error"
    assert error["type"] == expected_type
    if param is not None:
        assert error["param"] == param


def test_malformed_json_is_an_openai_400(client):
    r = client.post(URL, content=b'{"model": ', headers={"content-type": "application/json"})
    assert_openai_error(r, 400, "malformed_json")


def test_unknown_v1_route_and_method_are_openai_errors(client):
    assert_openai_error(client.get("/v1/completions"), 404, "not_found")
    assert_openai_error(client.get(URL), 405, "method_not_allowed")


def test_body_over_the_limit_is_an_openai_413(api_pipeline, make_client):
    small = make_client(api_pipeline, max_body_bytes=1024)
    r = small.post(URL, json=chat("x" * 5000))
    assert_openai_error(r, 413, "payload_too_large")


def test_other_routes_keep_their_error_shape(client):
    assert_error(client.post("/ask", json={}), 422, "validation_error")
    assert_error(client.get("/v2/models"), 404, "not_found")


# ------------------------------------------------------------------------------ auth
def test_v1_is_open_by_default_whatever_the_key(client, span_answers):
    assert client.get("/v1/models", headers=auth("sk-anything")).status_code == 200
    assert client.post(URL, json=chat(Q_VI), headers=auth("sk-x")).status_code == 200


def test_v1_requires_the_key_when_configured(api_pipeline, make_client, span_answers):
    c = make_client(api_pipeline, api_key="k-123", v1_require_key=True)
    error = assert_openai_error(c.get("/v1/models"), 401, "unauthorized")
    assert error["type"] == "authentication_error"
    assert_openai_error(c.post(URL, json=chat(Q_VI), headers=auth("wrong")), 401)
    assert c.get("/v1/models", headers=auth("k-123")).status_code == 200
    assert c.post(URL, json=chat(Q_VI), headers=auth("k-123")).status_code == 200
    assert c.post("/ask", json={"question": Q_VI}).status_code == 200  # /ask stays open


def test_v1_key_required_without_a_key_is_403(api_pipeline, make_client):
    c = make_client(api_pipeline, v1_require_key=True)
    error = assert_openai_error(c.get("/v1/models"), 403, "forbidden")
    assert error["type"] == "permission_error"


# --------------------------------------------------------------------------- openapi
def test_openapi_documents_the_v1_routes(client):
    openapi = client.get("/openapi.json").json()
    post = openapi["paths"]["/v1/chat/completions"]["post"]
    assert post["summary"] and "Nguồn:" in post["description"]
    assert "ChatCompletionRequest" in json.dumps(post["requestBody"])
    assert "OpenAIErrorResponse" in json.dumps(post["responses"]["404"])
    assert openapi["paths"]["/v1/models"]["get"]["summary"]
    assert "citations" in openapi["components"]["schemas"]["ChatCompletion"]["properties"]
    assert client.get("/docs").status_code == 200


def test_unexpected_exception_is_an_openai_500_without_details(
    api_pipeline, make_client, monkeypatch
):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(api_pipeline, "ask", boom)
    c = make_client(api_pipeline, start=False)
    with TestClient(c.app, raise_server_exceptions=False) as quiet:  # the app must answer
        r = quiet.post(URL, json=chat(Q_VI))
    error = assert_openai_error(r, 500, "internal_error")
    assert error["type"] == "server_error"
    assert "secret" not in r.text and "RuntimeError" not in r.text


def test_repeated_questions_come_from_the_answer_cache(client):
    question = "Ai báo cáo kết quả triển khai công tác đối ngoại của Quốc hội năm 2022-2023?"
    first = client.post(URL, json=chat(question))
    again = client.post(URL, json=chat(question))
    assert again.status_code == 200
    assert "cached;" in again.headers["server-timing"]
    assert again.json()["choices"] == first.json()["choices"]
