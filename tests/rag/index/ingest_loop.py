"""The subject of the kill test: ingest a new version of a generated corpus, round after
round, until killed. Settings come from ``RAG_*`` variables (the test sets the hashing
embedder, a temp index and the vector store); prints ``ready`` once loaded and
``committed V GEN`` after each commit.

    python -m tests.rag.index.ingest_loop loop START_VERSION   # versions START+1, ... forever
    python -m tests.rag.index.ingest_loop once VERSION         # commit one version, print JSON
    python -m tests.rag.index.ingest_loop check V1 V2 ...      # check the live index, print V

The checks run in a process of their own for Milvus Lite, which one process at a time
may open.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence

import numpy as np

from embeddings.hashing import HashingEmbedder
from rag import Pipeline
from rag.documents import Document
from rag.index.searchable import VECTORS_ARTIFACT, chunk_text_for_index
from rag.index.vector_index import load_vector_index
from rag.retrieval.bm25 import ARTIFACT as BM25_ARTIFACT
from rag.retrieval.lexical import lexical_store_of, load_lexical_index

N_DOCS = 90
PERIOD = 3
"""Each round rewrites the documents ``j`` with ``j % PERIOD == version % PERIOD``; the
others are unchanged (and must not be re-embedded)."""

_WORDS = (
    "hội nghị ngoại giao đối ngoại toàn quốc lần thứ kinh tế văn hóa chủ trì phát biểu "
    "đại sứ quán bộ trưởng thủ tướng hợp tác quốc tế hội nhập phát triển bền vững"
).split()


def stamp(j: int, version: int) -> int:
    """The last version (≤ ``version``) that rewrote document ``j``; 0 at first."""
    last = version - (version - j) % PERIOD
    return last if last > 0 else 0


def corpus(version: int) -> list[Document]:
    docs = []
    for j in range(N_DOCS):
        s = stamp(j, version)
        rng = random.Random(j * 100_003 + s)
        sentences = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
            for _ in range(rng.randint(3, 12))
        ]
        text = f"Văn bản {j} phiên bản {s}. " + " ".join(sentences)
        docs.append(Document(f"doc{j:03d}", f"Tài liệu {j}", text, f"doc{j:03d}.txt"))
    return docs


def check_live(pipeline: Pipeline, candidates: Sequence[int]) -> int:
    """The version the live index is (one of ``candidates``), after checking that every
    part of it agrees: documents, manifest, chunks, vectors, vector index and BM25."""
    snapshot = pipeline.store.load()
    snapshot.manifest.config.check_matches(pipeline.index_config())

    texts = {d: doc.text for d, doc in snapshot.documents.items()}
    versions = [v for v in candidates if texts == {d.doc_id: d.text for d in corpus(v)}]
    assert versions, f"live index is none of versions {list(candidates)} (mixed?)"

    entries = snapshot.manifest.documents
    assert set(entries) == set(snapshot.documents)
    for doc_id, doc in snapshot.documents.items():
        assert entries[doc_id].content_hash == doc.content_hash
    assert sum(e.chunks for e in entries.values()) == len(snapshot.chunks)
    for chunk in snapshot.chunks:
        assert snapshot.documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text

    indexed = [chunk_text_for_index(snapshot.documents[c.doc_id], c) for c in snapshot.chunks]
    vectors = np.asarray(snapshot.vectors)
    np.testing.assert_allclose(vectors, HashingEmbedder().embed_passages(indexed), atol=1e-6)
    assert snapshot.path is not None
    spec = snapshot.manifest.vector
    assert spec == pipeline.vector_policy().choose(len(snapshot.chunks))
    index = load_vector_index(
        spec, snapshot.path / VECTORS_ARTIFACT, vectors.shape[1], None, pipeline.vector_policy()
    )
    assert index.size == len(snapshot.chunks)
    rows = np.arange(0, len(vectors), 7)
    scores, ids = index.search(vectors[rows], 1)
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)  # each row finds itself
    assert np.allclose(vectors[ids[:, 0]], vectors[rows], atol=1e-6)
    bm25 = load_lexical_index(snapshot.path / BM25_ARTIFACT, index)
    assert lexical_store_of(snapshot.path / BM25_ARTIFACT) == pipeline.vector_policy().lexical
    assert bm25.size == len(snapshot.chunks)
    first = snapshot.chunks[0].text
    assert bm25.top(first, 1)[0][1] > 0  # the chunks' text is searchable
    return versions[0]


def main() -> None:
    command, numbers = sys.argv[1], [int(x) for x in sys.argv[2:]]
    pipeline = Pipeline.from_settings()
    if command == "check":
        print(check_live(pipeline, numbers), flush=True)
        return
    if command == "once":
        report = pipeline.add_documents(corpus(numbers[0]))
        print(json.dumps({"chunks": report.chunks, "embedded": report.embedded_chunks}))
        return
    version = numbers[0]
    print("ready", flush=True)
    while True:
        version += 1
        report = pipeline.add_documents(corpus(version))
        print(f"committed {version} {report.generation}", flush=True)


if __name__ == "__main__":
    main()
