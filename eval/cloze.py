"""Cloze questions for training the reader: a sentence with one span replaced by a question
word, answered by that span.

Vietnamese keeps the question word where the answer stands ("Hội nghị diễn ra tại đâu?"), so
replacing a number, a proper name or a noun phrase of a sentence by the matching question
word ("bao nhiêu", "nào", "ai", "đâu", "gì") and keeping a few words around it gives a
question a reader must answer by pointing back at the span. Words are dropped at random so
the reader cannot rely on copying the sentence. Words and tags come from underthesea
(``rag.answering.words``); nothing here is specific to any corpus.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from rag.answering.words import Word, default_tagger
from rag.sentences import split_sentences

PLACE_BEFORE = frozenset({"tại", "ở", "đến", "từ", "sang", "trong"})
_NUMBER = re.compile(r"\d[\d.,½]*")
MIN_WORDS = 6


@dataclass(frozen=True)
class Cloze:
    question: str
    start: int  # answer offsets in the text the questions were made from
    end: int


def question_word(words: list[Word], i: int, j: int, rng: random.Random) -> str | None:
    """The question word that stands for ``words[i:j]`` (None when it is no answer type)."""
    span = words[i:j]
    before = words[i - 1].text.lower() if i else ""
    if all(w.tag == "M" or _NUMBER.fullmatch(w.text) for w in span):
        return "nào" if before == "năm" else "bao nhiêu"
    if span[0].tag == "Np" and all(w.tag in ("Np", "N", "M") for w in span):
        if before in PLACE_BEFORE:
            return "đâu"
        return "ai" if rng.random() < 0.5 else "gì"
    if span[0].tag in ("N", "Nc", "M"):
        return "gì"
    return None


def answer_spans(words: list[Word]) -> list[tuple[int, int]]:
    """Word ranges that can be answers: runs of numbers or proper names, and noun phrases of
    two to five words."""
    out = []
    i = 0
    while i < len(words):
        w = words[i]
        if w.tag in ("M", "Np") or _NUMBER.fullmatch(w.text):
            j = i + 1
            while j < len(words) and words[j].tag == w.tag:
                j += 1
            out.append((i, j))
            i = j
        elif w.tag in ("N", "Nc"):
            j = i + 1
            while j < len(words) and words[j].tag in ("N", "A", "Np", "M") and j - i < 5:
                j += 1
            if j - i >= 2:
                out.append((i, j))
            i = j
        else:
            i += 1
    return out


def cloze_questions(text: str, rng: random.Random, per_sentence: int = 2) -> list[Cloze]:
    """Up to ``per_sentence`` cloze questions per sentence of ``text``."""
    tagger = default_tagger()
    out: list[Cloze] = []
    for sentence in split_sentences(text, 0):
        words = tagger.words(sentence.text, sentence.start)
        if len(words) < MIN_WORDS:
            continue
        spans = answer_spans(words)
        rng.shuffle(spans)
        for i, j in spans[:per_sentence]:
            wh = question_word(words, i, j, rng)
            if wh is None:
                continue
            lo = max(0, i - rng.randint(5, 12))
            hi = min(len(words), j + rng.randint(4, 12))
            kept: list[str] = []
            for k in range(lo, hi):
                if k == i:
                    kept.append(wh)
                if i <= k < j:
                    continue
                w = words[k]
                if w.is_punct:
                    if k not in (lo, hi - 1):
                        kept.append(w.text)
                    continue
                if rng.random() < 0.12 and w.tag not in ("Np", "M"):
                    continue
                kept.append(w.text)
            question = " ".join(kept).strip(" ,;") + "?"
            out.append(Cloze(question[0].upper() + question[1:], words[i].start, words[j - 1].end))
    return out
