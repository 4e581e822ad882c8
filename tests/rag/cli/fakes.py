"""A fake answerer that gives a short answer (the real extractive one may not yet), and a
helper that reads which text a terminal rendering highlighted."""

from __future__ import annotations

import re

from rag.answering.base import Draft, Passage, citation
from rag.answering.models import ShortAnswer
from rag.retrieval.base import Query

ABSTAIN = "Không tìm thấy thông tin này trong các tài liệu."
_SPAN = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{4})?|\d+|[^\W\d_]{3,}")


class SpanAnswerer:
    """Answers like the extractive answerer will: "<short answer> — <its sentence> [1]",
    citing the first passage, whose first date (else number, else word) is the short
    answer; ``abstain=True`` abstains (and gives no short answer)."""

    name = "fake-span"

    def __init__(self, abstain: bool = False) -> None:
        self.abstain = abstain

    def answer(self, query: Query, passages: list[Passage]) -> Draft:
        p = passages[0]
        cited = [citation(1, p, p.chunk.start, p.chunk.end)]
        if self.abstain:
            return Draft(ABSTAIN, True, cited, -1.0)
        text = p.chunk.text
        match = _SPAN.search(text)
        assert match is not None
        dot = text.rfind(". ", 0, match.start())
        lo = dot + 2 if dot != -1 else 0
        hi = text.find(". ", match.end())
        sentence = text[lo : hi + 1 if hi != -1 else len(text)].strip()
        start, end = p.chunk.start + match.start(), p.chunk.start + match.end()
        short = ShortAnswer(
            text=p.document.text[start:end], n=1, doc_id=p.document.doc_id, start=start, end=end
        )
        return Draft(f"{short.text} — {sentence} [1]", False, cited, 1.0, short)


_ANSI = re.compile(r"\x1b\[([0-9;]*)m|([^\x1b]+)")
BRIGHT_GREEN_BACKGROUND = "102"  # SHORT_STYLE's background with the "standard" colours


def highlighted(ansi: str, code: str = BRIGHT_GREEN_BACKGROUND) -> list[str]:
    """The runs of text printed with the SGR ``code`` (rich's "standard" colour system)."""
    runs: list[str] = []
    current: list[str] = []
    active = False
    for match in _ANSI.finditer(ansi):
        if match.group(1) is not None:
            active = code in match.group(1).split(";")
            continue
        if active:
            current.append(match.group(2))
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs
