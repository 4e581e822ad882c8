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
        return [Hit(int(r), float(scores[r])) for r in top_rows(scores, k) if scores[r] > 0]


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best rows, best first, ties by row (as a stable sort of all would give);
    a partial selection first, so the cost at 1M chunks is a pass, not a sort."""
    if k < len(scores):
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= kth)  # every tie at the k-th score
    else:
        candidates = np.arange(len(scores))
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]
