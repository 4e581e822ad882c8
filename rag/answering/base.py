"""The ``Answerer`` protocol and the retrieved passages it works from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rag.answering.models import Citation, ShortAnswer
from rag.chunking import Chunk
from rag.documents import Document
from rag.retrieval.base import Query


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk together with its document."""

    chunk: Chunk
    document: Document
    score: float
    dense: float | None


@dataclass(frozen=True)
class Support:
    """A sentence an answer rests on: ``document.text[start:end] == text``, inside the
    passage of citation ``n``."""

    text: str
    n: int
    doc_id: str
    start: int
    end: int


@dataclass
class Draft:
    """What an answerer produces; the pipeline adds timings and metadata."""

    answer: str
    abstained: bool
    citations: list[Citation]
    confidence: float = 0.0
    short_answer: ShortAnswer | None = None
    support: list[Support] = field(default_factory=list)
    """The supporting sentences, best first (the extractive answerer's; empty otherwise)."""


class Answerer(Protocol):
    name: str

    def answer(self, query: Query, passages: list[Passage]) -> Draft: ...


def citation(n: int, passage: Passage, start: int, end: int) -> Citation:
    """Citation ``n`` of the span ``[start, end)`` of ``passage``'s document."""
    doc = passage.document
    return Citation(
        n=n,
        doc_id=doc.doc_id,
        title=doc.title,
        source=doc.source,
        date=doc.date,
        date_source=doc.date_source,
        page=doc.page_at(start),
        text=doc.text[start:end],
        start=start,
        end=end,
        score=round(passage.score, 6),
    )


def citation_containing(
    citations: Sequence[Citation], doc_id: str, start: int, end: int, prefer: int | None = None
) -> Citation | None:
    """The citation whose passage holds the span ``[start, end)`` of document ``doc_id``:
    citation ``prefer`` when it does, else the lowest-numbered one; ``None`` when none does."""
    holding = [c for c in citations if c.doc_id == doc_id and c.start <= start <= end <= c.end]
    if not holding:
        return None
    return next((c for c in holding if c.n == prefer), min(holding, key=lambda c: c.n))


def place_short_answer(
    short: ShortAnswer | None, citations: Sequence[Citation]
) -> ShortAnswer | None:
    """``short`` numbered after the citation (of ``citations``) whose passage holds it.

    Its text is checked against that passage (``passage[start:end] == text``); ``None``
    when no citation holds the span, or the text differs, rather than a wrong ``[n]``.
    """
    if short is None or short.start >= short.end:
        return None
    found = citation_containing(citations, short.doc_id, short.start, short.end, short.n)
    if found is None:
        return None
    if found.text[short.start - found.start : short.end - found.start] != short.text:
        return None
    return short if short.n == found.n else short.model_copy(update={"n": found.n})
