"""Provision the fast encoder: the verified e5-small exported to ONNX and quantised to int8.

Built once, next to the sentence-transformers folder (``ensure_e5_model``):

- ``encoder.onnx``: the 12 transformer layers; outputs the mean-pooled last layer
  (``pooled``) and the hidden states after layer ``ALIGN_LAYER`` (``align``), so one pass
  gives a query's embedding *and* the token vectors the answerer aligns words with;
- ``align.onnx``: the first ``ALIGN_LAYER`` layers only (token vectors of sentences);
- ``fast_encoder.json``: what was built and how it was verified.

Word embeddings (250k x 384, the bulk of the model) stay out of the graphs: the runtime
gathers them from the fp32 folder's ``model.safetensors`` through a read-only memory map,
which every worker process shares through the page cache.

Quantisation is ONNX Runtime's dynamic int8 (per-channel weights) of the dense layers,
except the attention products and each feed-forward output (their inputs have outliers;
quantising them drops the cosine to fp32 to 0.978, keeping them fp32 gives >= 0.998).
Weights use 7 of their 8 bits (``reduce_range``): on x86 CPUs without VNNI (AVX2 only) the
u8 x s8 products saturate their 16-bit sums otherwise, and the same files measured min
cosine 0.9944 and a reader logit correlation of 0.966 there (refused) against 0.998 and
0.997 with 7-bit weights.
Before it is moved into place the result is compared with the fp32 model on a fixed sample
of seed sentences and questions; a cosine below ``MIN_COSINE`` (or a mean token-vector
cosine below ``MIN_TOKEN_COSINE``) refuses it, and the fp32 model stays in use.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.atomic import exclusive_lock, fsync_tree
from embeddings.provision import (
    PASSAGE_PREFIX,
    QUERY_PREFIX,
    VERIFY_SENTENCES,
    ProvisionError,
    _replace_dir,
    ensure_e5_model,
)

ALIGN_LAYER = 8  # the same layer as embeddings.sentence_transformer.ALIGN_LAYER
FAST_FORMAT = 2  # 2: 7-bit weights (reduce_range), same results with or without VNNI
MIN_COSINE = 0.99
MIN_TOKEN_COSINE = 0.98
INFO_FILE = "fast_encoder.json"
ENCODER_FILE = "encoder.onnx"
ALIGN_FILE = "align.onnx"

# A fixed sample: seed sentences (passages) and gold-style questions in the three input
# languages, short and long; verification runs on exactly these.
VERIFY_EXTRA: tuple[tuple[str, bool], ...] = (
    ("Ai chủ trì Hội nghị đối ngoại toàn quốc năm 2021?", True),
    ("Hội nghị Ngoại giao lần thứ 32 có bao nhiêu đại biểu tham dự?", True),
    ("ai phat bieu chi dao tai hoi nghi ngoai giao lan thu 32", True),
    ("What are the three pillars of Vietnam's diplomacy?", True),
    ("When did the Party Central Committee hold the national conference on foreign affairs?", True),
    ("Ngoại giao Việt Nam được ví như cây tre: gốc vững, thân chắc, cành uyển chuyển.", False),
    (
        "Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng dự và phát biểu chỉ đạo tại Hội nghị ngoại "
        "giao lần thứ 32, được tổ chức theo hình thức trực tiếp kết hợp trực tuyến với các cơ "
        "quan đại diện Việt Nam ở nước ngoài.",
        False,
    ),
    (
        "Hội nghị đã đánh giá kết quả thực hiện công tác đối ngoại từ đầu nhiệm kỳ Đại hội XIII "
        "đến nay, phân tích bối cảnh tình hình thế giới và khu vực, xác định phương hướng, "
        "nhiệm vụ trọng tâm trong thời gian tới, góp phần giữ vững môi trường hòa bình, ổn "
        "định, huy động các nguồn lực bên ngoài phục vụ phát triển đất nước, nâng cao vị thế "
        "và uy tín của Việt Nam trên trường quốc tế.",
        False,
    ),
    ("Ủy ban Đối ngoại Trung ương phối hợp với Bộ Ngoại giao tổ chức hội nghị.", False),
    ("Thủ tướng Phạm Minh Chính nhấn mạnh ngoại giao kinh tế phục vụ phát triển.", False),
    ("The conference was attended by more than 1,000 delegates at home and abroad.", False),
)
VERIFY_SAMPLE = VERIFY_SENTENCES + VERIFY_EXTRA


@dataclass(frozen=True)
class FastEncoderInfo:
    path: Path
    encoder_id: str
    min_cosine: float
    mean_token_cosine: float
    created: bool


def fast_dir(cache_dir: Path) -> Path:
    base = ensure_e5_model(cache_dir).path
    return base.with_name(f"{base.name}-onnx-int8-v{FAST_FORMAT}")


def read_info(folder: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def refused_marker(cache_dir: Path) -> Path:
    return fast_dir(cache_dir).with_name(fast_dir(cache_dir).name + ".refused.json")


def ensure_fast_encoder(cache_dir: Path, *, force: bool = False) -> FastEncoderInfo:
    """The verified int8 encoder folder, built (and verified) first if needed. Raises
    ``ProvisionError`` when it cannot be built or fails verification (then a
    ``.refused.json`` note records why, and later calls refuse at once until ``force``)."""
    target = fast_dir(cache_dir)
    marker = refused_marker(cache_dir)
    if not force:
        found = _ready(target, created=False)
        if found is not None:
            return found
        if marker.is_file():
            raise ProvisionError(_refusal_message(marker))
    with exclusive_lock(cache_dir / ".provision.lock"):
        if not force:
            found = _ready(target, created=False)
            if found is not None:
                return found
        tmp = cache_dir / f".tmp-fast-{uuid.uuid4().hex}"
        try:
            tmp.mkdir(parents=True)
            info = build_fast_encoder(ensure_e5_model(cache_dir).path, tmp)
            if not info["accepted"]:
                marker.write_text(json.dumps(info, indent=2), encoding="utf-8")
                raise ProvisionError(_refusal_message(marker))
            marker.unlink(missing_ok=True)
            fsync_tree(tmp)
            _replace_dir(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    found = _ready(target, created=True)
    if found is None:  # pragma: no cover - written just above
        raise ProvisionError(f"fast encoder missing after provisioning: {target}")
    return found


def _ready(folder: Path, *, created: bool) -> FastEncoderInfo | None:
    info = read_info(folder)
    if not info or not info.get("accepted"):
        return None
    if not all((folder / f).is_file() for f in (ENCODER_FILE, ALIGN_FILE)):
        return None
    return FastEncoderInfo(
        folder,
        str(info["encoder_id"]),
        float(info["min_cosine"]),
        float(info["mean_token_cosine"]),
        created,
    )


def _refusal_message(marker: Path) -> str:
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    return (
        "the int8 encoder disagrees with the fp32 model "
        f"(min cosine {info.get('min_cosine', float('nan')):.4f} < {MIN_COSINE}, or mean token "
        f"cosine {info.get('mean_token_cosine', float('nan')):.4f} < {MIN_TOKEN_COSINE}); "
        "refused: the fp32 model is used (`rag model --force` retries)"
    )


# ------------------------------------------------------------------------------ build
def build_fast_encoder(model_folder: Path, out: Path) -> dict[str, Any]:
    """Export, quantise and verify into ``out``; returns the info written to ``INFO_FILE``
    (``accepted`` tells whether verification passed)."""
    fp32 = out / "fp32"
    fp32.mkdir()
    export_onnx(model_folder, fp32 / ENCODER_FILE, layers=None)
    export_onnx(model_folder, fp32 / ALIGN_FILE, layers=ALIGN_LAYER)
    for name in (ENCODER_FILE, ALIGN_FILE):
        quantise(fp32 / name, out / name)
    shutil.rmtree(fp32)
    min_cos, mean_cos, token_cos = verify_fast_encoder(model_folder, out)
    digest = _sha256(out / ENCODER_FILE)[:12]
    info = {
        "format": FAST_FORMAT,
        "encoder_id": f"onnx-int8:{digest}",
        "accepted": min_cos >= MIN_COSINE and token_cos >= MIN_TOKEN_COSINE,
        "min_cosine": round(min_cos, 6),
        "mean_cosine": round(mean_cos, 6),
        "mean_token_cosine": round(token_cos, 6),
        "thresholds": {"min_cosine": MIN_COSINE, "mean_token_cosine": MIN_TOKEN_COSINE},
        "verify_texts": len(VERIFY_SAMPLE),
        "align_layer": ALIGN_LAYER,
        "onnxruntime": metadata.version("onnxruntime"),
        "sha256": {n: _sha256(out / n) for n in (ENCODER_FILE, ALIGN_FILE)},
    }
    (out / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info


def export_onnx(
    model_folder: Path,
    path: Path,
    *,
    layers: int | None,
    bert: Any = None,
    head: Any = None,
) -> None:
    """Export the transformer (without the word-embedding lookup) to ONNX: inputs
    ``embeds`` [batch, tokens, hidden] (word embeddings) and ``mask`` [batch, tokens].
    ``bert`` replaces the model of ``model_folder``; with ``head`` (the reader's span head)
    the output is ``logits`` [batch, tokens, 2]."""
    import torch
    from transformers import BertModel

    if bert is None:
        bert = BertModel.from_pretrained(str(model_folder), attn_implementation="eager")
    bert.eval()
    n_layers = int(bert.config.num_hidden_layers)
    keep = n_layers if layers is None else min(layers, n_layers)
    align_at = min(ALIGN_LAYER, n_layers)

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = bert.embeddings
            self.layers = torch.nn.ModuleList(list(bert.encoder.layer)[:keep])
            self.head = head

        def forward(self, embeds: torch.Tensor, mask: torch.Tensor) -> Any:
            tokens = embeds.shape[1]
            h = embeds + self.emb.position_embeddings.weight[:tokens].unsqueeze(0)
            h = self.emb.LayerNorm(h + self.emb.token_type_embeddings.weight[0])
            additive = (1.0 - mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
            aligned = h
            for i, layer in enumerate(self.layers, 1):
                out = layer(h, attention_mask=additive)
                h = out[0] if isinstance(out, tuple) else out
                if i == align_at:
                    aligned = h
            if self.head is not None:
                return self.head(h)
            if layers is not None:
                return aligned
            weights = mask.to(h.dtype).unsqueeze(-1)
            pooled = (h * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return pooled, aligned

    graph = Graph().eval()
    sample = (torch.randn(2, 7, int(bert.config.hidden_size)), torch.ones(2, 7, dtype=torch.int64))
    if head is not None:
        outputs = ["logits"]
    else:
        outputs = ["align"] if layers is not None else ["pooled", "align"]
    axes = {"embeds": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"},
            "align": {0: "batch", 1: "tokens"}, "pooled": {0: "batch"},
            "logits": {0: "batch", 1: "tokens"}}  # fmt: skip
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            graph, sample, str(path), input_names=["embeds", "mask"], output_names=outputs,
            dynamic_axes={k: v for k, v in axes.items() if k in ("embeds", "mask", *outputs)},
            opset_version=17, dynamo=False,
        )  # fmt: skip


def quantise(src: Path, dst: Path) -> None:
    """Dynamic int8 (per-channel weights) of the dense layers, attention products and
    feed-forward outputs excepted (see the module docstring)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # the quantiser warns about pre-processing
    names = [n.name for n in onnx.load(str(src)).graph.node if n.op_type == "MatMul"]
    excluded = [
        n
        for n in names
        if n.endswith(("/attention/self/MatMul", "/attention/self/MatMul_1"))
        or ("/output/dense/" in n and "/attention/" not in n)
    ]
    quantize_dynamic(
        str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
        nodes_to_exclude=excluded,
    )  # fmt: skip


def verify_fast_encoder(model_folder: Path, folder: Path) -> tuple[float, float, float]:
    """(min, mean) cosine of the int8 embeddings to the fp32 model's on ``VERIFY_SAMPLE``,
    and the mean cosine of the alignment-layer token vectors."""
    from embeddings.onnx_backend import OnnxEncoder
    from embeddings.sentence_transformer import SentenceTransformerEmbedder

    reference = SentenceTransformerEmbedder(str(model_folder), model_folder, threads=None)
    reference._query_prefix, reference._passage_prefix = QUERY_PREFIX, PASSAGE_PREFIX
    fast = OnnxEncoder(model_folder, folder, encoder_id="unverified", threads=None)
    cosines, token_cosines = [], []
    for text, is_query in VERIFY_SAMPLE:
        embed = "embed_queries" if is_query else "embed_passages"
        a = getattr(reference, embed)([text])[0]
        b = getattr(fast, embed)([text])[0]
        cosines.append(float(a @ b))
        ta = reference.token_vectors([text], query=is_query)[0]
        tb = fast.token_vectors([text], query=is_query)[0]
        if not np.array_equal(ta.offsets, tb.offsets):
            raise ProvisionError(f"fast encoder tokenises differently: {text!r}")
        token_cosines.extend(np.sum(ta.vectors * tb.vectors, axis=1).tolist())
    return min(cosines), float(np.mean(cosines)), float(np.mean(token_cosines))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
