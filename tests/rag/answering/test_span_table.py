"""The vectorised span scores are the reference scores, bit for bit."""

from __future__ import annotations

import random

import pytest

from rag.answering.span_table import score_spans
from rag.answering.spans import (
    DEFAULT_WEIGHTS,
    SpanScorer,
    fold_terms,
    load_span_weights,
    span_candidates,
)
from rag.answering.wh import analyse_wh
from rag.answering.words import WordTagger

TAGGER = WordTagger()
SENTENCES = (
    "Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng chủ trì Hội nghị ngoại giao lần thứ 32 tại Hà Nội.",
    "Hơn 1.000 đại biểu ở trong nước và nước ngoài tham dự hội nghị năm 2023 (theo TTXVN).",
    "Ngoại giao Việt Nam được ví như cây tre: gốc vững, thân chắc, cành uyển chuyển.",
    "On 14 May 2021, the conference was attended by more than 1,000 delegates - at home and "
    "abroad; Prime Minister Phạm Minh Chính spoke.",
    "Ủy ban Đối ngoại Trung ương phối hợp với Bộ Ngoại giao tổ chức hội nghị ngày 5 tháng 8.",
    "Thủ tướng nhấn mạnh: “ngoại giao kinh tế phục vụ phát triển” là nhiệm vụ trọng tâm…",
)
QUESTIONS = (
    ("Ai chủ trì Hội nghị ngoại giao?", False),
    ("Hội nghị diễn ra ngày nào?", False),
    ("Bao nhiêu đại biểu tham dự hội nghị?", False),
    ("Ngoại giao Việt Nam được ví như cây gì?", False),
    ("hoi nghi to chuc o dau", False),
    ("Who spoke at the conference?", True),
    ("How many delegates attended in May?", True),
    ("What did the Prime Minister stress?", True),
)


def _inputs(question: str, english: bool, seed: int, soft: bool):
    rng = random.Random(seed)
    wh = analyse_wh(question, english)
    terms = {t: rng.choice([1.0, 0.5, 0.3, 1 / 3]) for t in fold_terms(question)}
    sentences = []
    for k, text in enumerate(rng.sample(SENTENCES, 3)):
        words = TAGGER.words(text, offset=17 * k)
        sent = {f"rank={k}": 1.0, "gap": -rng.random(), "dense": rng.random(),
                "lexical": rng.random() / 3, "passage_lexical": rng.random() / 7}  # fmt: skip
        per_word = [rng.choice([0.0, rng.random(), 1.0]) for _ in words] if soft else None
        sentences.append((k, words, sent, per_word))
    return sentences, wh, terms


@pytest.mark.parametrize(
    "weights", [load_span_weights(), DEFAULT_WEIGHTS], ids=["learned", "default"]
)
@pytest.mark.parametrize("soft", [True, False], ids=["soft", "no-soft"])
@pytest.mark.parametrize(("question", "english"), QUESTIONS)
def test_scores_and_best_span_equal_the_reference(question, english, soft, weights):
    for seed in range(3):
        sentences, wh, terms = _inputs(question, english, seed, soft)
        reference = span_candidates(sentences, wh, terms)
        scorer = SpanScorer(weights)
        for sp in reference:
            sp.score = scorer.score(sp.features)
        table = score_spans(sentences, wh, terms, weights)
        assert [(sentences[p][0], i, j) for p, i, j in table.where] == [
            (sp.sentence_index, *_bounds(sentences, sp)) for sp in reference
        ]
        assert table.scores.tolist() == [sp.score for sp in reference]  # exact, not approximate
        best = table.best(wh, terms)
        expected = sorted(reference, key=lambda sp: -sp.score)[0]
        assert best is not None
        assert (best.sentence_index, best.start, best.end) == (
            expected.sentence_index, expected.start, expected.end,
        )  # fmt: skip
        assert best.features == expected.features
        assert list(best.features) == list(expected.features)
        assert best.score == expected.score


def _bounds(sentences, span):
    words = sentences[span.sentence_index][1]
    i = words.index(span.words[0])
    return i, i + len(span.words)


def test_no_words_no_spans():
    wh = analyse_wh("Ai?", False)
    table = score_spans([(0, [], {}, None)], wh, {}, DEFAULT_WEIGHTS)
    assert table.where == [] and table.best(wh, {}) is None
