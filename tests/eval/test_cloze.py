import random

from eval.cloze import cloze_questions

TEXT = (
    "Hội nghị Ngoại giao lần thứ 32 diễn ra tại Hà Nội vào năm 2023 với hơn 1.000 đại biểu. "
    "Tổng Bí thư Nguyễn Phú Trọng phát biểu chỉ đạo tại hội nghị."
)


def test_cloze_answers_are_spans_of_the_text_replaced_by_a_question_word():
    made = cloze_questions(TEXT, random.Random(0), per_sentence=4)
    assert len(made) >= 4
    for c in made:
        answer = TEXT[c.start : c.end]
        assert answer and answer == answer.strip()
        assert c.question.endswith("?")
        assert answer not in c.question  # the answer is what the question asks
        assert any(w in c.question.lower() for w in ("bao nhiêu", "nào", "ai", "đâu", "gì"))


def test_numbers_become_bao_nhieu_and_years_nao():
    made = {TEXT[c.start : c.end]: c.question for c in cloze_questions(TEXT, random.Random(1), 9)}
    if "2023" in made:
        assert "năm nào" in made["2023"]
    if "32" in made:
        assert "bao nhiêu" in made["32"]
    assert "2023" in made or "32" in made or "1.000" in made


def test_same_seed_same_questions():
    a = cloze_questions(TEXT, random.Random(3))
    b = cloze_questions(TEXT, random.Random(3))
    assert a == b
