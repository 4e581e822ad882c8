"""``POST /ask`` (JSON) and ``POST /ask/stream`` (Server-Sent Events)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import PipelineDep, ServiceDep, ServiceState
from api.errors import error_responses
from api.responses import OrjsonResponse
from api.schemas import AskRequest
from rag.answering.models import Answer, Citation
from rag.conversation import standalone_question
from rag.pipeline import Pipeline

router = APIRouter(tags=["ask"])

_ERRORS = error_responses(400, 413, 422, 500, 503)
_WORDS_PER_DELTA = 8
_TOKEN_RE = re.compile(r"\S+\s*|\s+")


def server_timing(timings_ms: dict[str, float]) -> str:
    """Pipeline stage timings as a ``Server-Timing`` header value."""
    return ", ".join(f"{name};dur={ms:.1f}" for name, ms in timings_ms.items())


@router.post(
    "/ask", summary="Answer a question with citations", responses=_ERRORS, response_model=Answer
)
async def ask(body: AskRequest, pipeline: PipelineDep, service: ServiceDep) -> OrjsonResponse:
    """The same JSON as `rag ask --json`: the answer, whether it abstained, numbered
    citations whose `start`/`end` index into the cited document's cleaned text
    (`GET /documents/{doc_id}`), and `short_answer`: the span that answers the question
    (e.g. a date or a name), with the number `n` of the citation whose passage holds it and
    its own `start`/`end` in the same text, so `text[start:end] == short_answer.text`; null
    when the answer abstains (or no cited passage holds a span). With an LLM backend,
    `answer` is the LLM's text and `short_answer` still comes from the extractive span
    finder, checked against the final citations.

    With `history` (earlier turns, oldest first) a follow-up question is first rewritten
    into a standalone one, as the REPL does; `question` in the answer is that rewrite."""
    question = await asked_question(body, pipeline, service)
    answer = await service.call(pipeline.ask, question, body.top_k, body.mode, body.llm)
    # the Answer is already validated: rendered once, by orjson, without a second pass
    return OrjsonResponse(answer, headers={"Server-Timing": server_timing(answer.timings_ms)})


async def asked_question(body: AskRequest, pipeline: Pipeline, service: ServiceState) -> str:
    """The question to answer: ``body.question``, made standalone from ``body.history``."""
    if not body.history:
        return body.question
    question = pipeline.check_question(body.question)  # bad input is a 422 before rewriting
    turns = [(turn.question, turn.answer) for turn in body.history]
    return await service.call(standalone_question, question, turns)


def sse(event: str, data: Any) -> bytes:
    """One Server-Sent Event (the JSON has no raw newlines, so one ``data:`` line)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode()


def answer_deltas(text: str, words: int = _WORDS_PER_DELTA) -> list[str]:
    """``text`` in pieces of a few words; joined, they give back ``text`` exactly."""
    tokens = _TOKEN_RE.findall(text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [""]


async def answer_events(
    first: list[Citation], rest: Iterator[list[Citation] | str | Answer], service: ServiceState
) -> AsyncIterator[bytes]:
    """SSE events from ``Pipeline.ask_stream``: citations, deltas as they come, done."""
    yield sse("citations", {"citations": [c.model_dump(mode="json") for c in first]})
    while True:
        event = await service.call(next, rest, None)
        if event is None:
            return
        if isinstance(event, Answer):
            yield sse("done", event.model_dump(mode="json"))
        elif isinstance(event, str):
            for piece in answer_deltas(event):
                yield sse("delta", {"text": piece})


_STREAM_DOC = """Server-Sent Events, in this order:

* `event: citations` — `{"citations": [Citation, ...]}`
* `event: delta` (one or more) — `{"text": "..."}`; concatenated they give the answer text
* `event: done` — the full `Answer` object, the same as `POST /ask` returns (with the
  final `citations` and the `short_answer`, which only this event carries)

Errors found before the answer (bad input, index missing...) are ordinary JSON error
responses with a 4xx/5xx status, not events."""


@router.post(
    "/ask/stream",
    summary="Answer a question, streamed as Server-Sent Events",
    description=_STREAM_DOC,
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An event stream: citations, delta..., done.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **_ERRORS,
    },
)
async def ask_stream(
    body: AskRequest, pipeline: PipelineDep, service: ServiceDep
) -> StreamingResponse:
    # Retrieval (where bad input and a missing index are found) runs before the stream
    # opens, so those errors are normal JSON error responses with the right status code;
    # the answer text then streams as it is generated.
    question = await asked_question(body, pipeline, service)
    events = pipeline.ask_stream(question, body.top_k, body.mode, body.llm)
    first = await service.call(next, events)
    assert isinstance(first, list)
    return StreamingResponse(
        answer_events(first, events, service),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
