"""``Embedder`` backed by a sentence-transformers folder (default: the provisioned e5)."""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import ProgressFn, TokenVectors, batched, l2_normalise
from embeddings.provision import MODEL_ID, PASSAGE_PREFIX, QUERY_PREFIX, ensure_e5_model

ALIGN_LAYER = 8
"""Hidden layer whose token vectors align words across languages best (e5-small has 12;
the last layers are tuned for whole-text similarity and align words poorly; measured on
English questions against Vietnamese sentences: layers 6-8 match "sang"/"hát",
"discover"/"phát hiện", "career"/"sự nghiệp", layer 12 matches everything about equally)."""


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; E5-family models get their prefixes added here."""

    def __init__(
        self,
        model: str | None,
        cache_dir: Path,
        *,
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        import torch

        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights never come from a hub at run time
        logging.getLogger("transformers").setLevel(logging.ERROR)
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        if model is None:
            path = ensure_e5_model(cache_dir).path
            self.model_id = MODEL_ID
            e5 = True
        else:
            path = Path(model)
            self.model_id = model
            e5 = "e5" in model.lower()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._query_prefix = QUERY_PREFIX if e5 else ""
        self._passage_prefix = PASSAGE_PREFIX if e5 else ""
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.max_tokens = int(self._model.max_seq_length or 512)
        self.batch_size = batch_size
        self.encoder_id = f"sentence-transformers:{self.model_id}"
        self._align_model: Any = None
        self._align_lock = threading.Lock()

    def _align(self) -> Any:
        """The model cut after ``ALIGN_LAYER``: a shallow copy sharing the weights whose
        encoder holds only the first layers (its last hidden state is exactly the full
        model's ``hidden_states[ALIGN_LAYER]``, without running the layers above)."""
        with self._align_lock:
            if self._align_model is None:
                import torch

                full: Any = self._model[0].auto_model
                layer = min(ALIGN_LAYER, int(full.config.num_hidden_layers))
                encoder = copy.copy(full.encoder)
                encoder._modules = dict(full.encoder._modules)
                encoder._modules["layer"] = torch.nn.ModuleList(list(full.encoder.layer)[:layer])
                cut = copy.copy(full)
                cut._modules = dict(full._modules)
                cut._modules["encoder"] = encoder
                cut._modules["pooler"] = None
                self._align_model = cut
            return self._align_model

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        cleaned = [prefix + t.strip() for t in texts]
        vectors = self._model.encode(
            cleaned,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return l2_normalise(np.asarray(vectors).reshape(len(cleaned), self.dim))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)

    def embed_passages(
        self, texts: Sequence[str], progress: ProgressFn | None = None
    ) -> np.ndarray:
        parts = []
        for batch in batched(texts, self.batch_size):
            parts.append(self._encode(batch, self._passage_prefix))
            if progress:
                progress(len(batch))
        return np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32)

    def count_tokens(self, text: str) -> int:
        ids = self._model.tokenizer(self._passage_prefix + text.strip(), verbose=False)["input_ids"]
        return len(ids)

    def token_vectors(self, texts: Sequence[str], *, query: bool) -> list[TokenVectors]:
        """Per-token vectors of ``texts`` from the ``ALIGN_LAYER``-th hidden layer."""
        import torch

        prefix = self._query_prefix if query else self._passage_prefix
        tokenizer = self._model.tokenizer
        encoded = tokenizer(
            [prefix + t for t in texts],
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = encoded.pop("offset_mapping").numpy() - len(prefix)
        with torch.inference_mode():
            hidden = self._align()(**encoded).last_hidden_state
        out = []
        mask = encoded["attention_mask"].numpy().astype(bool)
        for i in range(len(texts)):
            spans = offsets[i]
            keep = mask[i] & (spans[:, 0] >= 0) & (spans[:, 1] > spans[:, 0])
            vectors = l2_normalise(hidden[i].numpy()[keep])
            out.append(TokenVectors(spans[keep].astype(np.int32), vectors))
        return out
