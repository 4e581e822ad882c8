"""Exact inner-product FAISS index (``IndexFlatIP``): right for corpora up to ~10^6 chunks."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class FaissFlatIndex:
    kind = "faiss-flat-ip"

    def __init__(self, index: faiss.Index) -> None:
        self._index = index
        self.dim = int(index.d)

    @classmethod
    def build(cls, vectors: np.ndarray) -> FaissFlatIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @classmethod
    def load(cls, path: Path, dim: int) -> FaissFlatIndex:
        # memory-mapped: worker processes share the vectors through the page cache
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP)
        if index.d != dim:
            raise ValueError(f"FAISS index at {path} has dimension {index.d}, expected {dim}")
        return cls(index)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = max(1, min(k, self.size)) if self.size else 1
        if not self.size:
            n = len(queries)
            return np.zeros((n, 1), np.float32), -np.ones((n, 1), np.int64)
        scores, ids = self._index.search(queries, k)
        return scores, ids

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))
