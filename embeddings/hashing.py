"""A tiny deterministic embedder (hashed character trigrams): for tests and dry runs.

It knows no semantics, but equal texts give equal vectors and texts sharing words get
similar ones, which is enough to exercise indexing and retrieval without a model.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

import numpy as np

from embeddings.base import ProgressFn, l2_normalise


class HashingEmbedder:
    max_tokens = 512

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"hashing-trigram-{dim}"
        self.encoder_id = self.model_id

    def _vector(self, text: str) -> np.ndarray:
        text = unicodedata.normalize("NFC", text.lower().strip())
        vec = np.zeros(self.dim, np.float32)
        padded = f"  {text}  "
        for i in range(len(padded) - 2):
            digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "little") % self.dim] += 1.0
        return vec

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(
        self, texts: Sequence[str], progress: ProgressFn | None = None
    ) -> np.ndarray:
        out = self._embed(texts)
        if progress:
            progress(len(texts))
        return out

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(np.stack([self._vector(t) for t in texts]))

    def count_tokens(self, text: str) -> int:
        # roughly one token per syllable, plus prefix and specials
        return len(text.split()) + 4
