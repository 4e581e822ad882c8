"""Vector search in Milvus (``RAG_VECTOR_STORE=milvus``) behind the ``VectorIndex`` protocol.

``RAG_MILVUS_URI`` is a local file path (Milvus Lite, the engine embedded in-process) or
``http://host:19530`` (a Milvus standalone or cluster). Each index generation gets its own
immutable collection (row id = chunk row, one float vector, inner product); the
generation's ``vectors.index`` file is only a pointer to it. Readers reach a collection
through the store's ``CURRENT`` → generation → pointer, so an ingest stays all-or-nothing
as readers see it, exactly as with FAISS. Collections no kept generation points at (old
ones, or one a killed ingest created) are dropped at the next commit.

With ``lexical`` texts (``RAG_LEXICAL_STORE=milvus``) the collection also holds each
chunk's normalised syllables twice, with and without diacritics, each a VARCHAR with an
analyzer that keeps the syllables (they are already split and lowercased: whitespace on a
server, Milvus Lite's standard ``\\w+``) and a BM25 function into a sparse field searched
through ``SPARSE_INVERTED_INDEX`` (``rag.retrieval.milvus_bm25``). Chunk texts, documents
and the manifest stay in the generation folder.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import VectorStoreError
from rag.index.vector_index import MILVUS

_ROW, _VEC = "row", "vec"
_INSERT_BATCH = 5000
LEXICAL_FIELDS = {"accented": ("text", "bm25"), "folded": ("text_folded", "bm25_folded")}
"""Lexical field → (its VARCHAR field of syllables, the sparse BM25 field made from it)."""
_TEXT_MAX_BYTES = 65_535  # Milvus's VARCHAR limit

# Syllables arrive split by single spaces and lowercased (rag.retrieval.bm25.lexical_fields):
# the analyzer must only cut at the spaces. Milvus Lite has no whitespace tokenizer; its
# standard one (\w+, lowercase) cuts a space-joined syllable string at the same places.
_ANALYZER_SERVER = {"tokenizer": "whitespace", "filter": ["lowercase"]}
_ANALYZER_LITE = {"tokenizer": "standard"}


def analyzer_params(lite: bool) -> dict[str, Any]:
    """The analyzer of the lexical VARCHAR fields (Milvus Lite or a server)."""
    return dict(_ANALYZER_LITE if lite else _ANALYZER_SERVER)


def _fit_varchar(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= _TEXT_MAX_BYTES:
        return text
    return data[:_TEXT_MAX_BYTES].decode("utf-8", errors="ignore").rsplit(" ", 1)[0]


@dataclass(frozen=True)
class MilvusConnection:
    uri: str
    token: str | None = None
    db_name: str | None = None
    collection_prefix: str = "rag_"
    """Collections of one index folder share it, so collecting garbage never touches
    another index's collections on a shared server."""

    @classmethod
    def for_index(
        cls, uri: str, index_dir: Path, token: str | None = None, db_name: str | None = None
    ) -> MilvusConnection:
        digest = hashlib.blake2b(str(index_dir.resolve()).encode(), digest_size=4).hexdigest()
        return cls(uri, token, db_name, f"rag_{digest}_")

    @property
    def is_lite(self) -> bool:
        return "://" not in self.uri


_CLIENTS: dict[tuple[str, str | None, str | None], Any] = {}


def _client(uri: str, token: str | None, db_name: str | None) -> Any:
    """One client per server and database per process (Milvus Lite starts its engine once
    per file)."""
    key = (uri, token, db_name)
    if key not in _CLIENTS:
        from pymilvus import MilvusClient

        lite = "://" not in uri
        if lite:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            _CLIENTS[key] = MilvusClient(uri=uri, token=token or "", db_name=db_name or "")
        except Exception as exc:  # pymilvus raises its own hierarchy (and grpc's)
            hint = (
                " (Milvus Lite opens a file in one process at a time: stop the other "
                "process, serve with RAG_WORKERS=1, or use a Milvus server)"
                if lite
                else ""
            )
            raise VectorStoreError(f"cannot open Milvus at {uri}: {exc}{hint}") from exc
    return _CLIENTS[key]


