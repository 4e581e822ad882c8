"""Request and response bodies of the HTTP API.

``Answer``, ``Citation``, ``ShortAnswer`` and ``SearchResponse`` come from
:mod:`rag.answering.models`, so ``POST /ask`` (and the ``done`` event of ``/ask/stream``)
returns exactly what ``rag ask --json`` prints, including ``short_answer``: the span that
answers the question, ``{text, n, doc_id, start, end}`` with
``document.text[start:end] == text`` inside citation ``n``'s passage, or null.

Request fields are strict: a number is not a string and a string is not a number
(``"top_k": "5"`` is a 422).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from rag.answering.factory import ANSWERERS

Mode = Literal["hybrid", "dense", "bm25"]

_QUESTION = Field(
    description="The question (Vietnamese or English). Must not be blank; at most "
    "RAG_MAX_QUESTION_CHARS characters (default 2000).",
    examples=["Thanh Hóa phấn đấu cùng những địa phương nào tạo thành tứ giác phát triển?"],
)
_TOP_K = Field(5, ge=1, le=20, description="Passages to retrieve (1-20).")
_MODE_DOC = "Retrieval: hybrid (dense + BM25, fused), dense or bm25."
MAX_HISTORY_TURNS = 20
_MAX_TURN_CHARS = 20_000


def _is_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") is not text
        raise ValueError("is not valid Unicode text (lone surrogate)") from None
    return value


class HistoryTurn(BaseModel):
    """An earlier exchange of the conversation, as the client showed it."""

    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(max_length=_MAX_TURN_CHARS)
    answer: StrictStr = Field("", max_length=_MAX_TURN_CHARS)

    _text = field_validator("question", "answer")(_is_text)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr = _QUESTION
    top_k: StrictInt = _TOP_K
    mode: Mode = Field("hybrid", description=_MODE_DOC)
    llm: StrictStr | None = Field(
        None,
        description=f"Answer backend ({' | '.join(ANSWERERS)}); default: the server's "
        "(RAG_LLM, else extractive). An unknown name is a 422; an LLM that is not "
        "installed or reachable is a 503.",
    )
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns of the conversation, oldest first (at most "
        f'{MAX_HISTORY_TURNS}). With history, a follow-up such as "còn lần thứ 31 thì sao?" '
        "is rewritten into a standalone question (the REPL's rules) before it is searched; "
        "the answer's `question` is the rewritten one.",
    )


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr = _QUESTION
    top_k: StrictInt = _TOP_K
    mode: Mode = Field("hybrid", description=_MODE_DOC)


class DocumentIn(BaseModel):
    """A document to add (or replace, when ``doc_id`` exists). The text is cleaned the same
    way as ingested files before it is chunked and embedded."""

    model_config = ConfigDict(extra="forbid")

    doc_id: StrictStr = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[\w][\w.\-]*$",
        description="Letters, digits, `_`, `.` and `-`.",
        examples=["bao-cao-2024"],
    )
    title: StrictStr = Field(min_length=1, max_length=1000)
    text: StrictStr = Field(min_length=1)
    date: StrictStr | None = Field(
        None, max_length=100, description="Publication date (any common format; stored ISO)."
    )
    url: StrictStr | None = Field(None, max_length=2000)
    source: StrictStr | None = Field(
        None, max_length=300, description="Shown in citations; default `api`."
    )

    @field_validator("title", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("doc_id", "title", "text", "date", "url", "source")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain a NUL character (\\u0000)")
        return value


# ---------------------------------------------------------------------------- responses
class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    status: Literal["ready"] = "ready"
    generation: str | None = Field(description="The live index generation.")
    documents: int
    chunks: int
    model: str = Field(description="Embedding model id.")
    warm_up_seconds: float | None = None


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    source: str
    date: str | None
    chunks: int
    content_hash: str


class DocumentList(BaseModel):
    count: int
    documents: list[DocumentSummary]


class ChunkSpan(BaseModel):
    chunk_id: str
    index: int
    start: int = Field(description="Start offset in the document's cleaned text.")
    end: int = Field(description="End offset (exclusive).")
    page: int | None = Field(None, description="1-based page of `start` (null: no pages).")


class DocumentDetail(BaseModel):
    """A document's cleaned text: citations' ``start``/``end`` index into ``text``."""

    doc_id: str
    title: str
    source: str
    date: str | None
    date_source: str | None = Field(
        None, description='"meta" (file metadata), "text" (a date in the article head) or null.'
    )
    url: str | None
    content_hash: str
    text: str
    pages: list[int] = Field(
        default_factory=list,
        description="Offset in `text` where each page starts (page n starts at pages[n-1]); "
        "empty for documents without pages (everything but PDF).",
    )
    chunks: list[ChunkSpan]


class IngestResult(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    chunks: int = Field(description="Chunks in the index afterwards.")
    embedded_chunks: int = Field(description="Chunks embedded by this request.")
    generation: str | None = Field(description="The index generation now live.")
