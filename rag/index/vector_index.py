"""The ``VectorIndex`` protocol, the spec of one built index, and a registry of
implementations chosen by name.

A ``VectorIndexSpec`` says which structure a generation's vectors were indexed with and
its parameters (e.g. HNSW's ``M``); it is recorded in the manifest so that loading uses
exactly what was built. A ``VectorPolicy`` chooses the spec from the corpus size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from rag.index.milvus_index import MilvusConnection

FLAT = "faiss-flat-ip"
HNSW = "faiss-hnsw-ip"
IVF = "faiss-ivf-ip"
LARGE_STRUCTURES = ("ivf", "hnsw")
SEARCH_TIME = frozenset({"ef_search", "nprobe"})
"""Parameters that may differ from the manifest's when an index loads (no rebuild)."""
MILVUS = "milvus-ip"
STORES = ("faiss", "milvus")
LEXICAL_STORES = ("bm25s", "milvus")


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


def ivf_nlist(n_vectors: int, nlist: int = 0) -> int:
    """The number of IVF lists: ``nlist`` when given, else ~4·sqrt(N), and never more
    than one list per vector."""
    wanted = nlist or 4 * round(n_vectors**0.5)
    return max(1, min(wanted, n_vectors))


@dataclass(frozen=True)
class VectorPolicy:
    """Which store holds the vectors and which structure indexes them. FAISS: exact search
    up to ``flat_max`` vectors, ``large`` beyond: an inverted file (``ivf``, approximate,
    ``ivf_nlist`` lists (0: ~4·sqrt(N)) trained on ``ivf_train_size`` vectors, ``ivf_nprobe``
    scanned per query) or an HNSW graph (``hnsw``). Milvus: one collection per generation
    through ``milvus`` (its server chooses the structure)."""

    flat_max: int = 100_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128
    store: str = "faiss"
    milvus: MilvusConnection | None = None
    lexical: str = "bm25s"
    """Where BM25 lives: ``bm25s`` files in the generation folder, or ``milvus`` fields in
    the generation's collection (only with the milvus vector store)."""
    large: str = "ivf"
    ivf_nlist: int = 0
    ivf_nprobe: int = 32
    ivf_train_size: int = 200_000

    def __post_init__(self) -> None:
        if self.store not in STORES:
            raise ValueError(f"unknown vector store {self.store!r} (known: {', '.join(STORES)})")
        if self.large not in LARGE_STRUCTURES:
            known = ", ".join(LARGE_STRUCTURES)
            raise ValueError(f"unknown large-index structure {self.large!r} (known: {known})")
        if self.store == "milvus" and self.milvus is None:
            raise ValueError("the milvus vector store needs a connection (RAG_MILVUS_URI)")
        if self.lexical not in LEXICAL_STORES:
            known = ", ".join(LEXICAL_STORES)
            raise ValueError(f"unknown lexical store {self.lexical!r} (known: {known})")
        if self.lexical == "milvus" and self.store != "milvus":
            raise ValueError("the milvus lexical store needs the milvus vector store")

    def choose(self, n_vectors: int) -> VectorIndexSpec:
        if self.store == "milvus":
            return VectorIndexSpec(MILVUS)
        if n_vectors <= self.flat_max:
            return VectorIndexSpec(FLAT)
        if self.large == "ivf":
            nlist = ivf_nlist(n_vectors, self.ivf_nlist)
            train_size = min(n_vectors, max(nlist, self.ivf_train_size))
            params = {"nlist": nlist, "nprobe": self.ivf_nprobe, "train_size": train_size}
            return VectorIndexSpec(IVF, params)
        return VectorIndexSpec(
            HNSW,
            {
                "M": self.hnsw_m,
                "ef_construction": self.hnsw_ef_construction,
                "ef_search": self.hnsw_ef_search,
            },
        )


LexicalTexts = Sequence[tuple[str, str]]
"""Per chunk, its syllables with and without diacritics, space-joined (for a store that
also holds BM25)."""
VectorIndexFactory = Callable[
    [np.ndarray, Mapping[str, int], "VectorPolicy", LexicalTexts | None], VectorIndex
]
VectorIndexLoader = Callable[[Path, int, Mapping[str, int], "VectorPolicy"], VectorIndex]


