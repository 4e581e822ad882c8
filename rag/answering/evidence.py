"""Does a sentence hold the kind of thing a question asks for (a date, a number, a name…)?

An entity only counts as evidence when the question does not already contain it: a
sentence that repeats the question's "năm 2023" does not answer "ngày nào?".
"""

from __future__ import annotations

import itertools
import re

from rag.textnorm import fold, normalize_text, strip_diacritics, syllables

_DAY = re.compile(
    r"(?:\bngày\s+)?\b\d{1,2}\s*[/-]\s*\d{1,2}(?:\s*[/-]\s*\d{2,4})?\b|\bngày\s+\d{1,2}\b"
    r"|\bThứ\s+(?:[2-7]|hai|ba|tư|năm|sáu|bảy)\b|\bChủ nhật\b|\bhôm nay\b",
    re.IGNORECASE,
)
# "6 tháng cuối năm 2023", "giai đoạn 2021-2025": answers to "khoảng thời gian nào".
_PERIOD = re.compile(
    r"\b(?:\d{1,2}|sáu|ba)\s+tháng\s+(?:đầu|cuối|giữa)\s+năm\b|\b(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_MONTH = re.compile(r"\btháng\s+\d{1,2}\b", re.IGNORECASE)
_ORDINAL = re.compile(r"\b(?:thứ|khóa|khoá|lần)\s+[\dIVXL]+\b", re.IGNORECASE)
# "năm" is left out: in news text it is nearly always "year", not "five".
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)*\s*%?|\b(?:hai|ba|bốn|sáu|bảy|tám|chín|mười|trăm|nghìn|ngàn|triệu|"
    r"tỷ|tỉ|hàng chục|hàng trăm|hàng nghìn)\b",
    re.IGNORECASE,
)
# A time of day in prose ("8 giờ 30", "8h30", "lúc 14:00"); not a page's publication stamp
# ("14/12/2021 01:30", "19/12/2023 | 15:18:15"), which says when the article was posted.
_TIME = re.compile(
    r"(?<!/\d{4} )(?<!\| )(?<![:\d])\b\d{1,2}\s*(?:giờ|h|:)\s*\d{0,2}\b(?!:\d)", re.IGNORECASE
)
# A page's publication stamp: the answer when the question asks when the article was posted.
_STAMP = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\s*\|?\s*\d{1,2}:\d{2}(?::\d{2})?")
# Folded number words and digits, for "a number of X" checks over folded syllables.
_FOLDED_NUMBER = re.compile(
    r"^(?:\d+(?:[.,]\d+)*%?|hai|ba|bon|sau|bay|tam|chin|muoi|tram|nghin|ngan|trieu|ty|ti)$"
)
_SURNAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Lại|Đôn|"
    "Mai|Trịnh|Hà|Đào|Đoàn|Lương|Tô|Tạ|Chu|Cao|Lâm|Phùng|Quách|Thái|Trương|Vương|Kiều|Lưu|Văn"
)
_CAP = r"[A-ZÀ-ỸĐ][a-zà-ỹđ]+"
# A surname, one to three capitalised syllables, not a place named like a person ("Hà Nội",
# "Thái Bình") nor preceded by a place word ("tỉnh Lâm Đồng").
_PLACE_NAMES = (
    "Hà Nội|Hà Nam|Hà Tĩnh|Hà Giang|Thái Bình|Thái Nguyên|Thái Lan|Cao Bằng|Lâm Đồng|"
    "Phan Thiết|Phú Thọ|Mai Châu|Văn Miếu|Hà Lan|Đồng Nai|Bình Dương"
)
_PERSON = re.compile(
    rf"(?<!tỉnh )(?<!phố )(?<!TP\. )(?<!cầu )\b(?!(?:{_PLACE_NAMES})\b)"
    rf"(?:{_SURNAMES})(?:\s+{_CAP}){{1,3}}\b"
)
# Answers to "ai" that are groups rather than named people ("mỗi người Việt Nam").
_PEOPLE = re.compile(
    r"\b(?:mỗi người|mọi người|người dân|nhân dân|đồng bào|kiều bào|toàn dân|thế hệ trẻ)\b",
    re.IGNORECASE,
)
_PLACE = re.compile(
    rf"\b(?:tại|ở)\s+(?:(?!Hội nghị|Hội thảo|Đại hội|Kỳ họp|Phiên){_CAP}"
    rf"|phòng|nhà|trụ sở|hội trường|điểm cầu|tỉnh|thành phố|thủ đô)"
    rf"|\bphòng họp\b|\bđiểm cầu\b|\bHà Nội\b|\bNhà Quốc hội\b|\btrụ sở\b"
    rf"|\btrong nước\b|\bnước ngoài\b|\btrên thế giới\b|\btrong khu vực\b"
    rf"|\b(?:tỉnh|thành phố|TP\.)\s+{_CAP}",
)


def _dates(text: str, want: str) -> list[str]:
    if want == "year":
        return _YEAR.findall(text)
    days = [m.group() for m in _DAY.finditer(text)]
    if want == "month":
        return _MONTH.findall(text) + days
    if want == "period":
        return [m.group() for m in _PERIOD.finditer(text)] + _MONTH.findall(text) + days
    return days


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
    if qtype == "time":
        return [m.group() for m in _TIME.finditer(text)]
    if qtype == "posted":
        return [m.group() for m in _STAMP.finditer(text)]
    if qtype == "person":
        return _PERSON.findall(text) + _PEOPLE.findall(text)
    if qtype == "place":
        return [m.group() for m in _PLACE.finditer(text)]
    return []


