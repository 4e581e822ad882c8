"""Retrieval metrics on hand-made ranked lists."""

from __future__ import annotations

import math

import pytest

from eval.metrics.retrieval import (
    contains_evidence,
    first_relevant_rank,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    relevance,
    retrieval_scores,
)

EVIDENCE = ["Nguyễn Phú Trọng chủ trì Hội nghị"]


def test_relevance_compares_folded_text():
    passages = [
        "Tổng Bí thư NGUYỄN PHÚ TRỌNG   chủ trì hội nghị sáng 14/12.",  # case, spaces
        "Tong Bi thu Nguyen Phu Trong chu tri Hoi nghi.",  # no diacritics
        "Tổng Bí thư Nguyễn Phú Trọng phát biểu.",  # only part of the evidence
        "Thủ tướng Phạm Minh Chính dự Hội nghị.",
    ]
    assert relevance(passages, EVIDENCE) == [True, True, False, False]


def test_relevance_normalises_tone_placement():
    # "Uỷ" (tone on y) in the evidence, "Ủy" (tone on U) in the passage
    assert contains_evidence("Chủ nhiệm Ủy ban Đối ngoại Vũ Hải Hà", ["Uỷ ban Đối ngoại"])


def test_a_passage_with_any_of_several_evidence_strings_is_relevant():
    evidence = ["lần thứ 32", "ngày 19/12/2023"]
    assert relevance(["Hội nghị ngoại giao lần thứ 32", "khai mạc ngày 19/12/2023", "khác"],
                     evidence) == [True, True, False]  # fmt: skip


def test_no_evidence_means_nothing_is_relevant():
    assert relevance(["bất kỳ đoạn nào"], []) == [False]


def test_rank_hit_and_mrr():
    flags = [False, False, True, False, True]
    assert first_relevant_rank(flags) == 3
    assert hit_at_k(flags, 1) == 0.0
    assert hit_at_k(flags, 2) == 0.0
    assert hit_at_k(flags, 3) == 1.0
    assert mrr_at_k(flags, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(flags, 2) == 0.0


def test_nothing_relevant():
    flags = [False] * 10
    assert first_relevant_rank(flags) is None
    assert retrieval_scores(flags) == {"hit@1": 0.0, "hit@5": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}


def test_relevant_beyond_rank_10_does_not_count():
    flags = [False] * 10 + [True]
    assert mrr_at_k(flags, 10) == 0.0
    assert ndcg_at_k(flags, 10) == 0.0


def test_ndcg_single_relevant_at_rank_2():
    assert ndcg_at_k([False, True, False], 10) == pytest.approx(1 / math.log2(3))


def test_ndcg_uses_the_number_of_relevant_passages_in_the_index():
    flags = [True, False, False]
    assert ndcg_at_k(flags, 10) == 1.0
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(flags, 10, n_relevant=2) == pytest.approx(1 / ideal)
    # the ideal never counts fewer relevant passages than were retrieved
    assert ndcg_at_k([True, True], 10, n_relevant=1) == pytest.approx(1.0)


def test_perfect_and_reversed_rankings():
    assert ndcg_at_k([True, True, False, False], 10) == pytest.approx(1.0)
    worse = ndcg_at_k([False, False, True, True], 10)
    assert 0 < worse < 1


def test_retrieval_scores_bundle():
    scores = retrieval_scores([False, True] + [False] * 8, n_relevant=1)
    assert scores["hit@1"] == 0.0
    assert scores["hit@5"] == 1.0
    assert scores["mrr@10"] == 0.5
    assert scores["ndcg@10"] == pytest.approx(1 / math.log2(3))
