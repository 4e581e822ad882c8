import random

from eval.reader_training import Example, in_window, squad_examples

CONTEXT = (
    "Câu thứ nhất nói về lịch sử của thành phố này. Câu thứ hai nói về dân số của thành phố. "
    "Thành phố có 1,2 triệu dân vào năm 2020 theo thống kê. Câu thứ tư nói về khí hậu nơi đây. "
    "Câu thứ năm nói về kinh tế của vùng. Câu thứ sáu nói về giao thông của vùng."
)
SQUAD = {
    "data": [
        {
            "title": "Thành phố",
            "paragraphs": [
                {
                    "context": CONTEXT,
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Thành phố có bao nhiêu dân?",
                            "answers": [
                                {"text": "1,2 triệu", "answer_start": CONTEXT.index("1,2 triệu")}
                            ],
                        }
                    ],
                }
            ],
        }
    ]
}


def test_examples_in_both_languages_keep_the_gold_offsets():
    out = squad_examples(SQUAD["data"], [0], {"q1": "How many people live in the city?"})
    assert set(out) == {"first", "second"}
    for group in out.values():
        (ex,) = group
        assert ex.context[ex.start : ex.end] == "1,2 triệu"


def test_windows_are_three_sentences_holding_the_answer():
    (ex,) = squad_examples(SQUAD["data"], [0], None)["first"]
    for seed in range(10):
        cut = in_window(ex, random.Random(seed))
        assert cut.context[cut.start : cut.end] == "1,2 triệu"
        assert len(cut.context) < len(CONTEXT)
        assert cut.context in CONTEXT


def test_an_answer_longer_than_a_window_keeps_the_whole_context():
    ex = Example("q", CONTEXT, 10, CONTEXT.index("kinh tế"), ("x",), "first")
    assert in_window(ex, random.Random(0)).context == CONTEXT
