"""Request and response bodies of the OpenAI-compatible routes (``/v1``).

They follow OpenAI's Chat Completions and Models objects, so OpenAI clients (the ``openai``
Python package, Open WebUI, LangChain...) can talk to the server unchanged. Requests accept
and ignore the sampling options and any field we do not know (``extra="allow"``), as
OpenAI-compatible servers are expected to; responses add two fields of our own,
``citations`` and ``short_answer`` (the same objects as ``POST /ask`` returns).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from rag.answering.models import Citation, ShortAnswer

Role = StrictStr  # system | developer | user | assistant | tool | function (others ignored)


class ContentPart(BaseModel):
    """One part of a multi-part message; only ``text`` parts are read."""

    model_config = ConfigDict(extra="allow")

    type: StrictStr = Field(examples=["text"])
    text: StrictStr | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Role = Field(examples=["user"])
    content: StrictStr | list[ContentPart] | None = Field(
        None,
        description="The text, or a list of parts whose `text` parts are joined.",
        examples=["Hội nghị Ngoại giao lần thứ 32 diễn ra ngày nào?"],
    )
    name: StrictStr | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if p.type == "text" and p.text)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: StrictBool | None = None


class ChatCompletionRequest(BaseModel):
    """The last `user` message is the question; the earlier `user`/`assistant` messages are
    the conversation it may follow up on ("còn năm 2021 thì sao?", "who chaired it?").
    `system` messages and the sampling options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: StrictStr = Field(
        description="`hoinghi-qa` (extractive answers) or `hoinghi-qa-local` (a local LLM, "
        "when the server has one); see GET /v1/models.",
        examples=["hoinghi-qa"],
    )
    messages: list[ChatMessage] = Field(min_length=1)
    stream: StrictBool | None = Field(False, description="Server-Sent Events, as OpenAI.")
    stream_options: StreamOptions | None = None
    n: StrictInt | None = Field(None, description="Only 1 is supported.")
    temperature: float | None = Field(None, description="Accepted and ignored.")
    top_p: float | None = Field(None, description="Accepted and ignored.")
    max_tokens: StrictInt | None = Field(None, description="Accepted and ignored.")
    max_completion_tokens: StrictInt | None = Field(None, description="Accepted and ignored.")
    user: StrictStr | None = Field(None, description="Accepted and ignored.")


# ---------------------------------------------------------------------------- responses
class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Word counts (whitespace-separated), not model tokens: the extractive answerer has no
    tokenizer of its own. Prompt words count every message's text."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str = Field(examples=["chatcmpl-3f2a..."])
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix time (seconds).")
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[Citation] = Field(
        description="The answer's numbered sources (as in POST /ask); `[n]` in the content "
        "refers to citation `n`."
    )
    short_answer: ShortAnswer | None = Field(
        None, description="The span that answers the question (null when it abstains)."
    )


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    """One `data:` event of a streamed completion. The last one with choices has
    `finish_reason: "stop"` and carries `citations` and `short_answer`."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    citations: list[Citation] | None = None
    short_answer: ShortAnswer | None = None


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "hoinghi-qa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]
