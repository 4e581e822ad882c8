"""What a question asks for: its language, its expected answer type and its content terms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.language import detect_language
from rag.lexicon import translate_terms
from rag.textnorm import fold, strip_diacritics, syllables

# Folded Vietnamese function and question words: they carry no content to match.
_VI_STOP = frozenset(
    """ai la gi nao the nao sao bao nhieu may khi nao ngay nao o dau tai dau dau co cua va
    cac nhung mot duoc da se dang voi cho trong tren ve tu den nay do thi ma hay hoac
    nguoi nam thang lan thu bao gio khong chua roi vay a nhi nhe theo nhu""".split()
)
# Patterns over the folded question (lowercase, no diacritics).
_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(khi nao|ngay nao|ngay may|bao gio|thoi gian nao|luc nao|thu may|"
                        r"nam nao|thang nao|when|what date|which date|what day|which day|"
                        r"what year|which year)\b")),
    ("number", re.compile(r"\b(bao nhieu|may|so luong|how many|how much|what number|"
                          r"what percentage)\b")),
    ("person", re.compile(r"\b(ai|nguoi nao|dong chi nao|vi nao|who|whom|whose|"
                          r"(bi thu|chu tich|pho chu tich|bo truong|thu truong|thu tuong|"
                          r"lanh dao|truong ban|chu nhiem|dai su|tac gia)( [a-z]+){0,3} nao|"
                          r"which (\w+ ){0,2}(leader|official|minister|president|secretary|"
                          r"chairman|chairwoman|ambassador|head|author|deputy))\b")),
    ("place", re.compile(r"\b(o dau|tai dau|dia diem nao|noi nao|dia diem|o tinh nao|"
                         r"thanh pho nao|where|which city|which province|what venue|"
                         r"which venue|venue)\b")),
)  # fmt: skip


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    lang: str  # "vi", "vi-noaccent" or "en"
    qtype: str  # "date", "number", "person", "place" or "other"
    terms: tuple[tuple[str, ...], ...]
    """Content terms, accent-folded; each term lists its alternative renderings (English
    questions are rendered in Vietnamese through the domain lexicon)."""
    numbers: tuple[str, ...] = ()
    """Numbers the question names ("lần thứ 32", "32nd", "2021"): a passage that lacks one of
    them is about something else."""


def analyse(question: str) -> QuestionInfo:
    lang = detect_language(question)
    folded = fold(question)
    qtype = "other"
    for name, pattern in _TYPES:
        if pattern.search(folded):
            qtype = name
            break
    if lang == "en":
        terms = tuple(translate_terms(question))
    else:
        plain = (strip_diacritics(s) for s in syllables(question))
        terms = tuple((t,) for t in plain if t not in _VI_STOP)
    numbers = tuple(dict.fromkeys(_NUMBER.findall(question)))
    return QuestionInfo(question, lang, qtype, terms, numbers)


_NUMBER = re.compile(r"(?<![\w/.-])(\d+)(?:st|nd|rd|th)?(?![\w/])")
