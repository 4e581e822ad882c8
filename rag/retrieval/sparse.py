"""Lexical retrieval: BM25 over Vietnamese syllables."""

from __future__ import annotations

import numpy as np

from rag.index.searchable import SearchableIndex
from rag.retrieval.base import Hit, Query


class Bm25Retriever:
    name = "bm25"

    def __init__(self, index: SearchableIndex) -> None:
        self.index = index

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        scores = self.index.bm25.scores(query.lexical_text or query.text)
        if not len(scores):
            return []
        top = np.argsort(-scores, kind="stable")[:k]
        return [Hit(int(r), float(scores[r])) for r in top if scores[r] > 0]
