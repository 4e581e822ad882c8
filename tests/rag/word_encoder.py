"""A token encoder for tests: one token per word, and words that mean the same thing (in
Vietnamese or English) share a vector, as aligned tokens do in the real encoder."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from embeddings import TokenVectors

CONCEPTS = {"weather": 0, "thời": 0, "tiết": 0, "hanoi": 1, "hà": 1, "nội": 1, "rain": 2,
            "mưa": 2, "conference": 3, "hội": 3, "nghị": 3}  # fmt: skip
DIM = 16


def word_vector(word: str) -> np.ndarray:
    """The concept's axis, or one of the other axes for a word of no listed concept."""
    v = np.zeros(DIM, dtype=np.float32)
    v[CONCEPTS.get(word.lower(), 4 + sum(map(ord, word)) % (DIM - 4))] = 1.0
    return v


class WordEncoder:
    """Every text has the same embedding (cosines tie); token vectors by ``word_vector``.
    ``calls`` records the texts asked for token vectors."""

    model_id = encoder_id = "test-words"
    dim = DIM
    max_tokens = 512

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(np.eye(DIM, dtype=np.float32)[0], (len(texts), 1))

    def embed_passages(self, texts: Sequence[str], progress: object = None) -> np.ndarray:
        return self.embed_queries(texts)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def token_vectors(self, texts: Sequence[str], *, query: bool) -> list[TokenVectors]:
        self.calls.append(tuple(texts))
        out = []
        for text in texts:
            spans = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
            vectors = np.array([word_vector(text[a:b]) for a, b in spans], dtype=np.float32)
            out.append(TokenVectors(np.array(spans).reshape(-1, 2), vectors.reshape(-1, DIM)))
        return out
