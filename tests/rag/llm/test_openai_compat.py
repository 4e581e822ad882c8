"""The openai backend against a small OpenAI-compatible stub server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rag import Settings
from rag.answering.grounded import GroundedAnswerer, GroundedDraft
from rag.errors import InputError, ModelError
from rag.llm import LLM, build_llm
from rag.llm.openai_compat import OpenAICompatLLM, chat_completions_url
from rag.retrieval.base import Query
from tests.rag.answering.test_grounded import TEXT_1, Q, StubExtractive, _passage

MESSAGES = [{"role": "system", "content": "Trả lời ngắn."}, {"role": "user", "content": "Ai?"}]


class Stub:
    """Scripted behaviour: each request pops the next action (the last one repeats)."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, Any]] = [("ok", "Nguyễn Phú Trọng [1].")]
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    def next(self) -> tuple[str, Any]:
        return self.actions.pop(0) if len(self.actions) > 1 else self.actions[0]


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length))
            if self.path != "/v1/chat/completions":
                self._send(404, b'{"error": "not found"}')
                return
            stub.requests.append(payload)
            stub.headers.append(dict(self.headers))
            kind, arg = stub.next()
            if kind == "status":
                self._send(arg, json.dumps({"error": {"message": f"status {arg}"}}).encode())
            elif kind == "sleep":
                time.sleep(arg)
                self._send(200, b"{}")
            elif kind == "json" or (kind == "ok" and not payload.get("stream")):
                body = {
                    "choices": [{"message": {"role": "assistant", "content": arg}}],
                    "usage": {"prompt_tokens": 12, "completion_tokens": 5},
                }
                self._send(200, json.dumps(body).encode())
            elif kind == "ok":
                events = [{"choices": [{"delta": {"role": "assistant"}}]}]
                events += [{"choices": [{"delta": {"content": w}}]} for w in _pieces(arg)]
                events += [{"choices": [{"delta": {}, "finish_reason": "stop"}]}]
                body = b": keep-alive\n\n" + b"".join(
                    b"data: " + json.dumps(e).encode() + b"\n\n" for e in events
                )
                self._send(200, body + b"data: [DONE]\n\n", "text/event-stream")
            elif kind == "broken":  # one token, then the connection dies mid-body
                first = b"data: " + json.dumps({"choices": [{"delta": {"content": "Ng"}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(first + b"\n\n")
                self.wfile.flush()
                self.close_connection = True

    return Handler


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hung up on purpose (time-out tests)


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    state = Stub()
    server = QuietServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _llm(url: str, **kw: Any) -> OpenAICompatLLM:
    kw.setdefault("backoff", 0.01)
    return OpenAICompatLLM(url, "qwen-test", **kw)


def test_url_forms():
    assert chat_completions_url("http://h:1") == "http://h:1/v1/chat/completions"
    assert chat_completions_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert chat_completions_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"


def test_generate(stub):
    state, url = stub
    llm = _llm(url, api_key="sk-test")
    assert isinstance(llm, LLM)
    text = llm.generate(MESSAGES, max_tokens=50, temperature=0.2, stop=["</passage>"])
    assert text == "Nguyễn Phú Trọng [1]."
    sent = state.requests[0]
    assert sent["model"] == "qwen-test" and sent["messages"] == MESSAGES
    assert (sent["max_tokens"], sent["temperature"], sent["stop"]) == (50, 0.2, ["</passage>"])
    assert sent["stream"] is False
    assert state.headers[0]["Authorization"] == "Bearer sk-test"
    assert llm.last_stats is not None and llm.last_stats.prompt_tokens == 12


def test_stream_reads_server_sent_events(stub):
    state, url = stub
    llm = _llm(url)
    pieces = list(llm.stream(MESSAGES))
    assert pieces == ["Nguyễn", " Phú", " Trọng", " [1]."]
    assert state.requests[0]["stream"] is True
    assert "Authorization" not in state.headers[0]
    assert llm.last_stats is not None and llm.last_stats.completion_tokens == 4


def test_stream_from_a_server_that_ignores_stream(stub):
    state, url = stub
    state.actions = [("json", "Cả câu một lần [1].")]
    assert list(_llm(url).stream(MESSAGES)) == ["Cả câu một lần [1]."]


@pytest.mark.parametrize("stream", [False, True])
def test_retries_then_succeeds(stub, stream):
    state, url = stub
    state.actions = [("status", 503), ("status", 429), ("ok", "Được.")]
    llm = _llm(url, retries=2)
    text = "".join(llm.stream(MESSAGES)) if stream else llm.generate(MESSAGES)
    assert text == "Được."
    assert len(state.requests) == 3


@pytest.mark.parametrize("stream", [False, True])
def test_gives_up_after_retries(stub, stream):
    state, url = stub
    state.actions = [("status", 500)]
    llm = _llm(url, retries=1)
    with pytest.raises(ModelError, match="failed after 2 attempts"):
        "".join(llm.stream(MESSAGES)) if stream else llm.generate(MESSAGES)
    assert len(state.requests) == 2


def test_client_errors_are_not_retried(stub):
    state, url = stub
    state.actions = [("status", 400)]
    with pytest.raises(ModelError, match="HTTP 400"):
        _llm(url, retries=3).generate(MESSAGES)
    with pytest.raises(ModelError, match="HTTP 400"):
        list(_llm(url, retries=3).stream(MESSAGES))
    assert len(state.requests) == 2


def test_timeout_is_retried_then_fails(stub):
    state, url = stub
    state.actions = [("sleep", 1.0)]
    with pytest.raises(ModelError, match="failed after 2 attempts"):
        _llm(url, retries=1, timeout=0.2).generate(MESSAGES)
    assert len(state.requests) == 2


def test_stream_broken_after_first_token_is_not_restarted(stub):
    state, url = stub
    state.actions = [("broken", None), ("ok", "khác")]
    llm = _llm(url, retries=3)
    got: list[str] = []
    with pytest.raises(ModelError, match="broke off"):
        for piece in llm.stream(MESSAGES):
            got.append(piece)
    assert got == ["Ng"] and len(state.requests) == 1


def test_server_down_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ModelError, match="is it running"):
        _llm(f"http://127.0.0.1:{port}", retries=1).generate(MESSAGES)


def test_factory_builds_from_settings(stub, tmp_path):
    _, url = stub
    s = Settings(llm_base_url=url, llm_model="m", llm_api_key="k", llm_retries=4,
                 model_cache=tmp_path)  # fmt: skip
    llm = build_llm("openai", s)
    assert isinstance(llm, OpenAICompatLLM)
    assert (llm.name, llm.model, llm.retries) == ("openai", "m", 4)
    with pytest.raises(ModelError, match="RAG_LLM_MODEL"):
        build_llm("openai", Settings(model_cache=tmp_path))
    with pytest.raises(InputError, match="known: local, openai"):
        build_llm("gpt", s)


def test_grounded_answerer_streams_through_the_server(stub):
    state, url = stub
    state.actions = [("ok", "Tổng Bí thư Nguyễn Phú Trọng chủ trì [1] [3].")]
    answerer = GroundedAnswerer("openai", StubExtractive(), _llm(url))
    items = list(answerer.stream(Query(Q), [_passage("a", TEXT_1)]))
    *tokens, final = items
    assert "".join(tokens) == "Tổng Bí thư Nguyễn Phú Trọng chủ trì [1] [3]."
    assert isinstance(final, GroundedDraft) and final.grounded is True
    assert final.answer == "Tổng Bí thư Nguyễn Phú Trọng chủ trì [1]."
    assert final.model == "qwen-test"
    assert "<evidence>" in state.requests[0]["messages"][-1]["content"]