def date_granularity(question: str) -> str:
    folded = fold(question)
    if re.search(r"\b(nam nao|what year|which year|nhung nam nao)\b", folded):
        return "year"
    if re.search(r"\b(thang nao|what month|which month)\b", folded):
        return "month"
    if re.search(r"\b(thoi gian nao|giai doan nao|thoi ky nao|what period|which period)\b", folded):
        return "period"
    return "day"


def answers_type(qtype: str, text: str, question: str) -> bool:
    """True when ``text`` holds an entity of the asked type that the question does not
    already contain (always true for open "other" questions)."""
    if qtype not in ("date", "time", "posted", "number", "person", "place"):
        return True
    asked = fold(question)
    want = date_granularity(question) if qtype == "date" else "day"
    return any(fold(e) not in asked for e in entities(qtype, text, want))


def counts(counted: tuple[str, ...], text: str) -> bool:
    """True when ``text`` gives a number of one of ``counted`` ("hơn 80 điều ước" for
    "bao nhiêu điều ước"): a number at most three syllables before the counted noun."""
    words = [strip_diacritics(w) for w in syllables(text)]
    for noun in counted:
        head = noun.split()
        for i in range(len(words) - len(head) + 1):
            if words[i : i + len(head)] != head:
                continue
            if any(_FOLDED_NUMBER.match(w) for w in words[max(0, i - 3) : i]):
                return True
    return False


def deputy_mismatch(question: str, text: str) -> bool:
    """True when a title the question names ("Chủ tịch UBND") appears in ``text`` only as its
    deputy ("Phó Chủ tịch UBND"): the sentence is about someone else."""
    q = fold(question).split()
    t = f" {fold(text)} "
    for a, b in itertools.pairwise(q):
        phrase = f" {a} {b} "
        if phrase not in t or a == "pho":
            continue
        preceded = [t[: m.start()].split()[-1:] for m in re.finditer(re.escape(phrase), t)]
        asked_deputy = f" pho {a} {b} " in f" {' '.join(q)} "
        if not asked_deputy and all(p == ["pho"] for p in preceded):
            return True
    return False


# What a short answer must be for questions whose grammar fixes its kind: a quantity for
# "bao nhiêu" / "mấy" / "how many", a clock time for "mấy giờ" / "what time"; a question
# matched by neither may be answered by anything. Unaccented "may" is no question word here
# ("máy" is a machine).
_CLOCK_ASKED = re.compile(r"\b(?:mấy giờ|giờ nào|may gio|gio nao|what time)\b")
_QUANTITY_ASKED = re.compile(
    r"\b(?:bao nhiêu|bao nhieu|mấy|how many|how much|what percentage|what proportion)\b"
)
_CLOCK = re.compile(
    r"\b\d{1,2}\s*(?:giờ|h\b|:\d\d|a\.?m\b|p\.?m\b)|\b(?:trưa|nửa đêm|noon|midnight)\b",
    re.IGNORECASE,
)
# A quantity leads its phrase ("308", "bốn lựa chọn", "hơn 80 điều ước", "7.000.000 km²",
# "thứ 3" for "thứ mấy"): words that may stand before it, number words, and scale words.
# "một" / "one" count only before a scale ("một triệu"; alone it is also "a"), "năm" only
# before a word ("năm hoàng tử"; "năm 2015" is a year).
_LEADS = frozenset(
    "hơn khoảng gần trên dưới chừng tới đến chỉ ít nhất tổng cộng cả thứ lần hạng số about "
    "over nearly almost around approximately more than less fewer under up to only some at "
    "least roughly no number".split()
)
_NUMBER_WORDS = frozenset(
    "hai ba bốn sáu bảy tám chín mười mươi lăm hàng vài nửa two three four five six seven "
    "eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen "
    "nineteen twenty thirty forty fifty sixty seventy eighty ninety hundreds thousands "
    "millions billions dozens half several".split()
)
_SCALES = frozenset(
    "chục trăm nghìn ngàn vạn triệu tỷ tỉ nửa phần hundred thousand million billion half "
    "third quarter dozen".split()
)


def asked_kind(question: str) -> str | None:
    """``"clock"`` or ``"quantity"`` when the question word fixes what kind of thing answers
    it, else None."""
    text = normalize_text(question).lower()
    if _CLOCK_ASKED.search(text):
        return "clock"
    if _QUANTITY_ASKED.search(text):
        return "quantity"
    return None


def _leads_with_quantity(words: list[str], named: set[str]) -> bool:
    i = 0
    while i < len(words) - 1 and words[i] in _LEADS:
        i += 1
    word, after = words[i], words[i + 1] if i + 1 < len(words) else ""
    if any(c.isdigit() for c in word):  # not a date ("19/12", "19-12-2023"; "20-18" is a
        # score) nor a number the question names
        date = re.search(r"\d/\d|\d-\d+-\d", word)
        return not date and re.sub(r"\D", "", word) not in named
    if word in ("một", "one"):
        return after in _SCALES
    if word == "năm":
        return bool(after) and not after[0].isdigit()
    return word in _NUMBER_WORDS or word in _SCALES


def of_kind(kind: str, question: str, text: str) -> bool:
    """``text`` (a short answer) is of the ``asked_kind`` of ``question``: for a quantity, it
    leads with one the question does not already name ("lần thứ 32" does not answer "bao
    nhiêu đại biểu dự Hội nghị lần thứ 32")."""
    if kind == "clock":
        return _CLOCK.search(text) is not None
    words = [w.strip(",.;:()\"'“”") for w in normalize_text(text).lower().split()]
    words = [w for w in words if w]
    return bool(words) and _leads_with_quantity(words, set(re.findall(r"\d+", question)))
