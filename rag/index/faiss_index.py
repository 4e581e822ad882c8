"""FAISS inner-product indexes: exact (``IndexFlatIP``), graph-based (``IndexHNSWFlat``)
and inverted-file (``IndexIVFFlat``: vectors grouped by their nearest of ``nlist``
k-means centroids; a query scans the ``nprobe`` nearest groups).

All are loaded memory-mapped (``IO_FLAG_MMAP_IFC``: the vectors, and IVF's inverted lists,
stay in the file and server workers share them through the page cache; the HNSW graph
links and IVF's centroids are read into memory). Plain ``IO_FLAG_MMAP`` only maps IVF
inverted lists: with it a flat index is copied whole into every process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import faiss
import numpy as np

from rag.index.vector_index import FLAT, HNSW, IVF, ivf_nlist

_T = TypeVar("_T", bound=faiss.Index)
_MMAP_FLAG: int = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP)


def _read(path: Path, dim: int) -> faiss.Index:
    index = faiss.read_index(str(path), _MMAP_FLAG)
    if index.d != dim:
        raise ValueError(f"FAISS index at {path} has dimension {index.d}, expected {dim}")
    return index


def _read_as(path: Path, dim: int, expected: type[_T], name: str) -> _T:
    """``_read``, and the index must be of ``expected`` (read_index returns the concrete
    class)."""
    index = _read(path, dim)
    if not isinstance(index, expected):
        raise ValueError(f"FAISS index at {path} is {type(index).__name__}, not {name}")
    return index


class _FaissIndex:
    kind: str

    def __init__(self, index: faiss.Index, params: dict[str, int] | None = None) -> None:
        self._index = index
        self.dim = int(index.d)
        self._params = dict(params or {})

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def params(self) -> dict[str, int]:
        """The parameters the structure was built and searched with (the manifest's)."""
        return dict(self._params)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if not self.size:
            n = len(queries)
            return np.zeros((n, 1), np.float32), -np.ones((n, 1), np.int64)
        k = max(1, min(k, self.size))
        search_params = self._search_params(k)
        if search_params is None:
            return self._index.search(queries, k)
        return self._index.search(queries, k, params=search_params)

    def _search_params(self, k: int) -> faiss.SearchParameters | None:
        """Per-call search parameters (thread-safe, unlike setting them on the index)."""
        return None

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
    def load(cls, path: Path, dim: int, params: Mapping[str, int] | None = None) -> FaissFlatIndex:
        return cls(_read(path, dim))


class FaissHnswIndex(_FaissIndex):
    """Approximate search over a navigable small-world graph of the vectors (HNSW, inner
    product). ``M``: links per node; ``ef_construction``: candidate list while building;
    ``ef_search``: candidate list per query (recall against speed, settable at load)."""

    kind = HNSW

    def __init__(self, index: faiss.IndexHNSWFlat, params: Mapping[str, int]) -> None:
        super().__init__(index, {k: int(params[k]) for k in ("M", "ef_construction", "ef_search")})
        self._ef_search = self._params["ef_search"]
        index.hnsw.efSearch = self._ef_search

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
        return cls(_read_as(path, dim, faiss.IndexHNSWFlat, "HNSW"), params)

    def _search_params(self, k: int) -> faiss.SearchParameters | None:
        search_params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        search_params.efSearch = max(self._ef_search, k)  # the candidate list holds k at least
        return search_params


class FaissIvfIndex(_FaissIndex):
    """Approximate search over an inverted file (IVF, inner product, vectors kept whole).
    ``nlist``: k-means lists (build time); ``train_size``: vectors the k-means is trained
    on (a fixed-seed sample; build time); ``nprobe``: lists scanned per query (recall
    against speed, settable at load)."""

    kind = IVF

    def __init__(self, index: faiss.IndexIVFFlat, params: Mapping[str, int]) -> None:
        super().__init__(index, {k: int(params[k]) for k in ("nlist", "nprobe", "train_size")})
        self._nprobe = max(1, min(self._params["nprobe"], int(index.nlist)))
        index.nprobe = self._nprobe

    @classmethod
    def build(cls, vectors: np.ndarray, params: Mapping[str, int]) -> FaissIvfIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        nlist = ivf_nlist(n, params.get("nlist", 0))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.spherical = True  # unit vectors: centroids on the sphere
        index.cp.seed = 1234
        index.cp.min_points_per_centroid = 1  # small corpora: no "too few points" warning
        train_size = min(n, max(nlist, int(params.get("train_size", 0)) or n))
        if n:
            rows = np.random.default_rng(1234).choice(n, train_size, replace=False)
            index.train(vectors[np.sort(rows)])
            index.add(vectors)
        built = {"nlist": nlist, "nprobe": int(params["nprobe"]), "train_size": train_size}
        return cls(index, built)

    @classmethod
    def load(cls, path: Path, dim: int, params: Mapping[str, int]) -> FaissIvfIndex:
        return cls(_read_as(path, dim, faiss.IndexIVFFlat, "IVF"), params)

    def _search_params(self, k: int) -> faiss.SearchParameters | None:
        search_params = faiss.SearchParametersIVF()
        search_params.nprobe = self._nprobe
        return search_params
