"""Build a retriever by mode name: ``hybrid``, ``dense`` or ``bm25``."""

from __future__ import annotations

from embeddings import Embedder, TokenEncoder
from rag.errors import InputError
from rag.index.searchable import SearchableIndex
from rag.retrieval.base import Retriever
from rag.retrieval.dense import DenseRetriever
from rag.retrieval.hybrid import HybridRetriever
from rag.retrieval.late_interaction import LateInteraction
from rag.retrieval.sparse import Bm25Retriever

MODES = ("hybrid", "dense", "bm25")


def build_retriever(
    mode: str,
    index: SearchableIndex,
    embedder: Embedder,
    *,
    candidates: int,
    rrf_k: int,
    late_interaction: bool = True,
) -> Retriever:
    """The retriever for ``mode``; ``late_interaction``: hybrid retrieval re-ranks English
    questions by token coverage when the encoder gives token vectors (late_interaction.py)."""
    if mode == "dense":
        return DenseRetriever(index, embedder)
    if mode == "bm25":
        return Bm25Retriever(index)
    if mode == "hybrid":
        return HybridRetriever(
            DenseRetriever(index, embedder),
            Bm25Retriever(index),
            candidates=candidates,
            rrf_k=rrf_k,
            late=LateInteraction(index, embedder)
            if late_interaction and isinstance(embedder, TokenEncoder)
            else None,
        )
    raise InputError(f"unknown retrieval mode {mode!r} (use one of: {', '.join(MODES)})")
