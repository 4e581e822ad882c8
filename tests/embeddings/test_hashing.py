import numpy as np

from embeddings import build_embedder
from embeddings.hashing import HashingEmbedder


def test_deterministic_and_normalised(tmp_path):
    emb = build_embedder("hash", cache_dir=tmp_path)
    a = emb.embed_queries(["Hội nghị ngoại giao", "Hội nghị ngoại giao"])
    assert np.allclose(a[0], a[1])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)


def test_similar_texts_score_higher():
    emb = HashingEmbedder()
    q = emb.embed_queries(["hội nghị ngoại giao lần thứ 32"])[0]
    p = emb.embed_passages(["Hội nghị ngoại giao lần thứ 32 khai mạc", "giá lúa gạo tăng"])
    assert p[0] @ q > p[1] @ q
