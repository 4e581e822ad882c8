"""Dense retrieval: the query's embedding against the FAISS index."""

from __future__ import annotations

import time

import numpy as np

from embeddings import Embedder
from rag.index.searchable import SearchableIndex
from rag.retrieval.base import Hit, Query


def query_vector(query: Query, embedder: Embedder) -> np.ndarray:
    """The query's embedding, computed once per query."""
    if query.vector is None:
        started = time.perf_counter()
        query.vector = embedder.embed_queries([query.dense_text or query.text])[0]
        query.timings_ms["embed"] = (time.perf_counter() - started) * 1000
    return query.vector


class DenseRetriever:
    name = "dense"

    def __init__(self, index: SearchableIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        vector = query_vector(query, self.embedder)
        scores, rows = self.index.vectors.search(vector[None, :], k)
        return [
            Hit(int(r), float(s), dense=float(s))
            for s, r in zip(scores[0], rows[0], strict=True)
            if r >= 0
        ]
