"""Re-ranking English questions by token coverage (late interaction)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from embeddings import TokenVectors
from rag.retrieval.base import Hit, Query
from rag.retrieval.late_interaction import LateInteraction, content_rows, coverage
from tests.rag.word_encoder import WordEncoder


def _index(*texts: str):
    chunks = [SimpleNamespace(text=t, start=0) for t in texts]
    return SimpleNamespace(snapshot=SimpleNamespace(chunks=chunks))


def test_content_rows_skip_punctuation_and_english_function_words():
    text = "What was the weather in Hanoi?"
    offsets = [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]
    kept = [text[a:b] for a, b in (offsets[k] for k in content_rows(text, offsets))]
    assert kept == ["weather", "Hanoi"]


def test_coverage_is_the_mean_best_match_of_the_question_tokens():
    question = np.eye(3, dtype=np.float32)[:2]  # two tokens: axes 0 and 1
    sentence = TokenVectors(np.array([[0, 1]]), np.eye(3, dtype=np.float32)[[0]])
    assert coverage(question, [sentence]) == pytest.approx(0.5)
    other = TokenVectors(np.array([[0, 1]]), np.eye(3, dtype=np.float32)[[1]])
    assert coverage(question, [sentence, other]) == pytest.approx(1.0)


def test_a_passage_that_holds_the_question_in_another_language_moves_up():
    index = _index(
        "Hội nghị họp tại Hà Nội. Đại biểu phát biểu.",
        "Hôm đó Hà Nội có mưa, thời tiết lạnh.",
    )
    late = LateInteraction(index, WordEncoder())  # type: ignore[arg-type]
    query = Query("What was the weather in Hanoi?", lang="en")
    hits = [Hit(0, 0.03), Hit(1, 0.02)]
    assert late.applies(query)
    assert [h.row for h in late.rerank(query, hits, bm25_weight=0.0)] == [1, 0]
    reranked = late.rerank(query, hits, bm25_weight=0.0)
    assert reranked[0].score > reranked[1].score


def test_a_question_bm25_reads_whole_keeps_its_fused_order():
    index = _index("Hội nghị họp tại Hà Nội.", "Hôm đó Hà Nội có mưa, thời tiết lạnh.")
    encoder = WordEncoder()
    late = LateInteraction(index, encoder)  # type: ignore[arg-type]
    query = Query("What was the weather in Hanoi?", lang="en")
    hits = [Hit(0, 0.03), Hit(1, 0.02)]
    assert late.rerank(query, hits, bm25_weight=1.0) == hits
    assert not encoder.calls  # nothing encoded
    assert not late.applies(Query("Thời tiết ở Hà Nội thế nào?", lang="vi"))
