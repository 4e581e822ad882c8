"""Does a sentence hold the kind of thing a question asks for (a date, a number, a name…)?"""

from __future__ import annotations

import re

_DATE = re.compile(
    r"\b\d{1,2}\s*[/-]\s*\d{1,2}(?:\s*[/-]\s*\d{2,4})?\b|\b(?:ngày|tháng)\s+\d{1,2}\b"
    r"|\bnăm\s+\d{4}\b|\bThứ\s+(?:[2-7]|hai|ba|tư|năm|sáu|bảy)\b|\bChủ nhật\b"
    r"|\b(?:sáng|chiều|tối|trưa)\s+(?:nay|qua|\d{1,2}/\d{1,2})",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)*\b|\b(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|trăm|nghìn|ngàn|"
    r"triệu|tỷ)\b",
    re.IGNORECASE,
)
_SURNAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Lại|Đôn|"
    "Mai|Trịnh|Hà|Đào|Đoàn|Lương|Tô|Tạ|Chu|Cao|Lâm|Phùng|Quách|Thái|Trương|Vương|Kiều|Lưu"
)
_CAP = r"[A-ZÀ-ỸĐ][a-zà-ỹđ]+"
_PERSON = re.compile(rf"\b(?:{_SURNAMES})(?:\s+{_CAP}){{1,3}}\b")
_PLACE = re.compile(
    rf"\b(?:tại|ở)\s+(?:{_CAP}|phòng|nhà|trụ sở|hội trường|điểm cầu|tỉnh|thành phố|thủ đô)"
    rf"|\bphòng họp\b|\bđiểm cầu\b|\bHà Nội\b|\bNhà Quốc hội\b|\btrụ sở\b"
    rf"|\b(?:tỉnh|thành phố|TP\.)\s+{_CAP}",
)
_PATTERNS = {"date": _DATE, "number": _NUMBER, "person": _PERSON, "place": _PLACE}


def spans(qtype: str, text: str) -> list[tuple[int, int]]:
    """Character spans in ``text`` that look like an answer of type ``qtype``."""
    pattern = _PATTERNS.get(qtype)
    if pattern is None:
        return []
    return [m.span() for m in pattern.finditer(text)]


def has_answer_type(qtype: str, text: str) -> bool:
    """True when ``text`` contains something of the asked type (always true for "other")."""
    return qtype not in _PATTERNS or bool(spans(qtype, text))
