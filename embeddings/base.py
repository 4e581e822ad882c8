"""The ``Embedder`` protocol: what the rest of the system needs from an encoder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

ProgressFn = Callable[[int], None]
"""Called with the number of texts just encoded (for progress bars)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors.

    Backends apply their model's own conventions (e.g. E5's ``query: ``/``passage: ``
    prefixes) themselves: callers pass raw text.
    """

    model_id: str
    """Identity of the vector space; two embedders with the same id give the same vectors."""
    dim: int
    max_tokens: int
    """Longest passage (in tokens, prefix and special tokens included) encoded in one pass."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(
        self, texts: Sequence[str], progress: ProgressFn | None = None
    ) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage (prefix and specials included)."""
        ...


@dataclass(frozen=True)
class TokenVectors:
    """Contextual vectors of a text's tokens: ``offsets[i]`` is the (start, end) of token
    ``i`` in the text (prefixes excluded), ``vectors[i]`` its L2-normalised vector."""

    offsets: np.ndarray
    vectors: np.ndarray


@runtime_checkable
class TokenEncoder(Protocol):
    """An encoder that can also give per-token vectors from a middle layer, where tokens of
    different languages that mean the same thing lie close (word alignment)."""

    def token_vectors(self, texts: Sequence[str], *, query: bool) -> list[TokenVectors]: ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def batched(texts: Sequence[str], size: int) -> list[Sequence[str]]:
    return [texts[i : i + size] for i in range(0, len(texts), size)]
