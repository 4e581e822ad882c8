"""Helpers for the eval tests: hand-made per-question results, a small SQuAD file."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from eval.harness import QuestionResult
from rag import Pipeline
from rag.answering.models import Answer, Citation, ShortAnswer


def _result(**overrides: Any) -> QuestionResult:
    fields: dict[str, Any] = {
        "id": "q1", "mode": "hybrid", "question": "?", "lang": "vi", "type": "other",
        "split": "dev", "answerable": True, "expected": "x", "aliases": [], "evidence": ["x"],
        "answer": "x [1]", "abstained": False, "confidence": 0.0, "citations": [],
        "retrieved": [], "hit_rank": None, "n_relevant": 1, "retrieval": None,
        "correct": None, "f1": None, "exact": None, "citation_precision": None,
        "citation_recall": None, "timings_ms": {"total": 1.0}, "search_ms": 1.0, "answer_lang": "",
    }  # fmt: skip
    fields.update(overrides)
    return QuestionResult(**fields)


@pytest.fixture
def make_result() -> Callable[..., QuestionResult]:
    """Build a ``QuestionResult`` from a few overridden fields."""
    return _result


# ------------------------------------------------------------------------ SQuAD files
def _qa(qid: str, question: str, *answers: str) -> dict[str, Any]:
    return {"id": qid, "question": question,
            "answers": [{"text": a, "answer_start": 0} for a in answers]}  # fmt: skip


SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Sông_Mê_Kông",
            "paragraphs": [
                {
                    "context": "Sông Mê Kông là một trong những con sông lớn nhất châu Á, dài "
                    "khoảng 4.350 km. Sông bắt nguồn từ cao nguyên Tây Tạng và chảy qua sáu "
                    "quốc gia trước khi đổ ra Biển Đông.",
                    "qas": [
                        _qa("mk0a", "Sông Mê Kông dài khoảng bao nhiêu km?", "4.350 km"),
                        _qa("mk0b", "Sông Mê Kông bắt nguồn từ đâu?", "cao nguyên Tây Tạng"),
                    ],
                },
                {
                    "context": "Đồng bằng sông Cửu Long là vựa lúa lớn nhất Việt Nam. Vùng đồng "
                    "bằng này sản xuất hơn một nửa sản lượng lúa gạo của cả nước và là nơi "
                    "sinh sống của khoảng 17 triệu người.",
                    "qas": [
                        _qa(
                            "mk1a",
                            "Vựa lúa lớn nhất Việt Nam là vùng nào?",
                            "Đồng bằng sông Cửu Long",
                        ),
                        _qa(
                            "mk1b",
                            "Bao nhiêu người sống ở đồng bằng sông Cửu Long?",
                            "khoảng 17 triệu người",
                            "17 triệu",
                        ),
                    ],
                },
            ],
        },
        {
            "title": "Phở",
            "paragraphs": [
                {
                    "context": "Phở là món ăn truyền thống của Việt Nam, gồm bánh phở, nước dùng "
                    "và thịt bò hoặc thịt gà. Món ăn này xuất hiện ở miền Bắc vào đầu thế kỷ 20.",
                    "qas": [
                        _qa("ph0a", "Phở xuất hiện vào thời gian nào?", "đầu thế kỷ 20"),
                        _qa(
                            "ph0b",
                            "Phở gồm những thành phần nào?",
                            "bánh phở, nước dùng và thịt bò hoặc thịt gà",
                        ),
                    ],
                },
                {
                    "context": "Nam Định và Hà Nội được xem là cái nôi của phở. Phở bò tái chín "
                    "là biến thể phổ biến nhất tại các quán ăn ở thủ đô.",
                    "qas": [
                        _qa("ph1a", "Nơi nào được xem là cái nôi của phở?", "Nam Định và Hà Nội"),
                        _qa("ph1b", "Biến thể phổ biến nhất của phở là gì?", "Phở bò tái chín"),
                    ],
                },
            ],
        },
        {
            "title": "Vịnh_Hạ_Long",
            "paragraphs": [
                {
                    "context": "Vịnh Hạ Long thuộc tỉnh Quảng Ninh, được UNESCO công nhận là di "
                    "sản thiên nhiên thế giới lần đầu vào năm 1994. Vịnh có gần 2.000 hòn đảo "
                    "lớn nhỏ bằng đá vôi.",
                    "qas": [
                        _qa(
                            "hl0a",
                            "Vịnh Hạ Long được UNESCO công nhận lần đầu vào năm nào?",
                            "1994",
                        ),
                        _qa("hl0b", "Vịnh Hạ Long có bao nhiêu hòn đảo?", "gần 2.000", "2.000"),
                    ],
                },
                {
                    "context": "Hang Sửng Sốt là một trong những hang động đẹp nhất trên vịnh, "
                    "nằm trên đảo Bồ Hòn. Khí hậu trên vịnh ôn hoà quanh năm, nên du khách "
                    "thường đi thuyền để tham quan hang.",
                    "qas": [
                        _qa("hl1a", "Hang Sửng Sốt nằm trên đảo nào?", "đảo Bồ Hòn"),
                        _qa("hl1b", "Khí hậu trên vịnh như thế nào?", "ôn hoà quanh năm"),
                    ],
                },
            ],
        },
    ],
}
ENGLISH = {
    "mk0a": "How long is the Mekong River?",
    "ph1a": "Which places are considered the cradle of pho?",
}


@pytest.fixture
def squad_file(tmp_path):
    """A three-article, six-paragraph, twelve-question SQuAD v1.1 file."""
    path = tmp_path / "mini-squad.json"
    path.write_text(json.dumps(SQUAD, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def english_file(tmp_path):
    path = tmp_path / "mini-en.json"
    path.write_text(json.dumps(ENGLISH), "utf-8")
    return path


# question → the short answer the fake answerer gives (None: abstain)
PREDICTIONS: dict[str, str | None] = {
    "Sông Mê Kông dài khoảng bao nhiêu km?": "4.350 km",  # EM 1
    "Sông Mê Kông bắt nguồn từ đâu?": "từ cao nguyên Tây Tạng",  # F1 8/9
    "Vựa lúa lớn nhất Việt Nam là vùng nào?": "Hà Nội",  # F1 0
    "Bao nhiêu người sống ở đồng bằng sông Cửu Long?": None,  # a false abstention
}


@pytest.fixture
def fake_answers(monkeypatch):
    """``Pipeline.ask`` answers from PREDICTIONS (other questions: answered without a short
    answer, as before the answerer fills it); the citations are the real search results and
    the extractive answerer is never called."""

    def ask(self, question, top_k=None, mode=None, llm=None):
        search = self.search(question, top_k, mode)
        citations = [
            Citation(n=r.rank, doc_id=r.doc_id, title=r.title, source=r.source, date=r.date,
                     text=r.text, start=r.start, end=r.end, score=r.score)
            for r in search.results
        ]  # fmt: skip
        text = PREDICTIONS.get(question, "")
        short = None
        if text:
            doc_id = citations[0].doc_id if citations else "?"
            short = ShortAnswer(text=text, n=1, doc_id=doc_id, start=0, end=len(text))
        return Answer(
            question=question,
            answer="Không có trong tài liệu." if text is None else f"Theo tài liệu, {text} [1].",
            abstained=text is None,
            citations=citations,
            short_answer=short,
            backend="fake",
            timings_ms=search.timings_ms,
            mode=search.mode,
            confidence=0.1 if text is None else (0.9 if text else 0.5),
        )

    monkeypatch.setattr(Pipeline, "ask", ask)
