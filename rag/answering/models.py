"""The answer and search objects returned by ``Pipeline`` (and, as JSON, by the API/CLI)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Citation(BaseModel):
    n: int = Field(description="Number used in the answer's [n] markers.")
    doc_id: str
    title: str
    source: str
    date: str | None
    date_source: str | None = Field(
        default=None,
        description='Where the date came from: "meta" (the file\'s metadata), "text" (a full '
        "date in the article's head) or null (the document states no date).",
    )
    page: int | None = Field(
        default=None,
        description="1-based page holding the passage's start (null: no pages, e.g. HTML).",
    )
    text: str = Field(description="The cited passage: document.text[start:end].")
    start: int = Field(description="Start offset in the document's cleaned text.")
    end: int = Field(description="End offset (exclusive) in the document's cleaned text.")
    score: float = Field(description="Retrieval score of the passage.")


class ShortAnswer(BaseModel):
    """The shortest span that answers the question, copied exactly from a cited passage:
    ``document.text[start:end] == text`` for the document ``doc_id`` of citation ``n``."""

    text: str
    n: int = Field(description="The citation ([n]) whose passage holds the span.")
    doc_id: str
    start: int = Field(description="Start offset in the document's cleaned text.")
    end: int = Field(description="End offset (exclusive) in the document's cleaned text.")


class Answer(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    short_answer: ShortAnswer | None = Field(
        default=None,
        description="The span that answers the question (null when the answer abstains).",
    )
    backend: str
    timings_ms: dict[str, float]
    mode: str = "hybrid"
    confidence: float = Field(0.0, description="Evidence score the abstention rule used.")
    model: str | None = Field(
        default=None, description="LLM consulted for the answer (null: not called)."
    )
    grounded: bool | None = Field(
        default=None,
        description="LLM answer passed the citation check; false: `answer` is the extractive "
        "fallback and `llm_answer` the rejected text; null: no LLM answer was checked.",
    )
    llm_answer: str | None = Field(
        default=None, description="The LLM's own text, when it was called."
    )
    tokens_per_s: float | None = Field(default=None, description="LLM generation speed.")


class SearchResult(BaseModel):
    rank: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    date: str | None
    text: str
    start: int
    end: int
    score: float
    dense_score: float | None = None
    date_source: str | None = None
    page: int | None = Field(default=None, description="1-based page of `start` (PDF).")


class SearchResponse(BaseModel):
    question: str
    mode: str
    results: list[SearchResult]
    timings_ms: dict[str, float]
