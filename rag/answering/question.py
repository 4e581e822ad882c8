"""What a question asks for: its language, its expected answer type and its content terms."""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from rag.language import detect_language
from rag.lexicon import lexicon, translate_terms
from rag.textnorm import fold, strip_diacritics, syllables

# Folded Vietnamese function and question words: they carry no content to match.
_VI_STOP = frozenset(
    """ai la gi nao the nao sao bao nhieu may khi nao ngay nao o dau tai dau dau co cua va
    cac nhung mot duoc da se dang voi cho trong tren ve tu den nay do thi ma hay hoac
    nguoi nam thang lan thu bao gio khong chua roi vay a nhi nhe theo nhu ra vao luc
    boi bang hon""".split()
)
# Patterns over the folded question (lowercase, no diacritics); the first that matches wins.
_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("time", re.compile(r"\b(may gio|luc may gio|gio nao|what time|at what time)\b")),
    ("date", re.compile(r"\b(khi nao|ngay nao|ngay may|bao gio|thoi gian nao|luc nao|thu may|"
                        r"nam nao|thang nao|when|what date|which date|what day|which day|"
                        r"what year|which year|which dates|what dates)\b")),
    ("number", re.compile(r"\b(bao nhieu|may|so luong|how many|how much|what number|"
                          r"what percentage)\b")),
    ("place", re.compile(r"\b(thanh pho nao|tinh nao|dia phuong nao|quoc gia nao|nuoc nao|"
                         r"which cities|which provinces|which countries)\b")),
    ("person", re.compile(r"\b(ai|nguoi nao|dong chi nao|vi nao|who|whom|whose|"
                          r"(bi thu|chu tich|pho chu tich|bo truong|thu truong|thu tuong|"
                          r"lanh dao|truong ban|chu nhiem|dai su|tac gia)( [a-z]+){0,3} nao|"
                          r"which (\w+ ){0,2}(leader|official|minister|president|secretary|"
                          r"chairman|chairwoman|ambassador|head|author|deputy))\b")),
    ("place", re.compile(r"\b(o dau|tai dau|dia diem nao|noi nao|dia diem|o tinh nao|"
                         r"thanh pho nao|where|which city|which province|what venue|"
                         r"which venue|venue)\b")),
)  # fmt: skip
# "Bài viết đăng lúc mấy giờ?": asks when the article was posted (its page stamp). Matched
# with diacritics ("dang" alone is also "đang", "Đảng"), or by unambiguous unaccented phrases.
_POSTED = re.compile(
    r"\b(?:đăng|đăng tải|xuất bản|posted|published|xuat ban|dang tai|duoc dang|dang luc|"
    r"dang ngay|dang vao)\b"
)
_WHEN = re.compile(r"\b(?:may gio|luc nao|khi nao|ngay nao|what time|when)\b")
# "bao nhiêu điều ước", "mấy nhiệm vụ", "how many countries": the thing being counted.
_VI_COUNTED = re.compile(r"\b(?:bao nhieu|may)\s+((?:[a-z0-9]+\s*){1,2})")
_EN_COUNTED = re.compile(r"\bhow (?:many|much)\s+((?:[\w'-]+\s*){1,4})", re.IGNORECASE)
# Question words; two of them joined by "và"/"and" ask two things at once.
_VI_WH = re.compile(r"\b(ai|gi|nao|bao nhieu|may|o dau|khi nao)\b")
_EN_WH = re.compile(r"\b(who|what|which|when|where|how many|how much)\b")
_PLURAL = re.compile(
    r"\b(nhung ai|nhung (?:\w+ ){0,3}nao|cac (?:\w+ ){0,3}nao|hai (?:\w+ ){0,3}nao|"
    r"which two|what two|which (?:\w+ )?(?:dates|provinces|leaders|officials|people)|who were)\b"
)


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    lang: str  # "vi", "vi-noaccent" or "en"
    qtype: str  # "date", "time", "posted", "number", "person", "place" or "other"
    terms: tuple[tuple[str, ...], ...]
    """Content terms, accent-folded; each term lists its alternative renderings (English
    questions are rendered in Vietnamese through the domain lexicon). Vietnamese questions
    give their content syllables and each pair of adjacent ones ("chu tri" as well as "chu"
    and "tri"), so a sentence with "chính trị" does not pass for one with "chủ trì"."""
    numbers: tuple[str, ...] = ()
    """Numbers the question names ("lần thứ 32", "32nd", "2021"): a passage that lacks one of
    them is about something else."""
    counted: tuple[str, ...] = ()
    """For "bao nhiêu X"/"how many X": renderings of X (the answer is a number of X)."""
    multipart: bool = False
    """The question asks for two or more things ("ai chủ trì và ai báo cáo", "which two…")."""
    parts: tuple[tuple[tuple[str, ...], ...], ...] = ()
    """The terms of each clause of a multi-part question (split at "và"/"and"/commas)."""


