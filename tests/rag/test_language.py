"""Telling Vietnamese, unaccented Vietnamese and English questions apart (rag/language.py)."""

from __future__ import annotations

import pytest

from rag.language import EN, VI, VI_NOACCENT, detect_language, vietnamese_syllable


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?", VI),
        ("Hoi nghi ngoai giao lan thu 32 dien ra ngay nao?", VI_NOACCENT),
        ("When was the 32nd Diplomatic Conference held?", EN),
        ("Which Prime Minister took part in the conference of Võ Văn Thưởng?", EN),
        # few common English words, but words no Vietnamese syllable is spelled like
        ("Who won Super Bowl XLIX?", EN),
        ("Which famous Indian practiced civil disobedience?", EN),
        ("What river runs alongside Jacksonville?", EN),
        # unaccented Vietnamese with foreign names and words that are English words too
        ("Doi nao da thang Super Bowl 50?", VI_NOACCENT),
        ("So nguyen to sinh doi la gi?", VI_NOACCENT),
        ("Co bao nhieu quoc gia co ten chua chu Amazonas?", VI_NOACCENT),
    ],
)
def test_detect_language(question, lang):
    assert detect_language(question) == lang


@pytest.mark.parametrize("word", ["nghiêng", "nguyen", "khuyu", "giu", "quoc", "xoong", "Đông"])
def test_vietnamese_syllables(word):
    assert vietnamese_syllable(word)


@pytest.mark.parametrize("word", ["super", "bowl", "practiced", "who", "river", "XLIX"])
def test_not_vietnamese_syllables(word):
    assert not vietnamese_syllable(word)


_STOP_WORDS_ALONE = """
import sys
from rag.language import english_stop_words
words = english_stop_words()
assert "sklearn" not in sys.modules, "reading the stop words imported scikit-learn"
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
assert words == ENGLISH_STOP_WORDS and "which" in words and "hội" not in words
"""


def test_english_stop_words_are_scikit_learns_without_importing_scikit_learn():
    """Importing scikit-learn's text module loads ~1000 modules (~100 MB in each worker)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _STOP_WORDS_ALONE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
