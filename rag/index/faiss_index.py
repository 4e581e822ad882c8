"""FAISS inner-product indexes: exact (``IndexFlatIP``) and graph-based (``IndexHNSWFlat``).

Both are loaded memory-mapped (``IO_FLAG_MMAP_IFC``: the vectors stay in the file and
server workers share them through the page cache; the HNSW graph links are read into
memory). Plain ``IO_FLAG_MMAP`` only maps IVF inverted lists: with it a flat index is
copied whole into every process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import faiss
import numpy as np

from rag.index.vector_index import FLAT, HNSW

_MMAP_FLAG: int = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP)


def _read(path: Path, dim: int) -> faiss.Index:
    index = faiss.read_index(str(path), _MMAP_FLAG)
    if index.d != dim:
        raise ValueError(f"FAISS index at {path} has dimension {index.d}, expected {dim}")
    return index


class _FaissIndex:
    kind: str

    def __init__(self, index: faiss.Index) -> None:
        self._index = index
        self.dim = int(index.d)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def params(self) -> dict[str, int]:
        return {}

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if not self.size:
            n = len(queries)
            return np.zeros((n, 1), np.float32), -np.ones((n, 1), np.int64)
        k = max(1, min(k, self.size))
        scores, ids = self._index.search(queries, k)
        return scores, ids

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))


class FaissFlatIndex(_FaissIndex):
    """Exact search: every query is compared with every vector (~100k chunks)."""

    kind = FLAT

    @classmethod
    def build(cls, vectors: np.ndarray, params: Mapping[str, int] | None = None) -> FaissFlatIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @classmethod
    def load(
        cls, path: Path, dim: int, params: Mapping[str, int] | None = None
    ) -> FaissFlatIndex:
        return cls(_read(path, dim))


class FaissHnswIndex(_FaissIndex):
    """Approximate search over a navigable small-world graph of the vectors (HNSW, inner
    product). ``M``: links per node; ``ef_construction``: candidate list while building;
    ``ef_search``: candidate list per query (recall against speed, settable at load)."""

    kind = HNSW

    def __init__(self, index: faiss.IndexHNSWFlat, params: Mapping[str, int]) -> None:
        super().__init__(index)
        self._hnsw = index
        self._params = {k: int(params[k]) for k in ("M", "ef_construction", "ef_search")}
        self._ef_search = self._params["ef_search"]
        index.hnsw.efSearch = self._ef_search

    @property
    def params(self) -> dict[str, int]:
        return dict(self._params)

    @classmethod
    def build(cls, vectors: np.ndarray, params: Mapping[str, int]) -> FaissHnswIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexHNSWFlat(vectors.shape[1], params["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params["ef_construction"]
        if len(vectors):
            index.add(vectors)
        return cls(index, params)

    @classmethod
    def load(cls, path: Path, dim: int, params: Mapping[str, int]) -> FaissHnswIndex:
        index = _read(path, dim)  # read_index returns the concrete class
        if not isinstance(index, faiss.IndexHNSWFlat):
            raise ValueError(f"FAISS index at {path} is {type(index).__name__}, not HNSW")
        return cls(index, params)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if not self.size:
            return super().search(queries, k)
        k = max(1, min(k, self.size))
        # per call (thread-safe), and the candidate list must hold at least k results
        search_params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        search_params.efSearch = max(self._ef_search, k)
        scores, ids = self._hnsw.search(queries, k, params=search_params)
        return scores, ids
