"""Does a sentence hold the kind of thing a question asks for (a date, a number, a name…)?

An entity only counts as evidence when the question does not already contain it: a
sentence that repeats the question's "năm 2023" does not answer "ngày nào?".
"""

from __future__ import annotations

import re

from rag.textnorm import fold

_DAY = re.compile(
    r"\b\d{1,2}\s*[/-]\s*\d{1,2}(?:\s*[/-]\s*\d{2,4})?\b|\bngày\s+\d{1,2}\b"
    r"|\bThứ\s+(?:[2-7]|hai|ba|tư|năm|sáu|bảy)\b|\bChủ nhật\b|\bhôm nay\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_MONTH = re.compile(r"\btháng\s+\d{1,2}\b", re.IGNORECASE)
_ORDINAL = re.compile(r"\b(?:thứ|khóa|khoá|lần)\s+[\dIVXL]+\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)*\s*%?|\b(?:hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|trăm|nghìn|ngàn|triệu|"
    r"tỷ|tỉ|hàng chục|hàng trăm|hàng nghìn)\b",
    re.IGNORECASE,
)
_SURNAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Lại|Đôn|"
    "Mai|Trịnh|Hà|Đào|Đoàn|Lương|Tô|Tạ|Chu|Cao|Lâm|Phùng|Quách|Thái|Trương|Vương|Kiều|Lưu|Văn"
)
_CAP = r"[A-ZÀ-ỸĐ][a-zà-ỹđ]+"
_PERSON = re.compile(rf"\b(?:{_SURNAMES})(?:\s+{_CAP}){{1,3}}\b")
_PLACE = re.compile(
    rf"\b(?:tại|ở)\s+(?:{_CAP}|phòng|nhà|trụ sở|hội trường|điểm cầu|tỉnh|thành phố|thủ đô)"
    rf"|\bphòng họp\b|\bđiểm cầu\b|\bHà Nội\b|\bNhà Quốc hội\b|\btrụ sở\b"
    rf"|\b(?:tỉnh|thành phố|TP\.)\s+{_CAP}",
)


def _dates(text: str, want: str) -> list[str]:
    if want == "year":
        return _YEAR.findall(text)
    if want == "month":
        return _MONTH.findall(text) + _DAY.findall(text)
    return [m.group() for m in _DAY.finditer(text)]


def _numbers(text: str) -> list[str]:
    blanked = text
    for pattern in (_DAY, _ORDINAL, _YEAR):  # dates, ordinals and years are not counts
        blanked = pattern.sub(lambda m: " " * len(m.group()), blanked)
    return [m.group().strip() for m in _NUMBER.finditer(blanked)]


def entities(qtype: str, text: str, want: str = "day") -> list[str]:
    """Strings in ``text`` that look like an answer of type ``qtype``."""
    if qtype == "date":
        return _dates(text, want)
    if qtype == "number":
        return _numbers(text)
    if qtype == "person":
        return _PERSON.findall(text)
    if qtype == "place":
        return [m.group() for m in _PLACE.finditer(text)]
    return []


def date_granularity(question: str) -> str:
    folded = fold(question)
    if re.search(r"\b(nam nao|what year|which year|nhung nam nao)\b", folded):
        return "year"
    if re.search(r"\b(thang nao|what month|which month)\b", folded):
        return "month"
    return "day"


def answers_type(qtype: str, text: str, question: str) -> bool:
    """True when ``text`` holds an entity of the asked type that the question does not
    already contain (always true for open "other" questions)."""
    if qtype not in ("date", "number", "person", "place"):
        return True
    asked = fold(question)
    want = date_granularity(question) if qtype == "date" else "day"
    return any(fold(e) not in asked for e in entities(qtype, text, want))
