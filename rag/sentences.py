"""Split passages into sentences, keeping offsets into the document text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? or a line break, when followed by whitespace/end; "TP. Hồ" and
# numbers like "1.234" are not ends (a capital-initial abbreviation before the dot).
# Semicolons do not end sentences: in news text they separate the items of a list
# ("…: Tổng Bí thư Nguyễn Phú Trọng; Chủ tịch nước Nguyễn Xuân Phúc; …"), which only make
# sense together with the list's head.
_END = re.compile(r"(?<![A-ZĐ]\w)(?<![A-ZĐ])[.!?…]+(?=\s|$)|\n+")
MIN_CHARS = 12


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Sentences of ``text``; ``start``/``end`` are ``offset`` + positions in ``text``."""
    out: list[Sentence] = []
    pos = 0
    for match in _END.finditer(text):
        _add(out, text, pos, match.end() if match.group()[0] != "\n" else match.start(), offset)
        pos = match.end()
    _add(out, text, pos, len(text), offset)
    return out


def _add(out: list[Sentence], text: str, start: int, end: int, offset: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start >= MIN_CHARS:
        out.append(Sentence(text[start:end], offset + start, offset + end))
