import numpy as np

from rag.chunking import Chunk
from rag.documents import Document
from rag.index.manifest import IndexConfig, Manifest
from rag.index.searchable import SearchableIndex
from rag.index.store import IndexSnapshot


def _index(texts: list[str]) -> SearchableIndex:
    docs = {f"d{i}": Document(f"d{i}", f"T{i}", t, "x") for i, t in enumerate(texts)}
    chunks = [Chunk(d, 0, doc.text, 0, len(doc.text)) for d, doc in docs.items()]
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(chunks), 8)).astype(np.float32)
    manifest = Manifest(IndexConfig("m", 8, "n1", {}, "faiss"))
    return SearchableIndex.build(IndexSnapshot(manifest, docs, chunks, vectors))


def test_the_restorer_learns_from_every_document_or_from_an_even_sample():
    texts = ["hội nghị"] * 3 + ["hối nghĩ"] * 3  # 8 characters each
    assert _index(texts).restorer().restore("hoi nghi") == "hội nghị"  # 3 of each: first seen
    # ~16 characters of text: every third document (d0 and d3), one of each form
    sampled = _index(["hồi nghí", *texts[1:]]).restorer(max_chars=16)
    assert sampled.restore("hoi nghi") == "hồi nghí"
    full = _index(["hồi nghí", *texts[1:]]).restorer()
    assert full.restore("hoi nghi") == "hối nghĩ"  # the most frequent form over all
