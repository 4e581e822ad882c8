"""The ``Answerer`` protocol and the retrieved passages it works from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rag.answering.models import Citation
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


@dataclass
class Draft:
    """What an answerer produces; the pipeline adds timings and metadata."""

    answer: str
    abstained: bool
    citations: list[Citation]
    confidence: float = 0.0


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
        text=doc.text[start:end],
        start=start,
        end=end,
        score=round(passage.score, 6),
    )
