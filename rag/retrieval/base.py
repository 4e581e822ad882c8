"""The ``Retriever`` protocol and the objects retrievers exchange."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class Query:
    """A question on its way through retrieval; the vector is computed once, on demand."""

    text: str
    lang: str = "vi"
    dense_text: str | None = None
    """What the dense encoder reads (e.g. the question with its diacritics restored)."""
    lexical_text: str | None = None
    """What BM25 matches (e.g. an English question rendered in Vietnamese terms)."""
    lexical_share: float | None = None
    """How much of the question ``lexical_text`` renders (0..1; None: all of it)."""
    vector: np.ndarray | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk: its row in the index snapshot and a retriever-specific score."""

    row: int
    score: float
    dense: float | None = None
    """Cosine similarity between query and chunk, when known."""


class Retriever(Protocol):
    name: str

    def retrieve(self, query: Query, k: int) -> list[Hit]: ...