@functools.lru_cache(maxsize=1024)
def analyse(question: str, *, lexicon: bool = False) -> QuestionInfo:
    """``lexicon``: render English terms through the English→Vietnamese domain lexicon (an
    optional extra); without it an English question's terms are its names and numbers.
    Memoised (the result is immutable): the answerer, the LLM prompt and the check of the
    LLM's reply each ask for the same question's analysis."""
    lang = detect_language(question)
    folded = fold(question)
    qtype = _question_type(question, folded)
    terms = _terms(question, lang, lexicon)
    numbers = tuple(dict.fromkeys(_NUMBER.findall(question)))
    counted = _counted(question, folded, lang, lexicon) if qtype == "number" else ()
    multipart = _is_multipart(folded, lang)
    parts: tuple[tuple[tuple[str, ...], ...], ...] = ()
    if multipart:
        clauses = (_terms(c, lang, lexicon) for c in _CLAUSE.split(question))
        parts = tuple(c for c in clauses if c)
    return QuestionInfo(question, lang, qtype, terms, numbers, counted, multipart, parts)


def _question_type(question: str, folded: str) -> str:
    if _POSTED.search(question.lower()) and _WHEN.search(folded):
        return "posted"
    return next((name for name, pattern in _TYPES if pattern.search(folded)), "other")


_CLAUSE = re.compile(r"\s(?:và|va|and|hoặc|hoac|or)\s|[;,]", re.IGNORECASE)


def _terms(text: str, lang: str, lexicon: bool = False) -> tuple[tuple[str, ...], ...]:
    return tuple(translate_terms(text, use_lexicon=lexicon)) if lang == "en" else _vi_terms(text)


# Question phrases whose syllables are not content: "thứ mấy trong tuần", "buổi nào".
_VI_WH_PHRASES = re.compile(r"\b(?:trong tuan|buoi nao|khoang thoi gian nao|thoi gian nao)\b")


def _vi_terms(question: str) -> tuple[tuple[str, ...], ...]:
    folded = " ".join(strip_diacritics(s) for s in syllables(question))
    plain = _VI_WH_PHRASES.sub(" ", folded).split()
    content = [(i, s) for i, s in enumerate(plain) if s not in _VI_STOP]
    terms: list[tuple[str, ...]] = [(s,) for _, s in content]
    for (i, a), (j, b) in itertools.pairwise(content):
        if j == i + 1 and not (a.isdigit() or b.isdigit()):
            terms.append((f"{a} {b}",))
    return tuple(dict.fromkeys(terms))


def _counted(question: str, folded: str, lang: str, use_lexicon: bool) -> tuple[str, ...]:
    if lang == "en":  # the first phrase after "how many" that the lexicon knows
        if not use_lexicon:
            return ()
        entries = lexicon()
        found: list[str] = []
        for match in _EN_COUNTED.finditer(question):
            phrase = _first_known_phrase(match.group(1).lower().split(), entries)
            if phrase:
                found.extend(entries[phrase])
        return tuple(dict.fromkeys(found))
    nouns = (
        " ".join(w for w in m.group(1).split() if w not in _VI_STOP)
        for m in _VI_COUNTED.finditer(folded)
    )
    return tuple(dict.fromkeys(n for n in nouns if n))


def _first_known_phrase(words: list[str], entries: dict[str, tuple[str, ...]]) -> str | None:
    """The earliest run of one to three ``words`` that is a lexicon entry (longest first)."""
    for i in range(len(words)):
        for n in (3, 2, 1):
            phrase = " ".join(words[i : i + n])
            if phrase in entries:
                return phrase
    return None


def _is_multipart(folded: str, lang: str) -> bool:
    if _PLURAL.search(folded):
        return True
    wh = _EN_WH if lang == "en" else _VI_WH
    parts = re.split(r"\b(?:va|and)\b|[;,]", folded)
    return sum(1 for part in parts if wh.search(part)) >= 2


_NUMBER = re.compile(r"(?<![\w/.-])(\d+)(?:st|nd|rd|th)?(?![\w/])")
