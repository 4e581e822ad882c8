"""``Embedder`` running the fast int8 encoder (``fast_encoder.py``) through ONNX Runtime.

Torch-free at run time: tokenisation with ``tokenizers`` (the provisioned
``tokenizer.json``, so tokens and offsets are those of the fp32 model; its unigram model
replaced by the lean one of ``lean_tokenizer.py``, ~240 MB less per process), word embeddings
gathered from a read-only memory map of ``model.safetensors`` (shared by all worker
processes through the page cache), the transformer layers in ONNX Runtime.

``embed_query_with_tokens`` gives a question's embedding and its alignment-layer token
vectors from one pass; ``token_vectors`` of passages runs only the first ``ALIGN_LAYER``
layers.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import ProgressFn, TokenVectors, l2_normalise
from embeddings.file_rows import FileRows
from embeddings.provision import MODEL_ID, PASSAGE_PREFIX, QUERY_PREFIX

MAX_TOKENS = 512
MAX_BATCH = 4
SEQUENTIAL_TOKENISE = 8
"""Up to this many texts are tokenised one by one: ``encode_batch`` hands them to worker
threads (rayon), and the lean tokenizer's Python step then waits for the GIL there."""


def word_embeddings(safetensors_file: Path, name: str) -> FileRows:
    """Tensor ``name`` (2-D, float32) of a safetensors file, its rows read on demand."""
    with safetensors_file.open("rb") as fh:
        (header_len,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(header_len))
    entry = header[name]
    if entry["dtype"] != "F32":
        raise ValueError(f"{name} is {entry['dtype']}, expected F32")
    start, end = entry["data_offsets"]
    shape = tuple(int(x) for x in entry["shape"])
    if len(shape) != 2 or end - start != 4 * int(np.prod(shape)):
        raise ValueError(f"{name}: size does not match its shape")
    return FileRows(safetensors_file, 8 + header_len + start, (shape[0], shape[1]))


