"""The ``LexicalIndex`` protocol: BM25 over a generation's chunks, wherever it is stored.

Two stores implement it with the same tokens (``rag.retrieval.bm25.lexical_fields``):
``bm25s`` (files in the generation folder, the default) and ``milvus`` (sparse BM25 fields
in the generation's Milvus collection, ``rag.retrieval.milvus_bm25``). Which one a
generation was built with is recorded in its ``bm25/meta.json``, so loading never depends
on the configuration of the moment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from rag.index.vector_index import LEXICAL_STORES, VectorIndex


class LexicalIndex(Protocol):
    @property
    def size(self) -> int: ...

    def coverage(self, query: str) -> float:
        """Share of the query's syllables that occur in the corpus at all (0..1)."""
        ...

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best chunk rows by BM25 with their scores, best first (rows that match
        no query syllable are left out)."""
        ...

    def save(self, path: Path) -> None: ...


def lexical_store_of(path: Path) -> str:
    """Which store a generation's lexical index (its ``bm25`` folder) was built with."""
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    return str(meta.get("store", "bm25s"))  # folders from before this was recorded: bm25s


def load_lexical_index(path: Path, vectors: VectorIndex) -> LexicalIndex:
    """The lexical index a generation saved at ``path``; a Milvus one is searched in the
    collection that also holds the generation's ``vectors``."""
    store = lexical_store_of(path)
    if store == "milvus":
        from rag.retrieval.milvus_bm25 import MilvusBm25Index

        return MilvusBm25Index.of(vectors)
    if store != "bm25s":
        raise ValueError(f"unknown lexical store {store!r} (known: {', '.join(LEXICAL_STORES)})")
    from rag.retrieval.bm25 import Bm25Index

    return Bm25Index.load(path)
