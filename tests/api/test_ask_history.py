"""``history`` on POST /ask and /ask/stream: follow-ups made standalone (the REPL's rules)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rag.conversation import standalone_question
from tests.api.conftest import assert_error, without_timings
from tests.api.test_ask import parse_sse

Q32 = "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?"
FOLLOW_UP = "còn lần thứ 31 thì sao?"
HISTORY = [{"question": Q32, "answer": "Ngày 19/12/2023 [1]."}]


def post(client: Any, path: str, body: object) -> Any:
    """POST ``body`` as ASCII JSON (lone surrogates travel as ``\\ud800`` escapes)."""
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def test_follow_up_is_answered_as_its_standalone_question(client, api_pipeline):
    r = client.post("/ask", json={"question": FOLLOW_UP, "history": HISTORY})
    assert r.status_code == 200, r.text
    standalone = standalone_question(FOLLOW_UP, [(Q32, HISTORY[0]["answer"])])
    assert standalone == "Hội nghị ngoại giao lần thứ 31 diễn ra ngày nào?"
    body = r.json()
    assert body["question"] == standalone
    expected = api_pipeline.ask(standalone).model_dump(mode="json")
    assert without_timings(body) == without_timings(expected)


def test_stream_uses_the_history_too(client):
    with client.stream(
        "POST", "/ask/stream", json={"question": FOLLOW_UP, "history": HISTORY}
    ) as r:
        assert r.status_code == 200
        events = parse_sse(r.read().decode())
    done = events[-1]
    assert done[0] == "done"
    assert isinstance(done[1], dict) and "lần thứ 31" in done[1]["question"]


def test_without_history_the_question_is_untouched(client):
    r = client.post("/ask", json={"question": FOLLOW_UP, "history": []})
    assert r.status_code == 200
    assert r.json()["question"] == FOLLOW_UP


@pytest.mark.parametrize(
    "history",
    [
        [{"question": Q32, "answer": "x", "extra": 1}],
        [{"answer": "x"}],
        [{"question": 5, "answer": "x"}],
        [{"question": "\ud800", "answer": "x"}],
        [{"question": Q32, "answer": "\udfff"}],
        [{"question": Q32}] * 21,
        "not a list",
    ],
)
def test_bad_history_is_a_422(client, history):
    assert_error(post(client, "/ask", {"question": FOLLOW_UP, "history": history}), 422)


def test_bad_question_with_history_is_a_422_not_a_rewrite(client):
    for question in ["   ", "\ud800?"]:
        r = post(client, "/ask/stream", {"question": question, "history": HISTORY})
        assert_error(r, 422, "invalid_input")
