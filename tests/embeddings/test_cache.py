"""The serving wrapper's caches (with the hashing embedder and a counting fake)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from embeddings import TokenEncoder, TokenVectors
from embeddings.cache import CachedEncoder, CachedTokenEncoder, LruCache, cached_encoder
from embeddings.hashing import HashingEmbedder


class CountingTokens(HashingEmbedder):
    """Hashing vectors plus fake token vectors; counts what reaches the backend."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(("queries", tuple(texts)))
        return super().embed_queries(texts)

    def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
        self.calls.append(("passages", tuple(texts)))
        return super().embed_passages(texts, progress)

    def token_vectors(self, texts: Sequence[str], *, query: bool) -> list[TokenVectors]:
        self.calls.append(("tokens", tuple(texts)))
        return [TokenVectors(np.array([[0, len(t)]], np.int32), self._embed([t])) for t in texts]


def test_lru_cache_evicts_the_least_recently_used():
    cache: LruCache[int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    off: LruCache[int] = LruCache(0)
    off.put("a", 1)
    assert off.get("a") is None


def test_token_vectors_only_when_the_backend_has_them():
    plain = cached_encoder(HashingEmbedder())
    assert type(plain) is CachedEncoder and not isinstance(plain, TokenEncoder)
    tokens = cached_encoder(CountingTokens())
    assert isinstance(tokens, CachedTokenEncoder) and isinstance(tokens, TokenEncoder)
    assert cached_encoder(tokens).inner is tokens.inner  # never wraps a wrapper


def test_repeated_texts_reach_the_backend_once_and_give_the_same_vectors():
    backend = CountingTokens()
    enc = cached_encoder(backend)
    first = enc.embed_queries(["a b", "c d"])
    again = enc.embed_queries(["c d", "a b", "a b"])
    assert np.array_equal(again[1], first[0]) and np.array_equal(again[0], first[1])
    assert [c for c in backend.calls if c[0] == "queries"] == [("queries", ("a b", "c d"))]
    assert np.allclose(first, HashingEmbedder().embed_queries(["a b", "c d"]))


def test_long_batches_pass_through_uncached():
    backend = CountingTokens()
    enc = cached_encoder(backend)
    texts = [f"text {i}" for i in range(100)]
    enc.embed_passages(texts)
    enc.embed_passages(texts)
    assert [c[0] for c in backend.calls] == ["passages", "passages"]


def test_precompute_fills_sentences_so_questions_only_encode_themselves():
    backend = CountingTokens()
    enc = cached_encoder(backend)
    assert enc.precompute(["s1", "s2", "s1"]) == 2
    backend.calls.clear()
    enc.embed_passages(["s2", "s1"])
    enc.token_vectors(["s1"], query=False)  # type: ignore[attr-defined]
    assert backend.calls == []
    vector, tokens = enc.embed_query_with_tokens("q")
    assert tokens is not None and np.allclose(vector, HashingEmbedder().embed_queries(["q"])[0])
    backend.calls.clear()
    enc.embed_query_with_tokens("q")
    enc.token_vectors(["q"], query=True)  # type: ignore[attr-defined]
    assert backend.calls == []  # both parts of the question were kept
    enc.token_vectors(["q"], query=False)  # as a passage it is another text
    assert backend.calls == [("tokens", ("q",))]


def test_fused_pass_is_used_when_the_backend_has_one():
    class Fused(CountingTokens):
        def embed_query_with_tokens(self, text: str) -> tuple[np.ndarray, TokenVectors]:
            self.calls.append(("fused", (text,)))
            return self.embed_queries([text])[0], self.token_vectors([text], query=True)[0]

    backend = Fused()
    enc = cached_encoder(backend)
    enc.embed_query_with_tokens("q")
    assert backend.calls[0] == ("fused", ("q",))
    enc.embed_queries(["q"])
    enc.token_vectors(["q"], query=True)  # type: ignore[attr-defined]
    assert len(backend.calls) == 3  # fused + the two it made; nothing after
