"""The ``VectorIndex`` protocol, the spec of one built index, and a registry of
implementations chosen by name.

A ``VectorIndexSpec`` says which structure a generation's vectors were indexed with and
its parameters (e.g. HNSW's ``M``); it is recorded in the manifest so that loading uses
exactly what was built. A ``FaissPolicy`` chooses the spec from the corpus size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

FLAT = "faiss-flat-ip"
HNSW = "faiss-hnsw-ip"


class VectorIndex(Protocol):
    """Inner-product search over L2-normalised vectors (i.e. cosine similarity)."""

    kind: str
    dim: int

    @property
    def size(self) -> int: ...

    @property
    def params(self) -> dict[str, int]:
        """The structure's parameters (empty for exact search)."""
        ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and row ids, each ``[len(queries), k]``; missing hits have id -1."""
        ...

    def save(self, path: Path) -> None: ...


@dataclass(frozen=True)
class VectorIndexSpec:
    """Which structure indexes a generation's vectors, with its parameters."""

    kind: str = FLAT
    params: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> VectorIndexSpec:
        if not data:
            return cls()  # manifests from before the spec was recorded: exact search
        return cls(str(data["kind"]), {str(k): int(v) for k, v in data["params"].items()})


@dataclass(frozen=True)
class FaissPolicy:
    """Exact search up to ``flat_max`` vectors, HNSW (graph, approximate) beyond."""

    flat_max: int = 100_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128

    def choose(self, n_vectors: int) -> VectorIndexSpec:
        if n_vectors <= self.flat_max:
            return VectorIndexSpec(FLAT)
        return VectorIndexSpec(
            HNSW,
            {
                "M": self.hnsw_m,
                "ef_construction": self.hnsw_ef_construction,
                "ef_search": self.hnsw_ef_search,
            },
        )


VectorIndexFactory = Callable[[np.ndarray, Mapping[str, int]], VectorIndex]
VectorIndexLoader = Callable[[Path, int, Mapping[str, int]], VectorIndex]


def _registry() -> tuple[dict[str, VectorIndexFactory], dict[str, VectorIndexLoader]]:
    from rag.index.faiss_index import FaissFlatIndex, FaissHnswIndex

    builders: dict[str, VectorIndexFactory] = {
        FaissFlatIndex.kind: FaissFlatIndex.build,
        FaissHnswIndex.kind: FaissHnswIndex.build,
    }
    loaders: dict[str, VectorIndexLoader] = {
        FaissFlatIndex.kind: FaissFlatIndex.load,
        FaissHnswIndex.kind: FaissHnswIndex.load,
    }
    return builders, loaders


def build_vector_index(spec: VectorIndexSpec, vectors: np.ndarray) -> VectorIndex:
    builders, _ = _registry()
    if spec.kind not in builders:
        raise ValueError(f"unknown vector index {spec.kind!r} (known: {', '.join(builders)})")
    return builders[spec.kind](vectors, spec.params)


def load_vector_index(
    spec: VectorIndexSpec, path: Path, dim: int, overrides: Mapping[str, int] | None = None
) -> VectorIndex:
    """Load what ``spec`` built; ``overrides`` changes search-time parameters the spec
    has (e.g. HNSW's ``ef_search``, which needs no rebuild) and is ignored otherwise."""
    _, loaders = _registry()
    if spec.kind not in loaders:
        raise ValueError(f"unknown vector index {spec.kind!r} (known: {', '.join(loaders)})")
    changed = {k: v for k, v in (overrides or {}).items() if k in spec.params}
    return loaders[spec.kind](path, dim, {**spec.params, **changed})
