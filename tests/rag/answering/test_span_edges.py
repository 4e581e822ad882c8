"""Short-answer edges: whole names; a number keeps its magnitude word, percent sign and unit."""

from __future__ import annotations

import pytest

from rag.answering.span_edges import quantity_end, whole_names
from rag.answering.words import WordTagger
from rag.textnorm import fold

TAGGER = WordTagger()


def _extend(sentence: str, short: str, question: str | None) -> str:
    start = sentence.index(short)
    syllables = None if question is None else fold(question).split()
    end = quantity_end(sentence, start + len(short), TAGGER.words(sentence), syllables)
    return sentence[start:end]


AMAZON = "Mỗi năm Amazon hấp thụ 1,5 tỷ tấn cacbon dioxit."
CLOCK = "Broncos đánh chặn khi còn 17 giây trên đồng hồ."
PANTHERS = "Đội thủ của Panthers chỉ thua 308 điểm, với 24 lần đoạt bóng."
SUMMIT = "Sáng 19/12, Hội nghị ngoại giao lần thứ 32 khai mạc tại Hà Nội."


@pytest.mark.parametrize(
    ("sentence", "short", "question", "expected"),
    [
        # the magnitude word and the unit are kept ...
        (AMAZON, "1,5", "Amazon hấp thụ bao nhiêu cacbon?", "1,5 tỷ tấn"),
        # ... but not a unit the question names, with or without diacritics
        (AMAZON, "1,5", "Có bao nhiêu tấn carbon được hấp thụ?", "1,5 tỷ"),
        (AMAZON, "1,5", "co bao nhieu tan carbon duoc hap thu?", "1,5 tỷ"),
        (CLOCK, "17", "Còn bao nhiêu thời gian trên đồng hồ?", "17 giây"),
        # an English question ("how many seconds") cannot tell: no unit, the magnitude stays
        (CLOCK, "17", None, "17"),
        ("Dự án trị giá 600 tỷ USD.", "600", None, "600 tỷ"),
        ("Tăng trưởng đạt 6,8% năm 2023.", "6,8", "tăng trưởng bao nhiêu?", "6,8%"),
        # "điểm" and "lần" are counted nouns, not units: the number alone answers
        (PANTHERS, "308", "Đội thủ thua bao nhiêu?", "308"),
        (PANTHERS, "24", "Có bao nhiêu?", "24"),
        # spans that do not end in digits are unchanged
        (SUMMIT, "Hà Nội", "Ở đâu?", "Hà Nội"),
        (SUMMIT, "Sáng 19/12", "Khi nào?", "Sáng 19/12"),
    ],
)
def test_quantity_end(sentence, short, question, expected):
    assert _extend(sentence, short, question) == expected


def test_a_span_that_cuts_a_proper_noun_takes_all_of_it():
    sentence = "Đoạn phim do công ty Pittard Sullivan thiết kế."
    words = TAGGER.words(sentence)
    name = next(w for w in words if w.tag == "Np")
    assert name.text == "Pittard Sullivan"
    start = sentence.index("Pittard")
    widened = whole_names(start, start + len("Pittard"), words)
    assert sentence[slice(*widened)] == "Pittard Sullivan"
    inside = sentence.index("Sullivan")
    assert sentence[slice(*whole_names(inside, inside + 3, words))] == "Pittard Sullivan"
    # edges on word boundaries stay
    at = sentence.index("công ty")
    assert whole_names(at, at + len("công ty"), words) == (at, at + len("công ty"))
