"""On-disk index with atomic generations.

Layout of ``index_dir``::

    CURRENT              name of the live generation (replaced atomically)
    gen-000007/          one complete, immutable index
        manifest.json    model, dimension, normaliser, chunker, per-document hashes
        documents.jsonl  cleaned documents with metadata
        chunks.jsonl     chunk text and character offsets
        vectors.npy      float32 [chunks, dim], row i = chunk i
        <artifacts>      search structures (FAISS, BM25) written by their owners

A commit writes a new generation under a temporary name, fsyncs it, renames it into place
and only then points ``CURRENT`` at it. A crash at any point leaves the previous generation
live and intact; readers never see a half-written index.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embeddings.atomic import exclusive_lock, fsync_dir, fsync_tree, write_text_atomic
from embeddings.file_rows import FileRows
from rag.chunking import Chunk
from rag.documents import Document
from rag.errors import IndexMismatchError, IndexMissingError
from rag.index.manifest import Manifest
from rag.index.rows import JsonlRows, LazyMapping, LazyRows

CURRENT = "CURRENT"

ArtifactWriter = Callable[[Path], None]


@dataclass
class IndexSnapshot:
    """A complete index. Loaded from disk, its documents, chunks and vectors are read from
    the generation's files on demand (memory-mapped, shared by server workers)."""

    manifest: Manifest
    documents: Mapping[str, Document]
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    generation: str | None = None
    path: Path | None = None
    vector_rows: FileRows | None = None  # the rows of vectors.npy, when loaded from disk

    def chunks_of(self, doc_id: str) -> list[int]:
        return [i for i, c in enumerate(self.chunks) if c.doc_id == doc_id]

    def vector(self, row: int) -> np.ndarray:
        """One chunk's vector. A loaded generation reads it from ``vectors.npy`` with
        ``pread`` (``vector_rows``), not through the memory map: the kernel maps up to
        megabytes of pages around each one touched, so a few rows per question mapped ~3 MB
        each into every worker (380 MB after 134 questions at 1M chunks)."""
        if self.vector_rows is not None:
            return self.vector_rows[[row]][0]
        return np.asarray(self.vectors[row])


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def current(self) -> str | None:
        """Name of the live generation, or None when no index was ever committed."""
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def exists(self) -> bool:
        gen = self.current()
        return gen is not None and (self.root / gen / "manifest.json").is_file()

    def load(self) -> IndexSnapshot:
        gen = self.current()
        if gen is None or not (self.root / gen).is_dir():
            raise IndexMissingError(
                f"no index at {self.root}: run `rag ingest` first (or set RAG_INDEX_DIR)"
            )
        path = self.root / gen
        try:
            manifest = Manifest.read(path / "manifest.json")
            documents = LazyMapping(JsonlRows(path / "documents.jsonl"), _read_document)
            chunks = LazyRows(JsonlRows(path / "chunks.jsonl"), _read_chunk)
            for rows in (documents.values(), chunks):  # the first row of each reads back
                next(iter(rows), None)
            vectors = np.load(path / "vectors.npy", mmap_mode="r")  # shared by workers
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexMismatchError(
                f"index at {path} is unreadable ({exc}); run `rag ingest --rebuild`"
            ) from exc
        if len(chunks) != len(vectors):
            raise IndexMismatchError(f"index at {path} is inconsistent; run `rag ingest --rebuild`")
        vector_rows = (
            FileRows(path / "vectors.npy", int(vectors.offset), (len(vectors), vectors.shape[1]))
            if vectors.dtype == np.float32 and vectors.flags.c_contiguous
            else None
        )
        return IndexSnapshot(manifest, documents, chunks, vectors, gen, path, vector_rows)

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Serialise writers (ingest, API uploads) across processes."""
        with exclusive_lock(self.root / ".write.lock"):
            yield

    def commit(self, snapshot: IndexSnapshot, artifacts: Mapping[str, ArtifactWriter]) -> str:
        """Write ``snapshot`` as a new generation and make it live. Returns its name."""
        self.root.mkdir(parents=True, exist_ok=True)
        previous = self.current()
        name = self._next_generation()
        tmp = self.root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            (tmp / "manifest.json").write_text(snapshot.manifest.to_json(), encoding="utf-8")
            _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in snapshot.documents.values()))
            _write_jsonl(tmp / "chunks.jsonl", (asdict(c) for c in snapshot.chunks))
            with (tmp / "vectors.npy").open("wb") as fh:
                np.save(fh, np.ascontiguousarray(snapshot.vectors, dtype=np.float32))
            for filename, write in artifacts.items():
                write(tmp / filename)
            fsync_tree(tmp)
            tmp.rename(self.root / name)
            fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        write_text_atomic(self.root / CURRENT, name + "\n")
        self._collect_garbage(keep={name, previous})
        return name

    def _next_generation(self) -> str:
        numbers = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        return f"gen-{max(numbers, default=0) + 1:06d}"

    def _collect_garbage(self, keep: set[str | None]) -> None:
        """Remove temp leftovers (of writers killed mid-commit) and every generation but the
        new one and the previously live one (readers may still be loading it). A generation
        renamed into place by a writer killed before it pointed ``CURRENT`` at it was never
        live: it goes too, rather than taking the previous generation's place."""
        for leftover in self.root.glob(".tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for leftover in self.root.glob(f".{CURRENT}.tmp-*"):
            leftover.unlink(missing_ok=True)
        for path in self.root.glob("gen-*"):
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)


def _read_document(row: dict[str, object]) -> Document:
    keys = ("doc_id", "title", "text", "source", "date", "url", "date_source")
    fields = {k: row[k] for k in keys if k in row}
    pages = row.get("pages") or []
    if not isinstance(pages, list):
        raise ValueError(f"document {row.get('doc_id')!r}: 'pages' is not a list")
    headings = row.get("headings") or []
    if not isinstance(headings, list):
        raise ValueError(f"document {row.get('doc_id')!r}: 'headings' is not a list")
    return Document(
        **fields,  # type: ignore[arg-type]
        pages=tuple(int(p) for p in pages),
        headings=tuple((int(a), int(b), int(lv)) for a, b, lv in headings),
    )


def _read_chunk(row: dict[str, object]) -> Chunk:
    return Chunk(
        doc_id=str(row["doc_id"]),
        index=int(str(row["index"])),
        text=str(row["text"]),
        start=int(str(row["start"])),
        end=int(str(row["end"])),
    )


def _write_jsonl(path: Path, rows: Iterator[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
