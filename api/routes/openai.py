"""OpenAI-compatible ``POST /v1/chat/completions`` and ``GET /v1/models``.

Errors on these routes are OpenAI-shaped (``{"error": {"message", "type", "param",
"code"}}``, see :mod:`api.errors`), so OpenAI clients raise their usual exceptions.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import PipelineDep, ServiceDep, SettingsDep, V1KeyDep
from api.errors import ApiError, openai_error_responses
from api.openai_chat import (
    ChatAnswer,
    available_models,
    backend_for,
    prompt_words,
    respond,
    split_messages,
    word_count,
)
from api.responses import OrjsonResponse
from api.routes.ask import answer_deltas, server_timing
from api.schemas_openai import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    Model,
    ModelList,
    Usage,
)

router = APIRouter(prefix="/v1", tags=["openai"])

_CREATED = int(time.time())  # the models' "created": when this worker started


@router.get(
    "/models",
    summary="Models (answer backends) this server can use",
    response_model=ModelList,
    responses=openai_error_responses(401, 403),
)
async def list_models(settings: SettingsDep, _auth: V1KeyDep) -> ModelList:
    """`hoinghi-qa`: cited extractive answers (always). `hoinghi-qa-local`: answers written
    by the local LLM and checked against the passages (listed only when llama-cpp-python
    and a pulled GGUF model are installed)."""
    return ModelList(data=[Model(id=m, created=_CREATED) for m in available_models(settings)])


@router.get(
    "/models/{model}",
    summary="One model",
    response_model=Model,
    responses=openai_error_responses(401, 403, 404, 422),
)
async def get_model(model: str, settings: SettingsDep, _auth: V1KeyDep) -> Model:
    backend_for(model, settings)  # 404 model_not_found
    return Model(id=model, created=_CREATED)


_CHAT_DOC = """OpenAI's Chat Completions: the last `user` message is the question, earlier
`user`/`assistant` messages the conversation (follow-ups such as "còn năm 2021 thì sao?" or
"who chaired it?" are rewritten into standalone questions, as `rag repl` does).

The reply's `content` is the answer with its `[n]` markers, then a "Nguồn:" (Vietnamese
question) or "Sources:" (English) list, one line per source:
`[n] title (date) — /documents/{doc_id}#start-end`. Abstentions are ordinary replies
without sources. The response also has `citations` and `short_answer` (as in `POST /ask`);
`usage` counts words, not tokens.

`stream: true` gives Server-Sent Events: `data: {chat.completion.chunk}` lines (first the
role, then content pieces, then an empty delta with `finish_reason: "stop"`, `citations`
and `short_answer`; with `stream_options.include_usage` one more chunk with `usage`), then
`data: [DONE]`. The answer is found before the stream opens, so errors are ordinary JSON
responses with their status code. `temperature`, `top_p`, `max_tokens`, `user` and unknown
fields are accepted and ignored; `n` must be 1."""


@router.post(
    "/chat/completions",
    summary="Answer the last user message (OpenAI Chat Completions)",
    description=_CHAT_DOC,
    response_model=ChatCompletion,
    responses={
        200: {
            "description": "A `chat.completion` object, or with `stream: true` an event "
            "stream of `chat.completion.chunk` objects.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **openai_error_responses(400, 401, 403, 404, 413, 422, 500, 503),
    },
)
async def chat_completions(
    body: ChatCompletionRequest,
    pipeline: PipelineDep,
    service: ServiceDep,
    settings: SettingsDep,
    _auth: V1KeyDep,
) -> OrjsonResponse | StreamingResponse:
    backend = backend_for(body.model, settings)
    if body.n is not None and body.n != 1:
        raise ApiError(400, "unsupported_value", "only n=1 is supported", param="n")
    turns = split_messages(body.messages)
    chat = await service.call(respond, pipeline, backend, turns)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    prompt = prompt_words(body.messages)
    completion = word_count(chat.content)
    usage = Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    headers = {"Server-Timing": server_timing(chat.answer.timings_ms)}
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = completion_events(
            chat, completion_id, created, body.model, usage if include_usage else None
        )
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **headers},
        )
    result = ChatCompletion(
        id=completion_id,
        created=created,
        model=body.model,
        choices=[Choice(message=AssistantMessage(content=chat.content))],
        usage=usage,
        citations=chat.answer.citations,
        short_answer=chat.answer.short_answer,
    )
    return OrjsonResponse(result, headers=headers)


def data(event: ChatCompletionChunk | str) -> bytes:
    """One Server-Sent Event as OpenAI sends them: a ``data:`` line, no event name. Unset
    fields are left out, except ``finish_reason`` (null until the last chunk) and, on the
    last chunk, ``short_answer``."""
    if isinstance(event, str):
        return f"data: {event}\n\n".encode()
    payload = _without_none(event.model_dump(mode="json"))
    choices = [_without_none(choice) for choice in payload["choices"]]
    for choice in choices:
        choice.setdefault("finish_reason", None)
        if "delta" in choice:
            choice["delta"] = _without_none(choice["delta"])
    payload["choices"] = choices
    if event.citations is not None:  # citations keep all their fields (page: null...)
        payload.setdefault("short_answer", None)
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _without_none(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without its null entries (one level: nested objects keep theirs)."""
    return {k: v for k, v in fields.items() if v is not None}


async def completion_events(
    chat: ChatAnswer, completion_id: str, created: int, model: str, usage: Usage | None
) -> AsyncIterator[bytes]:
    """The chunks of an answered question: role, content pieces, stop, [usage], [DONE]."""
    answer = chat.answer

    def chunk(choices: list[ChunkChoice], **extra: Any) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=completion_id, created=created, model=model, choices=choices, **extra
        )

    yield data(chunk([ChunkChoice(delta=Delta(role="assistant", content=""))]))
    for piece in answer_deltas(chat.content):
        if piece:
            yield data(chunk([ChunkChoice(delta=Delta(content=piece))]))
    stop = ChunkChoice(delta=Delta(), finish_reason="stop")
    yield data(chunk([stop], citations=answer.citations, short_answer=answer.short_answer))
    if usage is not None:
        yield data(chunk([], usage=usage))
    yield data("[DONE]")
