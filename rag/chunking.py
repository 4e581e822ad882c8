"""Split a document's cleaned text into overlapping, model-sized chunks with offsets.

``langchain-text-splitters`` does the splitting on paragraph, line, sentence and clause
boundaries, with the embedder's own tokenizer as the length function. Each chunk keeps
``start``/``end`` character offsets such that ``text[start:end] == chunk.text``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ": ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int
    text: str
    start: int
    end: int

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.index}"


@dataclass(frozen=True)
class ChunkerSettings:
    chunk_tokens: int
    overlap_tokens: int

    def as_dict(self) -> dict[str, int | str]:
        return {
            "splitter": "langchain-recursive-v1",
            "chunk_tokens": self.chunk_tokens,
            "overlap_tokens": self.overlap_tokens,
        }


class Chunker:
    """Token-aware recursive splitter that records character offsets."""

    def __init__(self, settings: ChunkerSettings, count_tokens: Callable[[str], int]) -> None:
        if settings.overlap_tokens >= settings.chunk_tokens:
            raise ValueError("chunk overlap must be smaller than the chunk size")
        self.settings = settings
        self._splitter = RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            keep_separator="end",
            chunk_size=settings.chunk_tokens,
            chunk_overlap=settings.overlap_tokens,
            length_function=count_tokens,
            strip_whitespace=True,
        )

    def split(self, doc_id: str, text: str) -> list[Chunk]:
        chunks: list[Chunk] = []
        cursor = 0
        for piece in self._splitter.split_text(text):
            start = locate(text, piece, cursor)
            chunks.append(Chunk(doc_id, len(chunks), piece, start, start + len(piece)))
            cursor = start + 1
        return chunks


def locate(text: str, piece: str, cursor: int) -> int:
    """Offset of ``piece`` in ``text`` at or after ``cursor`` (chunks come in order)."""
    start = text.find(piece, cursor)
    if start < 0:  # overlap can make a chunk begin before the previous one ended
        start = text.find(piece)
    if start < 0:
        raise ValueError("splitter returned text that is not in the document")
    return start
