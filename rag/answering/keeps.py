"""Whether an LLM's reply keeps the answer the extractive answerer found.

The LLM restates the short answer span (``rag.answering.prompt``); a small model sometimes
restates something else from the evidence instead — another name of the same sentence, one
item of a list, the question's own words — and the grounding check cannot see that: every
name it wrote is in the passage. A reply that drops what was found is no better than the
extractive answer it replaces, so it is not accepted (issue 16; eval/README.md).

What the reply must hold, by what the short answer is made of:

- its figures (dates, numbers with units), compared as normalised figures
  (``rag.answering.figures``: "19/12/2023" in "December 19, 2023", "600 tỷ USD" in
  "600 billion USD");
- its capitalised names, accent- and case-folded ("Nguyễn Phú Trọng" in "Nguyen Phu
  Trong"), any run of two of their syllables counting ("Phú Trọng");
- otherwise, for a reply in Vietnamese, most of its syllables (``MIN_SHARED``), accent- and
  case-folded; a reply in another language that translated a common phrase cannot be
  compared word for word and is left to the grounding check.
"""

from __future__ import annotations

import re

from rag.answering import figures
from rag.textnorm import fold

MIN_SHARED = 0.6
"""Share of a plain (no figure, no name) short answer's syllables a Vietnamese reply must
hold."""

_WORD = re.compile(r"[^\W_]+")
"""Words with their digits: "2A" of "Astra 2A" is no capitalised "A" (``_names`` skips
words that start with a digit; figures are compared as figures)."""


def _syllables(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _names(text: str) -> list[list[str]]:
    """Runs of capitalised words of ``text`` (folded syllables), the first word included.

    A run followed by a lowercase word is the head of a title or body ("Tổng Bí thư", "Bộ
    Ngoại giao": Vietnamese capitalises only their first syllables) and is not asked for
    when the text also has a full name ("Tổng Bí thư Nguyễn Phú Trọng" asks for "Nguyễn Phú
    Trọng"). A single capitalised word that opens the text is taken for a sentence's first
    word, neither a name nor a head ("Đầu những năm 1970" asks for its figure only)."""
    names: list[list[str]] = []
    heads: list[list[str]] = []
    current: list[str] = []
    last = 0
    for m in _WORD.finditer(text):
        if m.group()[0].isdigit():
            continue
        joined = not text[last : m.start()].strip()
        if m.group()[0].isupper():
            if current and joined:
                current.append(fold(m.group()))
            else:
                if current:
                    names.append(current)
                current = [fold(m.group())]
        elif current:
            (heads if joined else names).append(current)
            current = []
        last = m.end()
    if current:
        names.append(current)
    if names and len(names[0]) == 1 and _opens(text, names[0][0]):
        names = names[1:]  # "Sáng 19/12": capitalised because the span opens a sentence
    if heads and len(heads[0]) == 1 and _opens(text, heads[0][0]):
        heads = heads[1:]  # "Đầu những năm 1970": the same, before a lowercase word
    return names or heads


def _opens(text: str, folded_word: str) -> bool:
    first = _WORD.search(text)
    return first is not None and fold(first.group()) == folded_word


def _holds_name(name: list[str], reply: list[str], joined: str) -> bool:
    """``name`` (folded syllables) is in the reply: whole, as a run of two or more of its
    syllables ("Phú Trọng" of "Nguyễn Phú Trọng"), or written together ("Hanoi")."""
    text = " " + " ".join(reply) + " "
    if len(name) == 1:
        return f" {name[0]} " in text
    for size in range(len(name), 1, -1):
        for i in range(len(name) - size + 1):
            run = name[i : i + size]
            if f" {' '.join(run)} " in text or "".join(run) in joined:
                return True
    return False


def missing_parts(reply: str, short_answer: str, reply_lang: str) -> list[str]:
    """The parts of ``short_answer`` (figures, names, or the phrase itself) that ``reply``
    does not hold; ``[]`` when it keeps the answer. ``reply_lang`` is the language the reply
    was asked in (``en`` or ``vi``)."""
    short = short_answer.strip()
    if not short:
        return []
    reply_syllables = _syllables(reply)
    joined = "".join(reply_syllables)
    held = figures.extract(reply, count_words=True)
    own = figures.extract(short)
    missing = [f.text for f in own if not figures.supported(f, held)]
    names = [n for n in _names(short) if not any(w.isdigit() for w in n)]
    missing += [" ".join(n) for n in names if not _holds_name(n, reply_syllables, joined)]
    if own or names:
        return missing
    if reply_lang != "vi":
        return []
    words = [w for w in _syllables(short) if not w.isdigit()]
    if not words:
        return []
    present = set(reply_syllables)
    share = sum(w in present for w in words) / len(words)
    return [] if share >= MIN_SHARED else [short]
