"""Short-answer edges: whole names; a number keeps its magnitude word, percent sign and unit."""

from __future__ import annotations

from rag.answering.span_edges import quantity_end, whole_names
from rag.answering.words import WordTagger
from rag.textnorm import fold

TAGGER = WordTagger()


def _extend(sentence: str, short: str, question: str | None) -> str:
    start = sentence.index(short)
    syllables = None if question is None else fold(question).split()
    end = quantity_end(sentence, start + len(short), TAGGER.words(sentence), syllables)
    return sentence[start:end]


def test_magnitude_word_and_unit_are_kept():
    sentence = "Mỗi năm Amazon hấp thụ 1,5 tỷ tấn cacbon dioxit."
    assert _extend(sentence, "1,5", "Amazon hấp thụ bao nhiêu cacbon?") == "1,5 tỷ tấn"


def test_unit_the_question_names_is_left_out():
    sentence = "Mỗi năm Amazon hấp thụ 1,5 tỷ tấn cacbon dioxit."
    assert _extend(sentence, "1,5", "Có bao nhiêu tấn carbon được hấp thụ?") == "1,5 tỷ"
    assert _extend(sentence, "1,5", "co bao nhieu tan carbon duoc hap thu?") == "1,5 tỷ"


def test_a_unit_is_added_for_an_english_question_only_when_told_the_question_syllables():
    sentence = "Broncos đánh chặn khi còn 17 giây trên đồng hồ."
    assert _extend(sentence, "17", "Còn bao nhiêu thời gian trên đồng hồ?") == "17 giây"
    assert _extend(sentence, "17", None) == "17"  # "how many seconds": cannot tell, no unit
    assert _extend("Dự án trị giá 600 tỷ USD.", "600", None) == "600 tỷ"


def test_percent_sign_and_nouns_that_are_no_units():
    assert _extend("Tăng trưởng đạt 6,8% năm 2023.", "6,8", "tăng trưởng bao nhiêu?") == "6,8%"
    # "điểm" and "lần" are counted nouns, not units: the number alone answers "bao nhiêu"
    sentence = "Đội thủ của Panthers chỉ thua 308 điểm, với 24 lần đoạt bóng."
    assert _extend(sentence, "308", "Đội thủ thua bao nhiêu?") == "308"
    assert _extend(sentence, "24", "Có bao nhiêu?") == "24"


def test_spans_that_do_not_end_in_digits_are_unchanged():
    sentence = "Sáng 19/12, Hội nghị ngoại giao lần thứ 32 khai mạc tại Hà Nội."
    assert _extend(sentence, "Hà Nội", "Ở đâu?") == "Hà Nội"
    assert _extend(sentence, "Sáng 19/12", "Khi nào?") == "Sáng 19/12"


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
