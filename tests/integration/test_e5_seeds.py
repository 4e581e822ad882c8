"""Integration: the real multilingual-e5-small over the real seeds."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.integration

DOC_2023 = "003_792b6e1b99918ddc"


def test_32nd_conference_date_question_finds_the_2023_article(e5_pipeline):
    res = e5_pipeline.search("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào", mode="hybrid")
    assert res.results[0].doc_id == DOC_2023
    assert res.results[0].date == "2023-12-19"


@pytest.mark.parametrize(
    "question",
    [
        "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?",
        "Hoi nghi ngoai giao lan thu 32 dien ra ngay nao?",
        "When was the 32nd diplomatic conference held?",
    ],
)
def test_each_language_answers_with_the_date(e5_pipeline, question):
    answer = e5_pipeline.ask(question)
    assert not answer.abstained
    assert "19/12" in answer.answer
    assert answer.citations[0].doc_id == DOC_2023


def test_off_topic_question_abstains(e5_pipeline):
    answer = e5_pipeline.ask("Thủ đô của Úc là gì?")
    assert answer.abstained
    assert answer.answer == "Không tìm thấy thông tin này trong các tài liệu."


def test_who_chaired_2021(e5_pipeline):
    answer = e5_pipeline.ask("Ai chủ trì hội nghị đối ngoại toàn quốc năm 2021?")
    assert not answer.abstained
    assert "Nguyễn Phú Trọng" in answer.answer


def test_int8_encoder_agrees_with_fp32_and_answers_in_one_pass(e5_pipeline, e5_fp32_pipeline):
    """The default (fast) encoder: verified at provisioning, recorded in the manifest, and
    its one-pass question encoding equals its separate embedding and token vectors."""
    fast, fp32 = e5_pipeline.backend, e5_fp32_pipeline.backend
    assert e5_pipeline.index_config().encoder.startswith("onnx-int8:")
    assert e5_pipeline.store.load().manifest.config.encoder == e5_pipeline.index_config().encoder
    questions = ["Ai chủ trì hội nghị?", "Who chaired the conference?", "hoi nghi lan thu 32"]
    cos = np.sum(fast.embed_queries(questions) * fp32.embed_queries(questions), axis=1)
    assert cos.min() >= 0.99
    for q in questions:
        vector, tokens = fast.embed_query_with_tokens(q)
        assert np.allclose(vector, fast.embed_queries([q])[0], atol=1e-5)
        separate = fast.token_vectors([q], query=True)[0]
        assert np.array_equal(tokens.offsets, separate.offsets)
        assert np.allclose(tokens.vectors, separate.vectors, atol=1e-4)
        reference = fp32.token_vectors([q], query=True)[0]
        assert np.array_equal(tokens.offsets, reference.offsets)
    # batches (padded, sorted by length) stay in the same space as single texts; dynamic
    # int8 scales activations per batch, so they are close, not bit-identical
    texts = [*questions, "một câu dài hơn nhiều " * 20]
    batch = fast.embed_passages(texts)
    single = np.stack([fast.embed_passages([t])[0] for t in texts])
    assert np.sum(batch * single, axis=1).min() >= 0.995
    assert np.sum(batch * fp32.embed_passages(texts), axis=1).min() >= 0.99
