"""Where the question word stands in a question, and what kind of thing it asks for.

Vietnamese keeps the question word where the answer would stand ("Hội nghị diễn ra vào ngày
nào?" ↔ "Hội nghị diễn ra vào ngày 19/12"), so the question's words before and after it tell
which side of the answer each of them lies on in the supporting sentence. English fronts the
question word, so only the kind of answer carries over. The question words themselves are
the closed class of each language's grammar, not a list shaped on any corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.language import VI_QUESTION_PHRASES, has_diacritics
from rag.textnorm import fold, normalize_text

WH_CLASSES = ("who", "when", "where", "number", "why", "how", "what")

# Vietnamese question phrases (longest first within a class, ``rag.language``) and their
# class. Matched with diacritics when the question has them ("mấy" is not "máy", "đâu" is
# not "đầu").
_VI_WH: tuple[tuple[str, str], ...] = tuple(
    (phrase, cls) for cls, phrases in VI_QUESTION_PHRASES for phrase in phrases
)
_EN_WH: tuple[tuple[str, str], ...] = (
    ("how many", "number"),
    ("how much", "number"),
    ("what percentage", "number"),
    ("how long", "number"),
    ("what year", "when"),
    ("which year", "when"),
    ("what date", "when"),
    ("what day", "when"),
    ("what time", "when"),
    ("when", "when"),
    ("where", "where"),
    ("who", "who"),
    ("whom", "who"),
    ("whose", "who"),
    ("why", "why"),
    ("how", "how"),
    ("what", "what"),
    ("which", "what"),
)


@dataclass(frozen=True)
class WhInfo:
    cls: str
    """One of ``WH_CLASSES``."""
    before: frozenset[str]
    """Folded syllables of the question before the question phrase."""
    after: frozenset[str]
    """Folded syllables after it."""
    head: str
    """The noun the question phrase asks about ("đội" in "đội nào", "điểm" in "bao nhiêu
    điểm"), folded; empty when there is none."""
    in_situ: bool
    """True for Vietnamese (the answer stands where the question word is)."""
    form: str = "vi"
    """``vi``; for English ``subj`` ("Who sang…": the answer is the subject) or ``aux``
    ("What did she sing…": an auxiliary follows, the answer is not the subject)."""


def _find(words: list[str], table: tuple[tuple[str, str], ...]) -> tuple[int, int, str] | None:
    """The first question phrase of ``table`` in ``words``: (start, end, class); phrases
    earlier in the table win at the same position."""
    best: tuple[int, int, str] | None = None
    for phrase, cls in table:
        parts = phrase.split()
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts:
                if best is None or i < best[0]:
                    best = (i, i + len(parts), cls)
                break
    return best


def analyse_wh(question: str, english: bool) -> WhInfo:
    accented = re.findall(r"\w+", normalize_text(question).lower())
    words = [fold(w) for w in accented]
    if english:
        found = _find(words, _EN_WH)
    elif has_diacritics(question):
        found = _find(accented, _VI_WH)
    else:
        found = _find(words, tuple((fold(p), c) for p, c in _VI_WH))
    if found is None:
        return WhInfo("what", frozenset(), frozenset(words), "", not english)
    start, end, cls = found
    head = ""
    if not english:
        phrase = accented[start:end]
        if phrase[-1] in ("nao", "nào") and len(phrase) == 1 and start > 0:
            head = words[start - 1]  # "đội nào" → đội
        elif cls == "number" and end < len(words):
            head = words[end]  # "bao nhiêu điểm" → điểm
    elif end < len(words) and cls in ("number", "what"):
        head = words[end]
    form = "vi"
    if english:
        form = "aux" if _AUX.intersection(words[end : end + 3]) else "subj"
    return WhInfo(cls, frozenset(words[:start]), frozenset(words[end:]), head, not english, form)


_AUX = frozenset(
    "do does did is are was were has have had can could will would should may might".split()
)
