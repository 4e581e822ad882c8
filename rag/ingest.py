"""Incremental ingestion: diff documents against the index, embed only what changed."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings import Embedder
from rag.chunking import Chunk, Chunker
from rag.documents import Document
from rag.index.manifest import DocEntry, IndexConfig, Manifest
from rag.index.searchable import VECTORS_ARTIFACT, SearchableIndex, chunk_text_for_index
from rag.index.store import IndexSnapshot, IndexStore
from rag.index.vector_index import VectorPolicy, collect_vector_garbage

ProgressFactory = Callable[[int], Callable[[int], None]]
"""Given a total number of chunks to embed, returns a callback advanced per batch."""


class ChunkEmbedStage(Protocol):
    """Chunks documents and embeds the chunks: ``(chunks, vectors)``, the chunks of each
    document in order (index 0, 1, ...) and the documents in the order given, one vector
    row per chunk."""

    def __call__(
        self, docs: Sequence[Document], progress: ProgressFactory | None
    ) -> tuple[list[Chunk], np.ndarray]: ...


def chunk_document(chunker: Chunker, doc: Document) -> tuple[list[Chunk], list[str]]:
    """A document's chunks and the text embedded for each (title and headings added)."""
    chunks = chunker.split(doc.doc_id, doc.text)
    return chunks, [chunk_text_for_index(doc, c) for c in chunks]


@dataclass
class LocalChunkEmbed:
    """The serial stage: chunk and embed in this process."""

    embedder: Embedder
    chunker: Chunker

    def __call__(
        self, docs: Sequence[Document], progress: ProgressFactory | None
    ) -> tuple[list[Chunk], np.ndarray]:
        chunks: list[Chunk] = []
        texts: list[str] = []
        for doc in docs:
            doc_chunks, doc_texts = chunk_document(self.chunker, doc)
            chunks += doc_chunks
            texts += doc_texts
        callback = progress(len(texts)) if progress else None
        if not texts:
            return chunks, np.zeros((0, self.embedder.dim), np.float32)
        return chunks, self.embedder.embed_passages(texts, callback)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded_chunks: int = 0
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def empty_snapshot(config: IndexConfig) -> IndexSnapshot:
    return IndexSnapshot(Manifest(config), {}, [], np.zeros((0, config.dim), np.float32))


def apply_changes(
    store: IndexStore,
    config: IndexConfig,
    stage: ChunkEmbedStage,
    *,
    upsert: Sequence[Document] = (),
    paths: dict[str, str | None] | None = None,
    delete: Sequence[str] = (),
    prune: bool = False,
    rebuild: bool = False,
    progress: ProgressFactory | None = None,
    policy: VectorPolicy | None = None,
) -> IngestReport:
    """Add/replace ``upsert``, remove ``delete`` (and, with ``prune``, documents whose
    source file is gone), then commit one new generation if anything changed. ``policy``
    says where the vectors go and chooses their structure from the number of chunks
    (default: FAISS, exact search up to 100k chunks, HNSW beyond). ``stage`` chunks and
    embeds the added and changed documents (``LocalChunkEmbed`` in this process, or the
    Ray stage of ``rag.ingest_ray``); everything else is the same for both."""
    paths = paths or {}
    policy = policy or VectorPolicy()
    with store.write_lock():
        if store.exists() and not rebuild:
            old = store.load()
            old.manifest.config.check_matches(config)
        else:
            old = empty_snapshot(config)
        report = IngestReport()
        docs = dict(old.documents)
        entries = dict(old.manifest.documents)

        for doc_id in delete:
            if doc_id in docs:
                del docs[doc_id], entries[doc_id]
                report.removed.append(doc_id)
        if prune:
            for doc_id, entry in list(entries.items()):
                if entry.path is not None and not os.path.exists(entry.path):
                    del docs[doc_id], entries[doc_id]
                    report.removed.append(doc_id)

        to_embed: list[Document] = []
        for doc in upsert:
            known = entries.get(doc.doc_id)
            same_headings = doc.doc_id in docs and docs[doc.doc_id].headings == doc.headings
            if (
                known is not None
                and known.content_hash == doc.content_hash
                and same_headings  # headings are part of what gets embedded
                and not rebuild
            ):
                if docs.get(doc.doc_id) != doc:  # same title and text, new metadata
                    docs[doc.doc_id] = doc  # (date, pages, url...): keep its chunks
                    path = paths.get(doc.doc_id, known.path)
                    entries[doc.doc_id] = _entry(doc, path, known.chunks)
                    report.updated.append(doc.doc_id)
                    continue
                report.unchanged.append(doc.doc_id)
                if doc.doc_id in paths:  # keep the recorded path current
                    entries[doc.doc_id] = _entry(doc, paths[doc.doc_id], known.chunks)
                continue
            (report.updated if doc.doc_id in docs else report.added).append(doc.doc_id)
            to_embed.append(doc)
            docs[doc.doc_id] = doc

        if not report.changed and not rebuild:
            report.chunks = len(old.chunks)
            report.generation = old.generation
            return report

        if to_embed:
            new_chunks, new_vectors = stage(to_embed, progress)
        else:  # only metadata changed
            new_chunks, new_vectors = [], np.zeros((0, config.dim), np.float32)

        replaced = {d.doc_id for d in to_embed} | set(report.removed)
        keep = [i for i, c in enumerate(old.chunks) if c.doc_id not in replaced]
        chunks: list[Chunk] = [old.chunks[i] for i in keep] + new_chunks
        vectors = np.vstack([old.vectors[keep], new_vectors]).astype(np.float32)
        chunks, vectors = _in_document_order(chunks, vectors, list(docs))

        counts: dict[str, int] = {}
        for c in chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        for doc in to_embed:
            path = paths.get(
                doc.doc_id, entries[doc.doc_id].path if doc.doc_id in entries else None
            )
            entries[doc.doc_id] = _entry(doc, path, counts.get(doc.doc_id, 0))
        order = sorted(docs)
        manifest = Manifest(
            config,
            {d: entries[d] for d in order},
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            vector=policy.choose(len(chunks)),
        )
        snapshot = IndexSnapshot(manifest, {d: docs[d] for d in order}, chunks, vectors)
        searchable = SearchableIndex.build(snapshot, policy)
        report.generation = store.commit(snapshot, searchable.artifacts())
        collect_vector_garbage(store.root, VECTORS_ARTIFACT, policy)
        report.chunks = len(chunks)
        report.embedded_chunks = len(new_chunks)
        return report


def _entry(doc: Document, path: str | None, chunks: int) -> DocEntry:
    return DocEntry(doc.content_hash, doc.source, doc.title, doc.date, path, chunks)


def _in_document_order(
    chunks: list[Chunk], vectors: np.ndarray, doc_ids: list[str]
) -> tuple[list[Chunk], np.ndarray]:
    """Sort chunks by (doc_id, index) so the same corpus always gives the same row order."""
    order = sorted(range(len(chunks)), key=lambda i: (chunks[i].doc_id, chunks[i].index))
    return [chunks[i] for i in order], vectors[order] if len(order) else vectors


def resolved_path(path: Path) -> str:
    return str(path.resolve())
