"""Lexical retrieval: BM25 over Vietnamese syllables (bm25s files or Milvus)."""

from __future__ import annotations

from rag.index.searchable import SearchableIndex
from rag.retrieval.base import Hit, Query


class Bm25Retriever:
    name = "bm25"

    def __init__(self, index: SearchableIndex) -> None:
        self.index = index

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        best = self.index.bm25.top(query.lexical_text or query.text, k)
        return [Hit(row, score) for row, score in best]
