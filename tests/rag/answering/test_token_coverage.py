"""The answerer's sentence ranking adds the question's token coverage (by meaning)."""

from __future__ import annotations

import numpy as np

from rag.answering.base import Passage
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.question import analyse
from rag.chunking import Chunk
from rag.documents import Document
from rag.retrieval.base import Query
from tests.rag.word_encoder import DIM, WordEncoder


def _passage() -> Passage:
    text = "Đại biểu phát biểu tại hội trường lớn. Hôm đó Hà Nội có thời tiết lạnh và mưa."
    doc = Document(doc_id="d", title="Tin", text=text, source="t.txt")
    return Passage(Chunk("d", 0, text, 0, len(text)), doc, 1.0, 1.0)


def _ranked(calibration):
    answerer = ExtractiveAnswerer(WordEncoder(), {}, calibration=calibration)  # type: ignore[arg-type]
    question = "What was the weather like in Hanoi?"
    query = Query(question, lang="en", vector=np.eye(DIM, dtype=np.float32)[0], lexical_share=0.0)
    return answerer.candidates(query, analyse(question), [_passage()])


def test_the_sentence_that_holds_the_question_by_meaning_ranks_first():
    weights = {"dense": 1.0, "lexical": 0.5, "passage": 1.0, "rank": 0.0}
    ranked = _ranked({"weights": {**weights, "tokens": 1.0}, "thresholds": {}})
    assert ranked[0].sentence.text.startswith("Hôm đó Hà Nội")
    assert ranked[0].score > ranked[1].score
    # without the token weight the two sentences tie on every feature: first one first
    tied = _ranked({"weights": weights, "thresholds": {}})
    assert tied[0].score == tied[1].score
    assert tied[0].sentence.text.startswith("Đại biểu")
