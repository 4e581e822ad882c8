"""An index snapshot together with the search structures built over it."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.chunking import Chunk
from rag.documents import Document
from rag.errors import IndexMismatchError
from rag.index.rows import LazyMapping
from rag.index.store import IndexSnapshot
from rag.index.vector_index import (
    MILVUS,
    VectorIndex,
    VectorPolicy,
    build_vector_index,
    load_vector_index,
)
from rag.retrieval.bm25 import ARTIFACT as BM25_ARTIFACT
from rag.retrieval.bm25 import Bm25Index, lexical_fields
from rag.retrieval.lexical import LexicalIndex, load_lexical_index
from rag.retrieval.restore import DiacriticRestorer
from rag.textnorm import fold, strip_diacritics, syllables

VECTORS_ARTIFACT = "vectors.index"
_PROBE_DOCS = 64
"""Documents read to estimate the corpus's text size (documents are read on demand)."""


def indexed_text(title: str, text: str, headings: Sequence[str] = ()) -> str:
    """What gets embedded and BM25-indexed for a chunk: its text, led by the doc title and
    the headings it sits under (its section's context; offsets still point at ``text``)."""
    lead = [] if text.startswith(title[:40]) else [title]
    return "\n".join([*lead, *headings, text])


def chunk_text_for_index(doc: Document, chunk: Chunk) -> str:
    """``indexed_text`` of one chunk of ``doc``."""
    return indexed_text(doc.title, chunk.text, doc.heading_path(chunk.start, chunk.end))


@dataclass
class SearchableIndex:
    snapshot: IndexSnapshot
    vectors: VectorIndex
    bm25: LexicalIndex
    """BM25 over the chunks: bm25s files, or fields of the vectors' Milvus collection."""
    _idf: dict[str, float] | None = field(default=None, repr=False)
    _restorer: DiacriticRestorer | None = field(default=None, repr=False)
    _pairs: frozenset[str] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, snapshot: IndexSnapshot, policy: VectorPolicy | None = None) -> SearchableIndex:
        """Search structures over ``snapshot``, the vector one as its manifest specifies
        (``policy``: the vector store's connection, if it has one)."""
        spec = snapshot.manifest.vector
        docs = snapshot.documents
        if policy is not None and policy.lexical == "milvus" and spec.kind == MILVUS:
            from rag.retrieval.milvus_bm25 import MilvusBm25Index

            texts = [chunk_text_for_index(docs[c.doc_id], c) for c in snapshot.chunks]
            fields = [lexical_fields(t) for t in texts]
            lexical = [(" ".join(a), " ".join(f)) for a, f in fields]
            vectors = build_vector_index(spec, snapshot.vectors, policy, lexical)
            return cls(snapshot, vectors, MilvusBm25Index.of(vectors))
        stream = (chunk_text_for_index(docs[c.doc_id], c) for c in snapshot.chunks)
        vectors = build_vector_index(spec, snapshot.vectors, policy)
        return cls(snapshot, vectors, Bm25Index.build(stream))

    @classmethod
    def load(
        cls,
        snapshot: IndexSnapshot,
        search_params: Mapping[str, int] | None = None,
        policy: VectorPolicy | None = None,
    ) -> SearchableIndex:
        """The structures a generation saved; ``search_params`` overrides search-time
        parameters of its vector index (e.g. HNSW ``ef_search``)."""
        assert snapshot.path is not None
        config = snapshot.manifest.config
        spec = snapshot.manifest.vector
        try:
            vectors = load_vector_index(
                spec, snapshot.path / VECTORS_ARTIFACT, config.dim, search_params, policy
            )
        except (OSError, ValueError) as exc:
            raise IndexMismatchError(
                f"the vector index of {snapshot.path} cannot be loaded ({exc}); "
                "run `rag ingest --rebuild`"
            ) from exc
        try:
            bm25 = load_lexical_index(snapshot.path / BM25_ARTIFACT, vectors)
        except ValueError as exc:
            raise IndexMismatchError(
                f"the BM25 index of {snapshot.path} cannot be loaded ({exc}); "
                "run `rag ingest --rebuild`"
            ) from exc
        if vectors.size != len(snapshot.chunks) or bm25.size != len(snapshot.chunks):
            if spec.kind == MILVUS:  # a reader never writes to the shared store
                raise IndexMismatchError(
                    f"the Milvus collection of {snapshot.path} has {vectors.size} vectors for "
                    f"{len(snapshot.chunks)} chunks; run `rag ingest --rebuild`"
                )
            return cls.build(snapshot)  # stale structures: rebuild them in memory
        return cls(snapshot, vectors, bm25)

    def artifacts(self) -> dict[str, Callable[[Path], None]]:
        return {VECTORS_ARTIFACT: self.vectors.save, BM25_ARTIFACT: self.bm25.save}

    def idf(self) -> dict[str, float]:
        """Inverse document frequency of accent-folded syllables over chunks."""
        if self._idf is None:
            df: dict[str, int] = {}
            for chunk in self.snapshot.chunks:
                for term in set(fold(chunk.text).split()) | {
                    strip_diacritics(s) for s in syllables(chunk.text)
                }:
                    df[term] = df.get(term, 0) + 1
            n = max(1, len(self.snapshot.chunks))
            self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        return self._idf

    def syllable_pairs(self) -> frozenset[str]:
        """Every pair of adjacent accent-folded syllables in the documents ("kinh phi"):
        whether the corpus ever says a two-syllable word at all."""
        if self._pairs is None:
            pairs: set[str] = set()
            for doc in self.snapshot.documents.values():
                words = [strip_diacritics(s) for s in syllables(f"{doc.title}\n{doc.text}")]
                pairs.update(f"{a} {b}" for a, b in itertools.pairwise(words))
            self._pairs = frozenset(pairs)
        return self._pairs

    def restorer(self, max_chars: int = 0) -> DiacriticRestorer:
        """Diacritic restoration learnt from the indexed documents: all of them, or with
        ``max_chars`` an even sample of about that much text (every n-th document), which
        bounds its build time and memory at 1M chunks."""
        if self._restorer is None:
            documents = self.snapshot.documents
            ids = list(documents)
            step = 1
            if max_chars and ids:  # the corpus size estimated from evenly spaced documents
                probe = ids[:: max(1, len(ids) // _PROBE_DOCS)]
                mean = sum(len(documents[d].text) for d in probe) / len(probe)
                step = max(1, math.ceil(mean * len(ids) / max_chars))
            docs = (documents[d] for d in ids[::step])
            self._restorer = DiacriticRestorer(d.title + "\n" + d.text for d in docs)
            if isinstance(documents, LazyMapping):
                documents.release()
        return self._restorer
