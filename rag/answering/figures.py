"""Normalised figures (dates, numbers, years) in Vietnamese or English text.

``extract`` reads every date and number of a text into a ``Figure``; ``supported`` says
whether an answer's figure is backed by some figure of the evidence:

* dates are ``(year, month, day)`` with unstated parts ``None``: ``19/12/2023``,
  ``19-12-2023``, ``19.12.2023``, ``2023-12-19``, ``ngày 19 tháng 12 năm 2023``,
  ``19 tháng 12``, ``tháng 12/2023``, ``December 19, 2023``, ``19 December 2023``,
  ``Dec 19``, ``December 2023``, ``19/12`` (day first: the Vietnamese convention), and a
  year alone (``2023``, ``năm 2023``). An answer's date is supported when one evidence date
  agrees on every part the answer states and the evidence states (a year the matching
  evidence date leaves out must occur elsewhere in the evidence as a year);
* numbers are a value plus an optional unit and qualifier: ``600 tỷ USD`` =
  ``600 billion USD`` = ``600,000,000,000 USD``; ``1.200`` = ``1,200`` = 1200 (a group of
  exactly three digits after the separators is thousands), ``2,5 triệu`` = ``2.5 million``;
  ``15%`` = ``15 phần trăm`` = ``15 percent``; ordinals (``lần thứ 32``, ``32nd``) are
  the number. Qualifiers (``hơn``/``more than`` → ``more``, ``gần``/``nearly`` → ``near``,
  ``khoảng``/``about`` → ``about``) must agree, or be absent from the answer. Units must
  agree when both sides state one. A bare number is also supported by a part of an
  evidence date ("ngày 19" by "19/12/2023"), and, in the evidence only, by a small count
  written as a word ("3" by "ba", "three") or by a Roman numeral, as Vietnamese writes the
  numbers of congresses and terms ("13th" by "Đại hội XIII", "12th" by "khóa XII"). A
  four-digit year-like number followed by a unit or scale word ("2000 USD") is a number,
  not a year.

Matching is on accent-stripped text, so "ty"/"tỷ" and "thang"/"tháng" are the same word.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.textnorm import normalize_text, strip_diacritics

REL_TOL = 1e-9

_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_D = r"(\d{1,2})"
_Y = r"(\d{4})"
_B = r"(?<![\w.,])"  # no digit, letter or separator right before
_E = r"(?![\w]|[.,]\d)"  # nor right after

_QUALIFIERS = {
    "hon": "more",
    "tren": "more",
    "more than": "more",
    "over": "more",
    "gan": "near",
    "nearly": "near",
    "almost": "near",
    "khoang": "about",
    "about": "about",
    "around": "about",
    "approximately": "about",
}
_SCALES = {
    "nghin": 1e3,
    "ngan": 1e3,
    "trieu": 1e6,
    "ty": 1e9,
    "ti": 1e9,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
}
_UNITS = {
    "%": "%",
    "phan tram": "%",
    "percent": "%",
    "per cent": "%",
    "usd": "usd",
    "us dollars": "usd",
    "dollars": "usd",
    "dollar": "usd",
    "do la my": "usd",
    "do la": "usd",
    "vnd": "vnd",
    "dong": "vnd",
    "eur": "eur",
    "euro": "eur",
    "euros": "eur",
}


def is_month(word: str) -> bool:
    """Whether ``word`` is an English month name or abbreviation ("December", "Dec.")."""
    return word.lower().rstrip(".") in _MONTHS


def _alt(words: Iterable[str]) -> str:
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
    )


_AMOUNT = r"\s*(?:%|\b(?:" + _alt([*_SCALES, *_UNITS]) + r")\b)"
# (pattern, group numbers of year, month, day; 0 = not stated)
_DATES: tuple[tuple[re.Pattern[str], tuple[int, int, int]], ...] = tuple(
    (re.compile(p, re.IGNORECASE), g)
    for p, g in (
        (_B + _D + r"\s*([/.-])\s*" + _D + r"\s*\2\s*" + _Y + _E, (4, 3, 1)),
        (_B + _Y + r"([/-])" + _D + r"\2" + _D + _E, (1, 3, 4)),
        (
            _B + _D + r"\s+thang\s+" + _D + r"(?:\s*(?:,\s*)?(?:nam\s+|/\s*)" + _Y + ")?" + _E,
            (3, 2, 1),
        ),
        (r"\bthang\s+" + _D + r"(?:\s*(?:,\s*)?(?:nam\s+|/\s*)" + _Y + ")?" + _E, (2, 1, 0)),
        (r"\b" + _MONTH + r"\s+" + _D + r"(?:st|nd|rd|th)?(?:\s*,?\s*" + _Y + ")?" + _E, (3, 1, 2)),
        (
            _B + _D + r"(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:\s*,?\s*" + _Y + ")?" + _E,
            (3, 2, 1),
        ),
        (r"\b" + _MONTH + r"\s*,?\s+" + _Y + _E, (2, 1, 0)),
        (_B + _D + r"\s*[/-]\s*" + _D + _E, (0, 2, 1)),
        (_B + r"((?:1[89]|20)\d\d)" + _E + "(?!" + _AMOUNT + ")", (1, 0, 0)),
    )
)

_NUMBER = re.compile(
    r"(?:\b(" + _alt(_QUALIFIERS) + r")\s+)?"
    r"(\$\s*)?"
    r"(?<![\d.,])(\d+(?:[.,]\d+)*)(?:st|nd|rd|th)?"
    r"((?:\s*\b(?:" + _alt(_SCALES) + r")\b)*)"
    r"(?:\s*(%|\b(?:" + _alt(k for k in _UNITS if k != "%") + r")\b))?",
    re.IGNORECASE,
)
_SCALE_WORD = re.compile(r"\b(?:" + _alt(_SCALES) + r")\b", re.IGNORECASE)


# Small counts written as words, read in the evidence only (an answer's "one of them" is no
# claim to check). Accents are kept: "ba" is three, "bà" is not; "năm" (five / year) is left
# out as too ambiguous.
_COUNT_WORDS = {
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_COUNT_WORD = re.compile(r"(?<!\w)(" + _alt(_COUNT_WORDS) + r")(?!\w)", re.IGNORECASE)


# Roman numerals up to 399 in capitals: two letters or more stand alone ("XIII", "XII"); one
# letter only after a word that numbers ("khóa V", "lần thứ X", "Đại hội X"), since a lone
# "V" or "X" is as often a name or a letter. Read in the evidence only, as count words are.
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_ROMAN = r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_ROMAN_NUMERAL = re.compile(
    r"(?<!\w)(?:(?=[IVXLC]{2,}(?!\w))" + _ROMAN
    + r"|(?:(?<=khoa )|(?<=thu )|(?<=hoi )|(?<=ky ))[IVXLC])(?!\w)"
)  # fmt: skip


def roman_value(numeral: str) -> int:
    """The value of a well-formed Roman numeral ("XIII" → 13, "XIX" → 19)."""
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0], strict=True))


@dataclass(frozen=True)
class Figure:
    """A date (``date`` set) or a number (``value`` set) as written in ``text``."""

    text: str
    date: tuple[int | None, int | None, int | None] | None = None
    value: float | None = None
    unit: str | None = None
    qualifier: str | None = None


def parse_number(digits: str) -> float | None:
    """``1.200`` / ``1,200`` → 1200, ``2,5`` / ``2.5`` → 2.5, ``1.200,5`` → 1200.5; ``None``
    for what is no number (``1.2.3``)."""
    groups = re.split(r"[.,]", digits)
    seps = re.findall(r"[.,]", digits)
    if not seps:
        return float(digits)
    thousands = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if thousands and len(set(seps)) == 1:
        return float("".join(groups))
    if len(seps) == 1:
        return float(f"{groups[0]}.{groups[1]}")
    if seps[-1] not in seps[:-1] and len(set(seps[:-1])) == 1:
        head = groups[:-1]
        if len(head[0]) <= 3 and all(len(g) == 3 for g in head[1:]):
            return float(f"{''.join(head)}.{groups[-1]}")
    return None


def _valid(y: int | None, m: int | None, d: int | None) -> bool:
    return (m is None or 1 <= m <= 12) and (d is None or 1 <= d <= 31)


def extract(text: str, *, count_words: bool = False) -> list[Figure]:
    """Every date and number of ``text``, in no particular order; with ``count_words``
    also small counts written as words ("ba", "three") and Roman numerals ("XIII")."""
    original = normalize_text(text)
    plain = strip_diacritics(original)  # same length: spans index ``original``
    figures: list[Figure] = []
    taken = [False] * len(plain)
    for pattern, (gy, gm, gd) in _DATES:
        for m in pattern.finditer(plain):
            if any(taken[m.start() : m.end()]):
                continue
            y = int(m.group(gy)) if gy and m.group(gy) else None
            month_text = m.group(gm) if gm else None
            mo = None
            if month_text:
                mo = int(month_text) if month_text.isdigit() else _MONTHS[month_text.lower()]
            d = int(m.group(gd)) if gd and m.group(gd) else None
            if not _valid(y, mo, d):
                continue
            figures.append(Figure(original[m.start() : m.end()], date=(y, mo, d)))
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
    for m in _NUMBER.finditer(plain):
        start = m.start(3)
        if any(taken[start : m.end(3)]):
            continue
        value = parse_number(m.group(3))
        if value is None:
            figures.append(Figure(original[start : m.end(3)]))
            continue
        for word in _SCALE_WORD.findall(m.group(4) or ""):
            value *= _SCALES[" ".join(word.lower().split())]
        unit_text = m.group(5)
        unit = _UNITS[" ".join(unit_text.lower().split())] if unit_text else None
        if m.group(2):
            unit = "usd"
        qualifier = _QUALIFIERS[" ".join(m.group(1).lower().split())] if m.group(1) else None
        figures.append(
            Figure(
                original[m.start() : m.end()].strip(), value=value, unit=unit, qualifier=qualifier
            )
        )
    if count_words:
        for m in _COUNT_WORD.finditer(original):
            figures.append(Figure(m.group(), value=float(_COUNT_WORDS[m.group().lower()])))
        for m in _ROMAN_NUMERAL.finditer(plain):
            if m.group():
                figures.append(
                    Figure(original[m.start() : m.end()], value=float(roman_value(m.group())))
                )
    return figures


# An English answer restates a Vietnamese count in words ("sáu lần" → "six times", "hai đội"
# → "two teams"): such a count, two to ten, is a figure the answer claims. "one" is left out
# ("one of the pillars" states no count), and so are Vietnamese words ("tư" is also the
# second syllable of "đầu tư", investment; a Vietnamese reply copies the evidence's words).
_CLAIMED_COUNT = re.compile(
    r"(?<!\w)(" + _alt("two three four five six seven eight nine ten".split()) + r")(?!\w)",
    re.IGNORECASE,
)


def claimed(text: str) -> list[Figure]:
    """The figures an answer states: ``extract(text)`` and English counts from two to ten
    written as words ("six Grammy awards")."""
    found = extract(text)
    for m in _CLAIMED_COUNT.finditer(text):
        found.append(Figure(m.group(), value=float(_COUNT_WORDS[m.group().lower()])))
    return found


def _years(evidence: list[Figure]) -> set[int]:
    out = {f.date[0] for f in evidence if f.date is not None and f.date[0] is not None}
    out |= {
        int(f.value)
        for f in evidence
        if f.value is not None and f.unit is None and f.value.is_integer()
    }
    return out


def _date_supported(
    date: tuple[int | None, int | None, int | None], evidence: list[Figure]
) -> bool:
    y, m, d = date
    if m is None and d is None:
        return y is not None and y in _years(evidence)
    for f in evidence:
        if f.date is None:
            continue
        ey, em, ed = f.date
        if (m is not None and em != m) or (d is not None and ed != d):
            continue
        if (m is not None and em is None) or (d is not None and ed is None):
            continue
        if y is None or ey == y or (ey is None and y in _years(evidence)):
            return True
    return False


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


def supported(figure: Figure, evidence: list[Figure]) -> bool:
    """Whether ``figure`` (from an answer) is backed by some figure of ``evidence``."""
    if figure.date is not None:
        return _date_supported(figure.date, evidence)
    if figure.value is None:  # not a number: only the same digits back it
        digits = re.sub(r"\D", "", figure.text)
        return any(
            re.sub(r"\D", "", f.text) == digits
            for f in evidence
            if f.value is None and f.date is None
        )
    value = figure.value
    for f in evidence:
        if f.value is not None:
            if not _close(f.value, value):
                continue
            if figure.unit and f.unit and figure.unit != f.unit:
                continue
            if figure.qualifier and figure.qualifier != f.qualifier:
                continue
            return True
        elif (
            f.date is not None
            and figure.unit is None
            and figure.qualifier is None
            and any(part is not None and _close(part, value) for part in f.date)
        ):
            return True
    return False


def unsupported(claims: str, evidence: str) -> list[str]:
    """The figures of ``claims`` (as written) that no figure of ``evidence`` backs."""
    known = extract(evidence, count_words=True)
    return [f.text for f in claimed(claims) if not supported(f, known)]
