"""A serving wrapper around an ``Embedder``: caches what the query path asks for again and
again, and fills those caches ahead of time.

- query embeddings, per text (a repeated question is not encoded twice);
- passage embeddings and alignment-layer token vectors of short texts (the answerer's
  sentences), per text: ``precompute`` fills them for every sentence of an index when it
  loads, so a question only encodes itself;
- ``embed_query_with_tokens``: a question's embedding and its token vectors from one pass
  when the backend can (the fast encoder), from two otherwise.

The wrapper exposes ``token_vectors`` only when the wrapped backend does (the answerer
checks ``isinstance(encoder, TokenEncoder)``). Ingestion should use the wrapped backend
directly (``inner``): long batches of chunks are never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from embeddings.base import Embedder, ProgressFn, TokenEncoder, TokenVectors

V = TypeVar("V")
CACHED_BATCH = 64
"""``embed_passages`` calls with more texts than this pass through uncached (ingestion)."""


class LruCache(Generic[V]):
    """A thread-safe least-recently-used map with a size bound."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class CachedEncoder:
    """``Embedder`` with per-text caches (see the module docstring)."""

    def __init__(self, inner: Embedder, *, sentences: int = 4096, queries: int = 1024) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.encoder_id: str = getattr(inner, "encoder_id", inner.model_id)
        self._queries: LruCache[np.ndarray] = LruCache(queries)
        self._passages: LruCache[np.ndarray] = LruCache(sentences)
        self._tokens: LruCache[TokenVectors] = LruCache(sentences + queries)

    # ------------------------------------------------------------------ Embedder
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _cached(self._queries, texts, self.inner.embed_queries, self.dim)

    def embed_passages(
        self, texts: Sequence[str], progress: ProgressFn | None = None
    ) -> np.ndarray:
        if len(texts) > CACHED_BATCH or progress is not None:
            return self.inner.embed_passages(texts, progress)
        return _cached(self._passages, texts, self.inner.embed_passages, self.dim)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    # ------------------------------------------------------------- query path
    def embed_query_with_tokens(self, text: str) -> tuple[np.ndarray, TokenVectors | None]:
        """The query embedding of ``text`` and, when the backend gives token vectors,
        theirs (both cached; one pass when the backend can)."""
        vector = self._queries.get(text)
        tokens = self._tokens.get((True, text))
        if vector is not None and (tokens is not None or not _is_token_encoder(self.inner)):
            return vector, tokens
        fused: Callable[[str], tuple[np.ndarray, TokenVectors]] | None = getattr(
            self.inner, "embed_query_with_tokens", None
        )
        if fused is not None and text == text.strip():
            vector, tokens = fused(text)
        else:
            vector = self.embed_queries([text])[0]
            if _is_token_encoder(self.inner):
                tokens = self.inner.token_vectors([text], query=True)[0]  # type: ignore[attr-defined]
        self._queries.put(text, vector)
        if tokens is not None:
            self._tokens.put((True, text), tokens)
        return vector, tokens

    def precompute(self, texts: Sequence[str], batch: int = 256) -> int:
        """Encode ``texts`` (passages: the answerer's sentences) into the caches ahead of
        use, at most as many as the caches hold; returns how many were encoded."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._passages][: self._passages.size]
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            for text, vec in zip(part, self.inner.embed_passages(part), strict=True):
                self._passages.put(text, vec)
            if _is_token_encoder(self.inner):
                encoded = self.inner.token_vectors(part, query=False)  # type: ignore[attr-defined]
                for text, tv in zip(part, encoded, strict=True):
                    self._tokens.put((False, text), tv)
        return len(todo)

    def clear(self) -> None:
        for cache in (self._queries, self._passages, self._tokens):
            cache.clear()


class CachedTokenEncoder(CachedEncoder):
    """``CachedEncoder`` of a backend that gives token vectors (a ``TokenEncoder``)."""

    def token_vectors(self, texts: Sequence[str], *, query: bool) -> list[TokenVectors]:
        found: dict[str, TokenVectors] = {}
        for t in texts:
            hit = self._tokens.get((query, t))
            if hit is not None:
                found[t] = hit
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            inner: Any = self.inner
            for text, tv in zip(missing, inner.token_vectors(missing, query=query), strict=True):
                found[text] = tv
                self._tokens.put((query, text), tv)
        return [found[t] for t in texts]


def cached_encoder(inner: Embedder, *, sentences: int = 4096, queries: int = 1024) -> CachedEncoder:
    """The right wrapper for ``inner`` (token vectors only when it has them)."""
    if isinstance(inner, CachedEncoder):
        inner = inner.inner
    cls = CachedTokenEncoder if _is_token_encoder(inner) else CachedEncoder
    return cls(inner, sentences=sentences, queries=queries)


def _is_token_encoder(encoder: object) -> bool:
    return isinstance(encoder, TokenEncoder)


def _cached(
    cache: LruCache[np.ndarray],
    texts: Sequence[str],
    compute: Callable[[Sequence[str]], np.ndarray],
    dim: int,
) -> np.ndarray:
    if not texts:
        return np.zeros((0, dim), np.float32)
    found: dict[str, np.ndarray] = {}
    for t in texts:
        hit = cache.get(t)
        if hit is not None:
            found[t] = hit
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        for text, vec in zip(missing, compute(missing), strict=True):
            found[text] = vec
            cache.put(text, vec)
    return np.stack([found[t] for t in texts])
