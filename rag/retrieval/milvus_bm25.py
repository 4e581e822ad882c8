"""BM25 in Milvus (``RAG_LEXICAL_STORE=milvus``) behind the ``LexicalIndex`` protocol.

The generation's collection (``rag.index.milvus_index``) holds every chunk's syllables with
and without diacritics, each turned into a sparse BM25 field by a Milvus ``BM25`` function.
A query is tokenised exactly as the bm25s path does it (``query_syllables``: a query typed
without diacritics is matched on the folded field) and sent as the space-joined syllables,
which the fields' analyzer splits back into the same syllables. Scores are Milvus's BM25
(k1 1.5, b 0.75, Lucene IDF, as bm25s) divided by k1 + 1, a factor Milvus's term-frequency
part has and bm25s's Lucene variant has not: on one segment they equal bm25s's scores.
Milvus Lite computes IDF per segment (a segment holds ~128 MB of rows), so on a larger
collection its ranking may drift from bm25s's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.index.milvus_index import LEXICAL_FIELDS, MilvusIndex
from rag.index.vector_index import VectorIndex
from rag.retrieval.bm25 import query_syllables

STORE = "milvus"
_K1 = 1.5  # Milvus's default BM25 k1 (and bm25s's)


class MilvusBm25Index:
    def __init__(self, client: Any, collection: str, size: int) -> None:
        self._client = client
        self.collection = collection
        self._size = size

    @classmethod
    def of(cls, vectors: VectorIndex) -> MilvusBm25Index:
        """BM25 over the collection that holds ``vectors`` (built with lexical texts)."""
        if not isinstance(vectors, MilvusIndex) or not vectors.has_lexical:
            raise ValueError("the generation's Milvus collection holds no BM25 fields")
        return cls(vectors.client, vectors.collection, vectors.size)

    @property
    def size(self) -> int:
        return self._size

    def _search(self, texts: list[str], field: str, k: int) -> list[list[dict[str, Any]]]:
        results = self._client.search(
            self.collection, data=texts, anns_field=field, limit=k,
            search_params={"metric_type": "BM25"}, output_fields=["row"],
        )  # fmt: skip
        return list(results)

    def coverage(self, query: str) -> float:
        tokens, folded = query_syllables(query)
        if not tokens or not self._size:
            return 0.0
        distinct = list(dict.fromkeys(tokens))
        field = LEXICAL_FIELDS["folded" if folded else "accented"][1]
        # one request, one search per syllable: a syllable is in the corpus if it finds a chunk
        found = {t for t, hits in zip(distinct, self._search(distinct, field, 1), strict=True)
                 if hits}  # fmt: skip
        return sum(t in found for t in tokens) / len(tokens)

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        tokens, folded = query_syllables(query)
        if not tokens or not self._size or k < 1:
            return []
        field = LEXICAL_FIELDS["folded" if folded else "accented"][1]
        (hits,) = self._search([" ".join(tokens)], field, min(k, self._size))
        # Milvus Lite returns -score as the distance, a server the score itself
        scored = [(int(hit["row"]), abs(float(hit["distance"])) / (_K1 + 1)) for hit in hits]
        scored = [(row, score) for row, score in scored if score > 0]
        return sorted(scored, key=lambda item: (-item[1], item[0]))  # ties by row

    def save(self, path: Path) -> None:
        """The generation's ``bm25`` folder only says where BM25 lives: in the collection."""
        path.mkdir()
        meta = {"size": self._size, "store": STORE, "collection": self.collection}
        (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
