"""The ``VectorIndex`` protocol and a registry of implementations chosen by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np


class VectorIndex(Protocol):
    """Inner-product search over L2-normalised vectors (i.e. cosine similarity)."""

    kind: str
    dim: int

    @property
    def size(self) -> int: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and row ids, each ``[len(queries), k]``; missing hits have id -1."""
        ...

    def save(self, path: Path) -> None: ...


VectorIndexFactory = Callable[[np.ndarray], VectorIndex]
VectorIndexLoader = Callable[[Path, int], VectorIndex]


def build_vector_index(kind: str, vectors: np.ndarray) -> VectorIndex:
    from rag.index.faiss_index import FaissFlatIndex

    builders: dict[str, VectorIndexFactory] = {FaissFlatIndex.kind: FaissFlatIndex.build}
    if kind not in builders:
        raise ValueError(f"unknown vector index {kind!r} (known: {', '.join(builders)})")
    return builders[kind](vectors)


def load_vector_index(kind: str, path: Path, dim: int) -> VectorIndex:
    from rag.index.faiss_index import FaissFlatIndex

    loaders: dict[str, VectorIndexLoader] = {FaissFlatIndex.kind: FaissFlatIndex.load}
    if kind not in loaders:
        raise ValueError(f"unknown vector index {kind!r} (known: {', '.join(loaders)})")
    return loaders[kind](path, dim)
