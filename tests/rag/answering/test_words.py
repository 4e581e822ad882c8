"""Words with POS tags and exact document offsets (underthesea, offline)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answering.words import WordTagger

TAGGER = WordTagger()


def test_words_keep_offsets_and_tags():
    text = "Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng dự Hội nghị tại Hà Nội."
    words = TAGGER.words(text, offset=100)
    for w in words:
        assert text[w.start - 100 : w.end - 100] == w.text
    texts = [w.text for w in words]
    assert "19/12" in texts
    assert "Hà Nội" in texts
    assert next(w for w in words if w.text == "Hà Nội").tag == "Np"
    assert next(w for w in words if w.text == "19/12").tag == "M"


def test_punctuation_glued_to_a_word_is_its_own_word():
    text = "Ai đã bị húc “lượt chơi thứ 3”? Newton đã bị húc."
    words = TAGGER.words(text)
    assert "Newton" in [w.text for w in words]
    assert all(not (w.text.startswith("?") and len(w.text) > 1) for w in words)
    assert [w.text for w in words if w.is_punct][:2] == ["“", "”"]


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="aàáạăâbcdđeêghiklmnoôơpqrstuưvxyỳ 0123456789,.;:!?()“”-/%", max_size=80))
def test_offsets_always_point_at_the_word(text):
    for w in TAGGER.words(text, offset=7):
        assert text[w.start - 7 : w.end - 7] == w.text
        assert w.text.strip() == w.text and w.text
