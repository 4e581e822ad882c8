"""The extractive reader: e5-small fine-tuned to point at the answer span of a passage.

The reader reads ``<s> query: QUESTION </s></s> passage: WINDOW </s>`` and gives every token
a start and an end logit; the best-scoring span (start + end) of the window is the answer,
and ``<s>``'s pair of logits scores "no span here". Its weights are the provisioned
e5-small plus a small fine-tuned delta that the caller supplies as a safetensors file
(``rag/answering/reader_weights.safetensors``, made by ``rag eval --train-reader``): low-rank
updates of the dense layers (``lora.<module>.A/B``, scaled by the ``scale`` metadata),
replacement tensors (``enc.<parameter>``) and the span head (``head.weight/bias``).

Provisioning (``ensure_reader``) merges the delta into the model, exports it to ONNX with
the same graph as the fast encoder (word embeddings gathered outside it, from the shared
memory map), quantises it to int8 the same way, and verifies the int8 logits against the
fp32 merged model on fixed seed sentences; a reader that disagrees is refused and the
answerer falls back to its span scorer. The folder's name carries the weights' digest, so
new weights build a new reader.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.atomic import exclusive_lock, fsync_tree
from embeddings.provision import (
    PASSAGE_PREFIX,
    QUERY_PREFIX,
    ProvisionError,
    _replace_dir,
    ensure_e5_model,
)

READER_FORMAT = 2  # 2: quantised with 7-bit weights (see fast_encoder.quantise)
READER_FILE = "reader.onnx"
INFO_FILE = "reader.json"
MAX_PAIR_TOKENS = 160  # the length the reader was trained on (question + window)
MIN_AGREEMENT = 0.75  # int8 best span == fp32 best span on this share of the sample (6 of 8)
MIN_LOGIT_CORRELATION = 0.98
SEP_ID = 2  # ``</s>`` of the XLM-R vocabulary
MAX_ANSWER_TOKENS = 30

# Fixed verification pairs (question, window): seed-style sentences, three languages.
VERIFY_PAIRS: tuple[tuple[str, str], ...] = (
    ("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?",
     "Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng dự và phát biểu chỉ đạo tại Hội nghị ngoại "
     "giao lần thứ 32, được tổ chức theo hình thức trực tiếp kết hợp trực tuyến."),
    ("Ai phát biểu chỉ đạo tại hội nghị?",
     "Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng dự và phát biểu chỉ đạo tại Hội nghị ngoại "
     "giao lần thứ 32, được tổ chức theo hình thức trực tiếp kết hợp trực tuyến."),
    ("ai phoi hop voi Bo Ngoai giao to chuc hoi nghi",
     "Ủy ban Đối ngoại Trung ương phối hợp với Bộ Ngoại giao tổ chức hội nghị."),
    ("Who stressed economic diplomacy?",
     "Thủ tướng Phạm Minh Chính nhấn mạnh ngoại giao kinh tế phục vụ phát triển."),
    ("Ngoại giao Việt Nam được ví như cây gì?",
     "Ngoại giao Việt Nam được ví như cây tre: gốc vững, thân chắc, cành uyển chuyển."),
    ("How many delegates attended?",
     "The conference was attended by more than 1,000 delegates at home and abroad."),
    ("Hội nghị xác định điều gì?",
     "Hội nghị đã đánh giá kết quả thực hiện công tác đối ngoại, phân tích bối cảnh tình hình "
     "thế giới và khu vực, xác định phương hướng, nhiệm vụ trọng tâm trong thời gian tới."),
    ("Bao nhiêu đại biểu tham dự?",
     "Hơn 1.000 đại biểu ở trong nước và nước ngoài tham dự hội nghị năm 2023."),
)  # fmt: skip


@dataclass(frozen=True)
class SpanLogits:
    """The reader's logits over one window's tokens: ``offsets`` [n, 2] are character
    offsets into the window; ``null`` is the "no span here" score."""

    start: np.ndarray
    end: np.ndarray
    offsets: np.ndarray
    null: float


def weights_digest(weights: Path) -> str:
    return hashlib.sha256(weights.read_bytes()).hexdigest()[:12]


def reader_dir(cache_dir: Path, weights: Path) -> Path:
    base = ensure_e5_model(cache_dir).path
    return base.with_name(f"{base.name}-reader-int8-v{READER_FORMAT}-{weights_digest(weights)}")


def merged_reader(model_folder: Path, weights: Path) -> tuple[Any, Any]:
    """(BertModel, span head) with the fine-tuned delta of ``weights`` applied (fp32)."""
    import torch
    from safetensors import safe_open
    from transformers import BertModel

    bert: Any = BertModel.from_pretrained(str(model_folder), attn_implementation="eager")
    bert.eval()
    params = dict(bert.named_parameters())
    head = torch.nn.Linear(int(bert.config.hidden_size), 2)
    with safe_open(str(weights), framework="pt") as fh:
        meta = fh.metadata() or {}
        scale = float(meta.get("scale", "1.0"))
        keys = list(fh.keys())
        with torch.no_grad():
            head.weight.copy_(fh.get_tensor("head.weight"))
            head.bias.copy_(fh.get_tensor("head.bias"))
            for key in keys:
                if key.startswith("enc."):
                    params[key[4:]].copy_(fh.get_tensor(key))
                elif key.startswith("lora.") and key.endswith(".A"):
                    module = key[5:-2]
                    a = fh.get_tensor(key)
                    b = fh.get_tensor(f"lora.{module}.B")
                    params[f"{module}.weight"].add_(scale * (b @ a))
    head.eval()
    for param in (*bert.parameters(), *head.parameters()):
        param.requires_grad_(False)
    return bert, head


def build_reader(model_folder: Path, encoder: Any, weights: Path, out: Path) -> dict[str, Any]:
    """Export, quantise and verify the reader into ``out`` (``encoder``: the int8
    ``OnnxEncoder``, whose tokenizer and word embeddings the reader shares); returns its
    info."""
    from embeddings.fast_encoder import export_onnx, quantise

    bert, head = merged_reader(model_folder, weights)
    fp32 = out / "fp32"
    fp32.mkdir()
    export_onnx(model_folder, fp32 / READER_FILE, layers=None, bert=bert, head=head)
    quantise(fp32 / READER_FILE, out / READER_FILE)
    shutil.rmtree(fp32)
    fast = OnnxReader(encoder, out)
    agree, corr = verify_reader(fast, bert, head)
    info = {
        "format": READER_FORMAT,
        "weights_sha256_12": weights_digest(weights),
        "accepted": agree >= MIN_AGREEMENT and corr >= MIN_LOGIT_CORRELATION,
        "span_agreement": round(agree, 4),
        "logit_correlation": round(corr, 4),
        "thresholds": {"span_agreement": MIN_AGREEMENT, "logit_correlation": MIN_LOGIT_CORRELATION},
        "verify_pairs": len(VERIFY_PAIRS),
    }
    (out / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info


def verify_reader(fast: OnnxReader, bert: Any, head: Any) -> tuple[float, float]:
    """Share of ``VERIFY_PAIRS`` whose best span is the same in int8 and fp32, and the
    mean correlation of their start/end logits."""
    import torch

    agree, corr = 0, []
    for question, window in VERIFY_PAIRS:
        ids, _ = fast.pair_tokens(question, window)
        with torch.no_grad():
            hidden = bert(input_ids=torch.tensor([ids])).last_hidden_state
            ref = head(hidden)[0].numpy()
        got = fast.raw_logits([ids])[0]
        corr.append(float(np.corrcoef(ref[:, 0], got[:, 0])[0, 1]))
        corr.append(float(np.corrcoef(ref[:, 1], got[:, 1])[0, 1]))
        agree += (
            best_token_span(ref[:, 0], ref[:, 1])[:2] == best_token_span(got[:, 0], got[:, 1])[:2]
        )
    return agree / len(VERIFY_PAIRS), float(np.mean(corr))


def _span_scores(start: np.ndarray, end: np.ndarray, longest: int) -> np.ndarray:
    """start + end logit of every span of at most ``longest`` tokens (others -inf)."""
    n = len(start)
    scores = start[:, None] + end[None, :]
    allowed = np.triu(np.ones((n, n), bool)) & ~np.triu(np.ones((n, n), bool), longest)
    return np.where(allowed, scores, -np.inf)


def best_token_span(
    start: np.ndarray, end: np.ndarray, longest: int = MAX_ANSWER_TOKENS
) -> tuple[int, int, float]:
    """(first token, last token, start + end logit) of the best span of at most ``longest``
    tokens."""
    scores = _span_scores(start, end, longest)
    i, j = divmod(int(np.argmax(scores)), len(start))
    return i, j, float(scores[i, j])


def ranked_token_spans(
    start: np.ndarray, end: np.ndarray, limit: int, longest: int = MAX_ANSWER_TOKENS
) -> list[tuple[int, int, float]]:
    """The ``limit`` best spans as (first token, last token, score), best first."""
    scores = _span_scores(start, end, longest).ravel()
    limit = min(limit, int(np.isfinite(scores).sum()))
    if limit <= 0:
        return []
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.argsort(-scores[top], kind="stable")]
    n = len(start)
    return [(int(k) // n, int(k) % n, float(scores[k])) for k in top]


def ensure_reader(cache_dir: Path, encoder: Any, weights: Path, *, force: bool = False) -> Path:
    """The verified int8 reader folder for ``weights``, built first if needed. Raises
    ``ProvisionError`` when it cannot be built or is refused."""
    target = reader_dir(cache_dir, weights)
    refused = target.with_name(target.name + ".refused.json")
    if not force:
        if _ready(target):
            return target
        if refused.is_file():
            raise ProvisionError(f"the int8 reader was refused ({refused}); `rag model --force`")
    with exclusive_lock(cache_dir / ".provision.lock"):
        if not force and _ready(target):
            return target
        tmp = cache_dir / f".tmp-reader-{uuid.uuid4().hex}"
        try:
            tmp.mkdir(parents=True)
            info = build_reader(ensure_e5_model(cache_dir).path, encoder, weights, tmp)
            if not info["accepted"]:
                refused.write_text(json.dumps(info, indent=2), encoding="utf-8")
                raise ProvisionError(
                    f"the int8 reader disagrees with fp32 (span agreement "
                    f"{info['span_agreement']}, logit correlation {info['logit_correlation']})"
                )
            refused.unlink(missing_ok=True)
            fsync_tree(tmp)
            _replace_dir(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _ready(folder: Path) -> bool:
    try:
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(info.get("accepted")) and (folder / READER_FILE).is_file()


class OnnxReader:
    """The int8 reader, sharing the encoder's tokenizer and memory-mapped word embeddings."""

    def __init__(self, encoder: Any, folder: Path) -> None:
        import onnxruntime as ort

        self._encoder = encoder
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(folder / READER_FILE), options, providers=["CPUExecutionProvider"]
        )

    def pair_tokens(self, question: str, window: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids of the pair and, for the window's tokens, their character offsets in
        ``window`` ((-1, -1) for every other token)."""
        (q_ids, _), (p_ids, p_offsets) = self._encoder._tokenise(
            [QUERY_PREFIX + question.strip(), PASSAGE_PREFIX + window]
        )
        room = MAX_PAIR_TOKENS - len(q_ids) - 1
        body, body_offsets = p_ids[1:-1], p_offsets[1:-1]
        if len(body) > room - 1:
            body, body_offsets = body[: max(0, room - 1)], body_offsets[: max(0, room - 1)]
        ids = [*q_ids, SEP_ID, *body, SEP_ID]
        shift = len(PASSAGE_PREFIX)
        offsets = [(-1, -1)] * (len(q_ids) + 1)
        offsets += [(a - shift, b - shift) if a >= shift else (-1, -1) for a, b in body_offsets]
        offsets.append((-1, -1))
        return ids, offsets

    def raw_logits(self, batch: list[list[int]]) -> list[np.ndarray]:
        longest = max(len(ids) for ids in batch)
        ids = np.ones((len(batch), longest), np.int64)
        mask = np.zeros((len(batch), longest), np.int64)
        for i, row in enumerate(batch):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        embeds = np.ascontiguousarray(self._encoder._words[ids])
        (logits,) = self._session.run(None, {"embeds": embeds, "mask": mask})
        return [logits[i, : len(row)] for i, row in enumerate(batch)]

    def read(self, question: str, windows: Sequence[str]) -> list[SpanLogits]:
        """The logits over each window's tokens (one batch)."""
        if not windows:
            return []
        pairs = [self.pair_tokens(question, w) for w in windows]
        out = []
        for (_, offsets), logits in zip(pairs, self.raw_logits([p[0] for p in pairs]), strict=True):
            spans = np.asarray(offsets, np.int64)
            keep = (spans[:, 0] >= 0) & (spans[:, 1] > spans[:, 0])
            out.append(
                SpanLogits(
                    logits[keep, 0].astype(np.float32), logits[keep, 1].astype(np.float32),
                    spans[keep], float(logits[0, 0] + logits[0, 1]),
                )
            )  # fmt: skip
        return out
