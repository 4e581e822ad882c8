"""The ``openai`` LLM: any OpenAI-compatible ``/v1/chat/completions`` server.

Works with llama.cpp's ``llama-server``, vLLM, Ollama, LM Studio, … Streaming uses
server-sent events (``data: {json}`` lines ending with ``data: [DONE]``). Connection
errors, time-outs, 408/409/429 and 5xx answers are retried with exponential back-off; a
stream is retried only until its first token has been handed out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from rag.errors import ModelError
from rag.llm.base import GenerationStats, Message

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def chat_completions_url(base_url: str) -> str:
    """``…/v1/chat/completions`` from a base URL given with or without ``/v1``."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


class _Retryable(Exception):
    pass


class OpenAICompatLLM:
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not model:
            raise ModelError(
                "the openai LLM needs a model name: set RAG_LLM_MODEL to the name the server "
                f"at {base_url} serves"
            )
        self.url = chat_completions_url(base_url)
        self.model = model
        self.retries = retries
        self.backoff = backoff
        self.last_stats: GenerationStats | None = None
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers=headers,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def _payload(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
        stream: bool,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }
        if stop:
            payload["stop"] = list(stop)[:4]  # OpenAI accepts at most 4
        return payload

    def _sleep(self, attempt: int) -> None:
        time.sleep(min(self.backoff * 2**attempt, 8.0))

    def _check(self, response: httpx.Response) -> None:
        if response.status_code in RETRY_STATUS:
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            response.read()
            raise ModelError(
                f"the LLM server at {self.url} answered HTTP {response.status_code}: "
                f"{response.text[:300]}"
            )

    def _fail(self, last: Exception | None) -> ModelError:
        return ModelError(
            f"the LLM server at {self.url} failed after {self.retries + 1} attempts: {last} "
            "(is it running? see RAG_LLM_BASE_URL)"
        )

    # --------------------------------------------------------------- generation
    def generate(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> str:
        payload = self._payload(messages, max_tokens, temperature, stop, stream=False)
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(attempt - 1)
            started = time.perf_counter()
            try:
                response = self._client.post(self.url, json=payload)
                self._check(response)
                data = response.json()
            except (httpx.TransportError, _Retryable) as exc:
                last = exc
                continue
            except ValueError as exc:
                raise ModelError(f"the LLM server at {self.url} sent invalid JSON: {exc}") from exc
            text = _message_text(data, self.url)
            usage = data.get("usage") or {}
            self.last_stats = GenerationStats(
                prompt_tokens=usage.get("prompt_tokens"),
                completion_tokens=usage.get("completion_tokens"),
                prompt_s=None,
                generation_s=time.perf_counter() - started,
            )
            return text
        raise self._fail(last)

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        payload = self._payload(messages, max_tokens, temperature, stop, stream=True)
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(attempt - 1)
            started = time.perf_counter()
            first: float | None = None
            pieces = 0
            usage: dict[str, Any] = {}
            try:
                with self._client.stream("POST", self.url, json=payload) as response:
                    self._check(response)
                    if response.headers.get("content-type", "").startswith("application/json"):
                        # a server that ignores "stream": the whole answer at once
                        response.read()
                        whole = _message_text(response.json(), self.url)
                        first = time.perf_counter()
                        pieces = 1
                        yield whole
                        usage = response.json().get("usage") or {}
                        events: Iterator[dict[str, Any]] = iter(())
                    else:
                        events = _sse_events(response)
                    for data in events:
                        if data.get("usage"):
                            usage = data["usage"]
                        if "error" in data:
                            raise ModelError(
                                f"the LLM server at {self.url} reported: {data['error']}"
                            )
                        for choice in data.get("choices") or []:
                            delta = (choice.get("delta") or {}).get("content")
                            if delta:
                                if first is None:
                                    first = time.perf_counter()
                                pieces += 1
                                yield str(delta)
            except (httpx.TransportError, _Retryable) as exc:
                if first is not None:  # tokens already handed out: cannot start over
                    raise ModelError(
                        f"the LLM server at {self.url} broke off the answer: {exc}"
                    ) from exc
                last = exc
                continue
            end = time.perf_counter()
            self.last_stats = GenerationStats(
                prompt_tokens=usage.get("prompt_tokens"),
                completion_tokens=usage.get("completion_tokens") or pieces,
                prompt_s=None if first is None else first - started,
                generation_s=None if first is None else end - first,
            )
            return
        raise self._fail(last)


def _message_text(data: Any, url: str) -> str:
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ModelError(f"the LLM server at {url} sent no choices[0].message") from None
    return content or ""


def _sse_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """JSON payloads of the ``data:`` events of a server-sent-events body."""
    buffer: list[str] = []
    for line in response.iter_lines():
        if line.startswith(":"):  # comment / keep-alive
            continue
        if line.startswith("data:"):
            buffer.append(line[5:].removeprefix(" "))
            continue
        if line == "" and buffer:
            data = "\n".join(buffer)
            buffer = []
            if data.strip() == "[DONE]":
                return
            try:
                yield json.loads(data)
            except ValueError:
                continue
    if buffer and "\n".join(buffer).strip() != "[DONE]":
        try:
            yield json.loads("\n".join(buffer))
        except ValueError:
            return
