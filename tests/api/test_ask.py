"""POST /ask (same JSON as `rag ask --json`) and POST /ask/stream (Server-Sent Events)."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.deps import pipeline_concurrency
from tests.api.conftest import assert_error, without_timings
from tests.rag.cli.fakes import SpanAnswerer

QUESTIONS = [
    "Thanh Hóa phấn đấu cùng những địa phương nào tạo thành tứ giác phát triển phía Bắc?",
    "Ai báo cáo kết quả triển khai công tác đối ngoại của Quốc hội năm 2022-2023?",
    "hoi nghi ngoai giao lan thu 32 dien ra o dau",
    "Who chaired the conference?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_ask_equals_pipeline_ask(client, api_pipeline, question):
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200, r.text
    expected = api_pipeline.ask(question, 5, "hybrid", None).model_dump(mode="json")
    body = r.json()
    assert without_timings(body) == without_timings(expected)
    assert set(body["timings_ms"]) >= {"embed", "search", "answer", "total"}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_ask_with_options(client, api_pipeline, mode):
    payload = {"question": QUESTIONS[0], "top_k": 3, "mode": mode, "llm": "extractive"}
    r = client.post("/ask", json=payload)
    assert r.status_code == 200, r.text
    expected = api_pipeline.ask(QUESTIONS[0], 3, mode, "extractive").model_dump(mode="json")
    assert without_timings(r.json()) == without_timings(expected)
    assert r.json()["mode"] == mode


def test_citations_index_into_the_document_text(client):
    answer = client.post("/ask", json={"question": QUESTIONS[1]}).json()
    assert answer["citations"]
    for citation in answer["citations"]:
        doc = client.get(f"/documents/{citation['doc_id']}").json()
        assert doc["text"][citation["start"] : citation["end"]] == citation["text"]


def parse_sse(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


@pytest.mark.parametrize("question", QUESTIONS[:2])
def test_stream_order_citations_delta_done(client, question):
    with client.stream("POST", "/ask/stream", json={"question": question}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-cache"
        events = parse_sse(r.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) >= 3
    done = events[-1][1]
    assert isinstance(done, dict)
    # first the retrieved passages, numbered; the final answer cites some of them
    retrieved = events[0][1]["citations"]  # type: ignore[index]
    assert [c["n"] for c in retrieved] == list(range(1, len(retrieved) + 1))
    spans = {(c["doc_id"], c["start"], c["end"]) for c in retrieved}
    assert {(c["doc_id"], c["start"], c["end"]) for c in done["citations"]} <= spans
    assert "".join(data["text"] for _, data in events[1:-1]) == done["answer"]  # type: ignore[index]
    plain = client.post("/ask", json={"question": question}).json()
    assert without_timings(done) == without_timings(plain)


def test_stream_errors_are_json_not_events(client):
    r = client.post("/ask/stream", json={"question": "   "})
    assert_error(r, 422, "invalid_input")
    r = client.post("/ask/stream", json={"question": "x", "top_k": 0})
    assert_error(r, 422, "validation_error")


def test_ask_unknown_llm_is_4xx(client):
    error = assert_error(client.post("/ask", json={"question": "Hà Nội?", "llm": "gpt-9"}), 422)
    assert "gpt-9" in error["message"]


def test_concurrent_requests_share_a_bounded_pool(api_pipeline, make_client, monkeypatch):
    monkeypatch.setenv("RAG_API_CONCURRENCY", "2")
    active, peak = 0, 0
    lock = threading.Lock()
    real_ask = api_pipeline.ask

    def tracked_ask(*args, **kwargs):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            time.sleep(0.05)
            return real_ask(*args, **kwargs)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(api_pipeline, "ask", tracked_ask)
    client = make_client(api_pipeline)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda q: client.post("/ask", json={"question": q}).status_code,
                     QUESTIONS * 4)
        )  # fmt: skip
    assert statuses == [200] * len(statuses)
    assert peak == 2
    assert client.get("/ready").status_code == 200


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), ("0", None), ("x", None), ("", None)])
def test_concurrency_setting(monkeypatch, raw, expected):
    monkeypatch.setenv("RAG_API_CONCURRENCY", raw)
    default = 4 * (os.cpu_count() or 1)
    assert pipeline_concurrency() == (expected or default)


# ------------------------------------------------------------------- short answer
@pytest.fixture
def span_answers(api_pipeline, monkeypatch):
    """Every answer of ``api_pipeline`` comes from ``SpanAnswerer`` (it gives a short
    answer, as the extractive answerer does)."""
    fake = SpanAnswerer()
    monkeypatch.setattr(api_pipeline, "answerer", lambda name=None: fake)
    return fake


def test_ask_carries_the_short_answer(client, span_answers):
    answer = client.post("/ask", json={"question": QUESTIONS[1]}).json()
    short = answer["short_answer"]
    assert set(short) == {"text", "n", "doc_id", "start", "end"} and short["text"]
    assert answer["answer"].startswith(f"{short['text']} — ")
    doc = client.get(f"/documents/{short['doc_id']}").json()
    assert doc["text"][short["start"] : short["end"]] == short["text"]
    (cited,) = [c for c in answer["citations"] if c["n"] == short["n"]]
    assert cited["doc_id"] == short["doc_id"]
    assert cited["start"] <= short["start"] < short["end"] <= cited["end"]


def test_stream_done_event_carries_the_same_short_answer(client, span_answers):
    with client.stream("POST", "/ask/stream", json={"question": QUESTIONS[0]}) as r:
        events = parse_sse(r.read().decode())
    name, done = events[-1]
    assert name == "done" and isinstance(done, dict) and done["short_answer"]
    plain = client.post("/ask", json={"question": QUESTIONS[0]}).json()
    assert without_timings(done) == without_timings(plain)


def test_abstention_has_no_short_answer(client, span_answers):
    span_answers.abstain = True
    answer = client.post("/ask", json={"question": QUESTIONS[3]}).json()
    assert answer["abstained"] is True and answer["short_answer"] is None


def test_openapi_documents_the_short_answer(client):
    openapi = client.get("/openapi.json").json()
    schemas = openapi["components"]["schemas"]
    prop = schemas["Answer"]["properties"]["short_answer"]
    assert "null when the answer abstains" in prop["description"]
    assert {"$ref": "#/components/schemas/ShortAnswer"} in prop["anyOf"]
    short = schemas["ShortAnswer"]
    assert set(short["required"]) == {"text", "n", "doc_id", "start", "end"}
    assert "document.text[start:end] == text" in short["description"]
    assert "short_answer" in openapi["paths"]["/ask"]["post"]["description"]


def test_a_repeated_stream_is_served_from_the_answer_cache(pipeline, make_client):
    from tests.rag.test_answer_cache import counting

    answerer = counting(pipeline)
    c = make_client(pipeline)
    payload = {"question": QUESTIONS[1], "llm": "counting"}
    runs = []
    for _ in range(2):
        with c.stream("POST", "/ask/stream", json=payload) as r:
            assert r.status_code == 200
            runs.append(parse_sse(r.read().decode()))
    assert answerer.calls == 1
    first, again = runs
    assert [name for name, _ in again] == [name for name, _ in first]
    assert again[:-1] == first[:-1]  # the same citations and deltas
    done = again[-1][1]
    assert isinstance(done, dict) and done["timings_ms"]["cached"] == 1.0
    assert without_timings(done) == without_timings(first[-1][1])  # type: ignore[arg-type]
    assert c.post("/ask", json=payload).json()["timings_ms"]["cached"] == 1.0
    assert answerer.calls == 1