class MilvusIndex:
    kind = MILVUS

    def __init__(self, client: Any, collection: str, dim: int, size: int, pointer: dict[str, Any]):
        self.client = client
        self.collection = collection
        self.dim = dim
        self._size = size
        self._pointer = pointer

    @property
    def size(self) -> int:
        return self._size

    @property
    def has_lexical(self) -> bool:
        """Whether the collection holds the chunks' BM25 fields."""
        return bool(self._pointer.get("lexical"))

    @property
    def params(self) -> dict[str, int]:
        return {}

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        params: Mapping[str, int],
        connection: MilvusConnection,
        lexical: Sequence[tuple[str, str]] | None = None,
    ) -> MilvusIndex:
        """A new collection holding ``vectors`` (row i = chunk i) and, when given, each
        chunk's ``lexical`` (accented, folded) syllable strings with their BM25 fields."""
        from pymilvus import DataType, Function, FunctionType

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if lexical is not None and len(lexical) != len(vectors):
            raise ValueError(f"{len(lexical)} lexical texts for {len(vectors)} vectors")
        dim = int(vectors.shape[1])
        client = _client(connection.uri, connection.token, connection.db_name)
        name = f"{connection.collection_prefix}{uuid.uuid4().hex[:12]}"
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(_ROW, DataType.INT64, is_primary=True)
        schema.add_field(_VEC, DataType.FLOAT_VECTOR, dim=dim)
        index_params = client.prepare_index_params()
        # Milvus Lite has exact search only; a server picks its own structure
        index_type = "FLAT" if connection.is_lite else "AUTOINDEX"
        index_params.add_index(_VEC, index_type=index_type, metric_type="IP")
        analyzer = analyzer_params(connection.is_lite)
        if lexical is not None:
            for text_field, sparse_field in LEXICAL_FIELDS.values():
                schema.add_field(text_field, DataType.VARCHAR, max_length=_TEXT_MAX_BYTES,
                                 enable_analyzer=True, analyzer_params=analyzer)  # fmt: skip
                schema.add_field(sparse_field, DataType.SPARSE_FLOAT_VECTOR)
                schema.add_function(Function(
                    name=f"{sparse_field}_fn", function_type=FunctionType.BM25,
                    input_field_names=[text_field], output_field_names=[sparse_field],
                ))  # fmt: skip
                index_params.add_index(
                    sparse_field, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25"
                )
        client.create_collection(name, schema=schema, index_params=index_params)
        (accented, _), (folded, _) = LEXICAL_FIELDS["accented"], LEXICAL_FIELDS["folded"]
        for start in range(0, len(vectors), _INSERT_BATCH):
            rows: list[dict[str, Any]] = [
                {_ROW: start + i, _VEC: v.tolist()}
                for i, v in enumerate(vectors[start : start + _INSERT_BATCH])
            ]
            if lexical is not None:
                for i, row in enumerate(rows):
                    row[accented], row[folded] = map(_fit_varchar, lexical[start + i])
            client.insert(name, rows)
        client.flush(name)
        client.load_collection(name)
        pointer: dict[str, Any] = {
            "uri": connection.uri, "db_name": connection.db_name, "collection": name,
            "index_type": index_type, "dim": dim, "rows": len(vectors),
        }  # fmt: skip
        if lexical is not None:
            pointer["lexical"] = {"analyzer": analyzer, "fields": LEXICAL_FIELDS}
        return cls(client, name, dim, len(vectors), pointer)

    @classmethod
    def load(
        cls, path: Path, dim: int, params: Mapping[str, int], connection: MilvusConnection | None
    ) -> MilvusIndex:
        pointer = json.loads(path.read_text(encoding="utf-8"))
        if int(pointer["dim"]) != dim:
            raise ValueError(f"Milvus collection has dimension {pointer['dim']}, expected {dim}")
        token = connection.token if connection else None
        client = _client(pointer["uri"], token, pointer.get("db_name"))
        name = pointer["collection"]
        if not client.has_collection(name):
            raise ValueError(f"Milvus collection {name} at {pointer['uri']} is gone")
        client.load_collection(name)
        rows = int(client.get_collection_stats(name)["row_count"])
        return cls(client, name, dim, rows, pointer)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        n = len(queries)
        if not self._size:
            return np.zeros((n, 1), np.float32), -np.ones((n, 1), np.int64)
        k = max(1, min(k, self._size))
        results = self.client.search(
            self.collection, data=queries.tolist(), limit=k, anns_field=_VEC,
            search_params={"metric_type": "IP"}, output_fields=[_ROW],
        )  # fmt: skip
        scores = np.full((n, k), -np.inf, np.float32)
        ids = -np.ones((n, k), np.int64)
        for q, hits in enumerate(results):
            for j, hit in enumerate(hits[:k]):
                scores[q, j] = float(hit["distance"])
                ids[q, j] = int(hit[_ROW])
        return scores, ids

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self._pointer), encoding="utf-8")


def collect_garbage(root: Path, artifact: str, connection: MilvusConnection) -> list[str]:
    """Drop this index's collections that no generation folder under ``root`` points at
    (through its ``artifact`` file). Call with the store's write lock held. Returns the
    names dropped."""
    client = _client(connection.uri, connection.token, connection.db_name)
    referenced = set()
    for pointer in root.glob(f"gen-*/{artifact}"):
        try:
            referenced.add(json.loads(pointer.read_text(encoding="utf-8"))["collection"])
        except (OSError, ValueError, KeyError):
            continue  # a FAISS file, or a generation being removed
    dropped = []
    for name in client.list_collections():
        if name.startswith(connection.collection_prefix) and name not in referenced:
            client.drop_collection(name)
            dropped.append(name)
    return dropped