class OnnxEncoder:
    """multilingual-e5-small (int8) with the same prefixes, tokens and vector space as the
    fp32 sentence-transformers model it was verified against."""

    model_id = MODEL_ID
    max_tokens = MAX_TOKENS

    def __init__(
        self,
        model_folder: Path,
        fast_folder: Path,
        *,
        encoder_id: str,
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        import onnxruntime as ort

        from embeddings.lean_tokenizer import load_lean_tokenizer

        self.encoder_id = encoder_id
        # small batches pad less; measured on the seeds (2 cores): 4 -> 51, 16 -> 44 chunks/s
        self.batch_size = min(batch_size, MAX_BATCH)
        self._tokenizer = load_lean_tokenizer(model_folder / "tokenizer.json")
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._words = word_embeddings(
            model_folder / "model.safetensors", "embeddings.word_embeddings.weight"
        )
        self.dim = int(self._words.shape[1])
        options = ort.SessionOptions()
        # one thread per run; long inputs run batches in parallel on ``threads`` threads
        # (measured faster than intra-op threads for a model this small)
        options.intra_op_num_threads = 1
        self._parallel = threads or (os.cpu_count() or 1)
        self._pool: ThreadPoolExecutor | None = None
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        cpu = ["CPUExecutionProvider"]
        self._full = ort.InferenceSession(str(fast_folder / "encoder.onnx"), options, providers=cpu)
        self._align = ort.InferenceSession(str(fast_folder / "align.onnx"), options, providers=cpu)

    # ------------------------------------------------------------------ internals
    def _tokenise(self, texts: Sequence[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        out = []
        if len(texts) <= SEQUENTIAL_TOKENISE:  # a question, a reader pair: no thread hand-off
            encodings = [self._tokenizer.encode(t) for t in texts]
        else:
            encodings = self._tokenizer.encode_batch(list(texts))
        for enc in encodings:
            ids, offsets = list(enc.ids), list(enc.offsets)
            if len(ids) > MAX_TOKENS:  # as the fp32 tokenizer truncates: keep the end token
                ids = ids[: MAX_TOKENS - 1] + ids[-1:]
                offsets = offsets[: MAX_TOKENS - 1] + offsets[-1:]
            out.append((ids, offsets))
        return out

    def _run(
        self, session: Any, encoded: list[tuple[list[int], list[tuple[int, int]]]]
    ) -> list[np.ndarray]:
        """One batch through ``session`` (padded to its longest text)."""
        longest = max(len(ids) for ids, _ in encoded)
        ids = np.ones((len(encoded), longest), np.int64)  # <pad> is 1; masked out anyway
        mask = np.zeros((len(encoded), longest), np.int64)
        for i, (row, _) in enumerate(encoded):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        embeds = np.ascontiguousarray(self._words[ids])
        outputs: list[np.ndarray] = session.run(None, {"embeds": embeds, "mask": mask})
        return outputs

    def _pooled(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """Embeddings of ``texts``, batched by length (less padding), in input order."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encoded = self._tokenise([prefix + t.strip() for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i][0]))
        out = np.zeros((len(texts), self.dim), np.float32)
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

        def run(rows: list[int]) -> None:
            out[rows] = self._run(self._full, [encoded[i] for i in rows])[0]

        self._map(run, batches)
        return l2_normalise(out)

    def _map(self, func: Any, batches: list[list[int]]) -> None:
        if self._parallel <= 1 or len(batches) <= 1:
            for rows in batches:
                func(rows)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._parallel, thread_name_prefix="onnx-encoder")
        for _ in self._pool.map(func, batches):
            pass

    def _tokens(
        self, hidden: np.ndarray, offsets: list[tuple[int, int]], prefix: str
    ) -> TokenVectors:
        spans = np.asarray(offsets, np.int64).reshape(-1, 2) - len(prefix)
        keep = (spans[:, 0] >= 0) & (spans[:, 1] > spans[:, 0])
        return TokenVectors(
            spans[keep].astype(np.int32), l2_normalise(hidden[: len(offsets)][keep])
        )

    # ------------------------------------------------------------------ Embedder
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._pooled(texts, QUERY_PREFIX)

    def embed_passages(
        self, texts: Sequence[str], progress: ProgressFn | None = None
    ) -> np.ndarray:
        if progress is None:
            return self._pooled(texts, PASSAGE_PREFIX)
        parts = []
        step = self.batch_size * 8  # length-sorted within each step, progress after each
        for start in range(0, len(texts), step):
            part = texts[start : start + step]
            parts.append(self._pooled(part, PASSAGE_PREFIX))
            progress(len(part))
        return np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(PASSAGE_PREFIX + text.strip()).ids)

    # -------------------------------------------------------------- TokenEncoder
    def token_vectors(self, texts: Sequence[str], *, query: bool) -> list[TokenVectors]:
        """Per-token vectors from the ``ALIGN_LAYER``-th layer (the first layers only)."""
        if not texts:
            return []
        prefix = QUERY_PREFIX if query else PASSAGE_PREFIX
        encoded = self._tokenise([prefix + t for t in texts])
        out: list[TokenVectors | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i][0]))
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

        def run(rows: list[int]) -> None:
            hidden = self._run(self._align, [encoded[i] for i in rows])[0]
            for h, i in zip(hidden, rows, strict=True):
                out[i] = self._tokens(h, encoded[i][1], prefix)

        self._map(run, batches)
        return [tv for tv in out if tv is not None]

    def embed_query_with_tokens(self, text: str) -> tuple[np.ndarray, TokenVectors]:
        """The query embedding of ``text`` and its token vectors, from one pass (``text``
        is used as given: strip it first, as ``embed_queries`` would)."""
        encoded = self._tokenise([QUERY_PREFIX + text])
        pooled, hidden = self._run(self._full, encoded)
        return l2_normalise(pooled)[0], self._tokens(hidden[0], encoded[0][1], QUERY_PREFIX)
