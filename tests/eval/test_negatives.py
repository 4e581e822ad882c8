"""On-topic unanswerable questions: an article indexed without its answer sentences."""

from __future__ import annotations

import json

from eval.negatives import without_answers
from eval.squad import load_squad, paragraph_documents
from rag.textnorm import fold


def _qa(qid: str, question: str, answer: str) -> dict[str, object]:
    return {"id": qid, "question": question, "answers": [{"text": answer, "answer_start": 0}]}


def _file(tmp_path):
    data = {
        "version": "1.1",
        "data": [
            {
                "title": "Vịnh_Hạ_Long",
                "paragraphs": [
                    {
                        "context": "Vịnh Hạ Long được UNESCO công nhận vào năm 1994. Vịnh có "
                        "gần 2.000 hòn đảo đá vôi. Du khách thường đi thuyền quanh vịnh.",
                        "qas": [
                            _qa("hl0", "Vịnh Hạ Long được công nhận năm nào?", "1994"),
                            _qa("hl1", "Vịnh có bao nhiêu hòn đảo?", "gần 2.000"),
                        ],
                    },
                    {
                        "context": "Hang Sửng Sốt nằm trên đảo Bồ Hòn. Năm 1994 là năm được "
                        "nhắc lại ở đây.",
                        "qas": [_qa("hl2", "Hang Sửng Sốt nằm trên đảo nào?", "đảo Bồ Hòn")],
                    },
                ],
            },
            {
                "title": "Phở",
                "paragraphs": [
                    {
                        "context": "Nam Định và Hà Nội được xem là cái nôi của phở.",
                        "qas": [_qa("ph0", "Nơi nào là cái nôi của phở?", "Nam Định và Hà Nội")],
                    }
                ],
            },
        ],
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return load_squad(path)


def test_the_articles_lose_their_answer_sentences_and_keep_the_rest(tmp_path):
    data = _file(tmp_path)
    docs = paragraph_documents(data)
    cut, answerable = without_answers(data, docs, {"Vịnh_Hạ_Long"})
    texts = [fold(d.text) for d in cut]
    # the boat sentence holds no answer: the article stays in the index, on topic
    assert "du khach thuong di thuyen quanh vinh." in texts
    assert not any("2.000" in t or "bo hon" in t for t in texts)
    assert answerable == {"hl1": False, "hl2": False, "ph0": True}  # hl0: 1994 is still there
    assert cut[-1] == docs[-1]  # other articles untouched


def test_a_paragraph_left_without_sentences_is_dropped(tmp_path):
    data = _file(tmp_path)
    docs = paragraph_documents(data)
    cut, answerable = without_answers(data, docs, {"Phở"})
    assert [d.doc_id for d in cut] == [d.doc_id for d in docs[:2]]
    assert answerable == {"hl0": True, "hl1": True, "hl2": True, "ph0": False}