def _build_flat(
    vectors: np.ndarray, params: Mapping[str, int], _: VectorPolicy, __: LexicalTexts | None
) -> VectorIndex:
    from rag.index.faiss_index import FaissFlatIndex

    return FaissFlatIndex.build(vectors, params)


def _build_hnsw(
    vectors: np.ndarray, params: Mapping[str, int], _: VectorPolicy, __: LexicalTexts | None
) -> VectorIndex:
    from rag.index.faiss_index import FaissHnswIndex

    return FaissHnswIndex.build(vectors, params)


def _build_ivf(
    vectors: np.ndarray, params: Mapping[str, int], _: VectorPolicy, __: LexicalTexts | None
) -> VectorIndex:
    from rag.index.faiss_index import FaissIvfIndex

    return FaissIvfIndex.build(vectors, params)


def _build_milvus(
    vectors: np.ndarray,
    params: Mapping[str, int],
    policy: VectorPolicy,
    lexical: LexicalTexts | None,
) -> VectorIndex:
    from rag.index.milvus_index import MilvusIndex

    if policy.milvus is None:
        raise ValueError("the milvus vector store needs a connection (RAG_MILVUS_URI)")
    return MilvusIndex.build(vectors, params, policy.milvus, lexical)


def _load_flat(path: Path, dim: int, params: Mapping[str, int], _: VectorPolicy) -> VectorIndex:
    from rag.index.faiss_index import FaissFlatIndex

    return FaissFlatIndex.load(path, dim, params)


def _load_hnsw(path: Path, dim: int, params: Mapping[str, int], _: VectorPolicy) -> VectorIndex:
    from rag.index.faiss_index import FaissHnswIndex

    return FaissHnswIndex.load(path, dim, params)


def _load_ivf(path: Path, dim: int, params: Mapping[str, int], _: VectorPolicy) -> VectorIndex:
    from rag.index.faiss_index import FaissIvfIndex

    return FaissIvfIndex.load(path, dim, params)


def _load_milvus(
    path: Path, dim: int, params: Mapping[str, int], policy: VectorPolicy
) -> VectorIndex:
    from rag.index.milvus_index import MilvusIndex

    return MilvusIndex.load(path, dim, params, policy.milvus)


_BUILDERS: dict[str, VectorIndexFactory] = {
    FLAT: _build_flat, HNSW: _build_hnsw, IVF: _build_ivf, MILVUS: _build_milvus,
}  # fmt: skip
_LOADERS: dict[str, VectorIndexLoader] = {
    FLAT: _load_flat, HNSW: _load_hnsw, IVF: _load_ivf, MILVUS: _load_milvus,
}  # fmt: skip


def build_vector_index(
    spec: VectorIndexSpec,
    vectors: np.ndarray,
    policy: VectorPolicy | None = None,
    lexical: LexicalTexts | None = None,
) -> VectorIndex:
    """Build what ``spec`` says (``policy`` gives the store's connection, if it has one);
    a store that holds BM25 too (Milvus) also stores the chunks' ``lexical`` texts."""
    if spec.kind not in _BUILDERS:
        raise ValueError(f"unknown vector index {spec.kind!r} (known: {', '.join(_BUILDERS)})")
    return _BUILDERS[spec.kind](vectors, spec.params, policy or VectorPolicy(), lexical)


def collect_vector_garbage(root: Path, artifact: str, policy: VectorPolicy) -> None:
    """Release what the store holds outside ``root`` for generations that are gone (Milvus
    collections); nothing for FAISS, whose files live in the generation folders."""
    if policy.store == "milvus" and policy.milvus is not None:
        from rag.index.milvus_index import collect_garbage

        collect_garbage(root, artifact, policy.milvus)


def load_vector_index(
    spec: VectorIndexSpec,
    path: Path,
    dim: int,
    overrides: Mapping[str, int] | None = None,
    policy: VectorPolicy | None = None,
) -> VectorIndex:
    """Load what ``spec`` built; ``overrides`` changes search-time parameters the spec
    has (HNSW's ``ef_search``, IVF's ``nprobe``: no rebuild needed) and is ignored otherwise."""
    if spec.kind not in _LOADERS:
        raise ValueError(f"unknown vector index {spec.kind!r} (known: {', '.join(_LOADERS)})")
    changed = {k: v for k, v in (overrides or {}).items() if k in spec.params and k in SEARCH_TIME}
    return _LOADERS[spec.kind](path, dim, {**spec.params, **changed}, policy or VectorPolicy())
