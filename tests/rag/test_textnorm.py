"""Vietnamese normalisation: tone placement, diacritics, tokenisation, folding."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.textnorm import NORMALISER_VERSION, fold, normalize_text, strip_diacritics, syllables


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("Uỷ ban", "Ủy ban"),
        ("UỶ BAN", "ỦY BAN"),
        ("hoà bình", "hòa bình"),
        ("Hoà Bình", "Hòa Bình"),
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("thuỷ", "thủy"),
        ("Thuỷ", "Thủy"),
        ("khoẻ", "khỏe"),
        ("KHOẺ", "KHỎE"),
        ("hoá giải", "hóa giải"),
        ("khoá XII", "khóa XII"),
        ("goá", "góa"),
        ("xoà", "xòa"),
        ("hòan thành", "hoàn thành"),  # misplaced mark with a final consonant is fixed too
        ("hùynh", "huỳnh"),
    ],
)
def test_tone_variants_become_traditional(variant: str, canonical: str) -> None:
    assert normalize_text(variant) == canonical
    assert normalize_text(canonical) == canonical
    assert normalize_text(nfd(variant)) == canonical


@pytest.mark.parametrize(
    "word",
    [
        "quý",
        "Quý",
        "QUÝ",
        "quả",
        "quỳnh",
        "Quỳnh",
        "giữ",
        "già",
        "gìn",
        "hoàn",
        "hoạch",
        "khoét",
        "huỳnh",
        "ngoài",
        "khuỷu",
        "thuở",
        "thuyền",
        "mùa",
        "Ủy",
        "hòa",
        "thủy",
        "khỏe",
        "Việt Nam",
        "Đảng",
        "Nguyễn Phú Trọng",
        "2023",
    ],
)
def test_already_canonical_words_unchanged(word: str) -> None:
    assert normalize_text(word) == word


def test_equal_after_normalisation() -> None:
    assert normalize_text("Uỷ ban") == normalize_text("Ủy ban")
    assert normalize_text("hoà bình") == normalize_text("hòa bình")
    assert normalize_text("thuỷ") == normalize_text("thủy")
    assert normalize_text("khoẻ") == normalize_text("khỏe")
    assert normalize_text(nfd("Uỷ ban Đối ngoại")) == "Ủy ban Đối ngoại"


def test_whitespace_variants_become_spaces_keeping_length() -> None:
    text = "a\u00a0b\u202fc\u2009d"
    assert normalize_text(text) == "a b c d"
    assert normalize_text("x\u2028y") == "x\ny"


def test_decomposed_input_is_composed() -> None:
    text = nfd("Hội nghị đối ngoại toàn quốc hoà bình")
    out = normalize_text(text)
    assert out == "Hội nghị đối ngoại toàn quốc hòa bình"
    assert unicodedata.is_normalized("NFC", out)


def test_mark_inside_longer_word_untouched() -> None:
    # Not a Vietnamese syllable: no tone moving.
    assert normalize_text("Samoà") == "Samoà"
    assert normalize_text("hoàx") == "hoàx"


def test_strip_diacritics() -> None:
    assert strip_diacritics("Đồng chí Nguyễn Phú Trọng") == "Dong chi Nguyen Phu Trong"
    assert strip_diacritics("Ủy ban hòa bình khỏe đ Đ") == "Uy ban hoa binh khoe d D"
    text = "Hội nghị Đối ngoại toàn quốc năm 2023 – “thành viên” …"
    assert len(strip_diacritics(text)) == len(text)
    assert strip_diacritics(nfd("Ủy")) == "Uy"


def test_syllables() -> None:
    assert syllables("Hội nghị Ngoại giao lần thứ 32, năm 2023!") == [
        "hội",
        "nghị",
        "ngoại",
        "giao",
        "lần",
        "thứ",
        "32",
        "năm",
        "2023",
    ]
    assert syllables("Uỷ ban HOÀ BÌNH") == ["ủy", "ban", "hòa", "bình"]
    assert syllables("ngày 14/12/2021") == ["ngày", "14", "12", "2021"]
    assert syllables("vắc-xin (COVID-19)") == ["vắc", "xin", "covid", "19"]
    assert syllables(" ,.;") == []


def test_fold() -> None:
    assert fold("  Uỷ   ban\u00a0HOÀ bình\n") == "uy ban hoa binh"
    assert fold("Ủy ban hòa bình") == fold("uy ban hoa binh")
    assert fold("Đảng") == "dang"


def test_version_is_a_string() -> None:
    assert isinstance(NORMALISER_VERSION, str) and NORMALISER_VERSION


_VIET = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
_TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
_VIET_CHARS = sorted({unicodedata.normalize("NFC", v + t) for v in _VIET for t in _TONES})
_ALPHABET = st.sampled_from(
    [*_VIET_CHARS, *"bcdđghklmnpqrstvxyĐQGHT", " ", "\u00a0", ",", ".", "\n", "1", "\u0301"]
)
_viet_text = st.lists(_ALPHABET, max_size=40).map("".join)
_any_text = st.one_of(_viet_text, st.text(max_size=40))


@given(_any_text)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(_any_text)
def test_normalize_preserves_nfc_length(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert len(normalize_text(nfc)) == len(nfc)
    assert len(normalize_text(text)) == len(nfc)
    assert normalize_text(nfd(text)) == normalize_text(nfc)


@given(_any_text)
def test_strip_diacritics_preserves_nfc_length(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert len(strip_diacritics(nfc)) == len(nfc)


@given(_viet_text)
def test_fold_is_stable(text: str) -> None:
    assert fold(fold(text)) == fold(text)
