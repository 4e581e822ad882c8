"""What a question asks for: its language, its expected answer type and its content terms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.textnorm import fold, strip_diacritics, syllables

_EN_WORDS = frozenset(
    "the a an of in on at to for and or is was were are did does do what which who whom whose "
    "when where how many much why with by from about conference national vietnam meeting "
    "held chaired attended".split()
)
# Folded Vietnamese function and question words: they carry no content to match.
_VI_STOP = frozenset(
    """ai la gi nao the nao sao bao nhieu may khi nao ngay nao o dau tai dau dau co cua va
    cac nhung mot duoc da se dang voi cho trong tren ve tu den nay do thi ma hay hoac
    nguoi nam thang lan thu bao gio khong chua roi vay a nhi nhe theo nhu""".split()
)
_EN_STOP = _EN_WORDS - {"conference", "national", "vietnam", "meeting", "held", "chaired",
                        "attended"}  # fmt: skip

# Patterns over the folded question (lowercase, no diacritics).
_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(khi nao|ngay nao|ngay may|bao gio|thoi gian nao|luc nao|thu may|"
                        r"nam nao|thang nao|when|what date|which date|what day|which day|"
                        r"what year|which year)\b")),
    ("number", re.compile(r"\b(bao nhieu|may|so luong|how many|how much|what number|"
                          r"what percentage)\b")),
    ("person", re.compile(r"\b(ai|nguoi nao|dong chi nao|vi nao|who|whom|whose|which leader|"
                          r"which official)\b")),
    ("place", re.compile(r"\b(o dau|tai dau|dia diem nao|noi nao|dia diem|o tinh nao|"
                         r"thanh pho nao|where|which city|which province|what venue|"
                         r"which venue|venue)\b")),
)  # fmt: skip


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    lang: str  # "vi", "vi-noaccent" or "en"
    qtype: str  # "date", "number", "person", "place" or "other"
    terms: tuple[str, ...]  # folded content syllables


def analyse(question: str) -> QuestionInfo:
    lang = language(question)
    folded = fold(question)
    qtype = "other"
    for name, pattern in _TYPES:
        if pattern.search(folded):
            qtype = name
            break
    stop = _EN_STOP if lang == "en" else _VI_STOP
    terms = tuple(t for t in (strip_diacritics(s) for s in syllables(question)) if t not in stop)
    return QuestionInfo(question, lang, qtype, terms)


def language(question: str) -> str:
    if strip_diacritics(question) != question:
        return "vi"
    words = [w for w in syllables(question) if w.isalpha()]
    if not words:
        return "vi-noaccent"
    english = sum(w in _EN_WORDS for w in words) / len(words)
    return "en" if english >= 0.2 else "vi-noaccent"
