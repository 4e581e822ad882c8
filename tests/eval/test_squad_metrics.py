"""SQuAD answer-span metrics on hand-made Vietnamese strings."""

from __future__ import annotations

import unicodedata

import pytest

from eval.metrics.squad import (
    answer_tokens,
    contains_answer,
    exact_match,
    f1_score,
    normalize_answer,
    squad_scores,
)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Hà Nội, Việt Nam!", "hà nội việt nam"),
        ("«Đổi Mới»", "đổi mới"),
        ("“Chiến tranh — hoà bình”…", "chiến tranh hòa bình"),
        ("  Thủ   đô\nHà Nội. ", "thủ đô hà nội"),
        ("14/12/2021", "14122021"),  # punctuation is removed, not replaced by a space
        ("Sky (Vương quốc Anh)", "sky vương quốc anh"),
        ("$5 + 3", "$5 + 3"),  # symbols (S*) are not punctuation (P*)
        ("ĐẠI HỘI Đảng", "đại hội đảng"),
    ],
)
def test_normalize_answer(text, normalised):
    assert normalize_answer(text) == normalised


def test_decomposed_and_old_style_tone_marks_compare_equal():
    nfd = unicodedata.normalize("NFD", "Hoà Bình")
    assert nfd != "Hòa Bình"
    assert normalize_answer(nfd) == normalize_answer("Hòa Bình") == "hòa bình"
    assert exact_match("hòa bình", [nfd]) == 1.0


def test_diacritics_are_kept():
    assert normalize_answer("Ha Noi") != normalize_answer("Hà Nội")
    assert exact_match("Ha Noi", ["Hà Nội"]) == 0.0
    assert f1_score("Ha Noi", ["Hà Nội"]) == 0.0


def test_exact_match_is_the_max_over_golds():
    golds = ["Thủ đô Hà Nội", "Hà Nội."]
    assert exact_match("hà nội", golds) == 1.0
    assert exact_match("thành phố Hà Nội", golds) == 0.0
    assert exact_match(None, golds) == 0.0
    assert exact_match("Hà Nội", []) == 0.0


def test_f1_is_token_overlap_and_the_max_over_golds():
    # prediction 4 tokens, gold 2, overlap 2: P 0.5, R 1 → 2/3
    assert f1_score("thành phố Hà Nội", ["Hà Nội"]) == pytest.approx(2 / 3)
    assert f1_score("thành phố Hà Nội", ["Hà Nội", "Thành phố Hà Nội!"]) == 1.0
    # bag of tokens: a repeated token only counts as often as the gold has it
    assert f1_score("năm năm", ["năm"]) == pytest.approx(2 / 3)
    assert f1_score("Sài Gòn", ["Hà Nội"]) == 0.0
    assert f1_score(None, ["Hà Nội"]) == 0.0
    assert f1_score("", ["Hà Nội"]) == 0.0


def test_squad_scores_bundle_both():
    assert squad_scores("từ cao nguyên Tây Tạng", ["cao nguyên Tây Tạng"]) == {
        "exact_match": 0.0,
        "f1": pytest.approx(8 / 9),
    }
    assert squad_scores(None, ["x"]) == {"exact_match": 0.0, "f1": 0.0}


def test_contains_answer_needs_whole_tokens():
    assert contains_answer("Thủ đô của Việt Nam là Hà Nội.", ["hà nội"])
    assert contains_answer("Thủ đô là Hà Nội", ["Sài Gòn", "Hà Nội"])
    assert not contains_answer("Sự kiện năm 2019", ["9"])
    assert not contains_answer("Hà Nội", ["Hà Nội và Huế"])
    assert not contains_answer(None, ["Hà Nội"])
    assert not contains_answer("Hà Nội", ["..."])  # a gold of punctuation only never matches


def test_answer_tokens():
    assert answer_tokens("Phở bò, tái-chín.") == ["phở", "bò", "táichín"]
