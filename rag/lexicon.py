"""An English→Vietnamese domain lexicon for checking English questions against Vietnamese
sentences term by term (the multilingual embedding ranks; the lexicon gives evidence)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from rag.language import ENGLISH_WORDS, english_stop_words
from rag.textnorm import fold, strip_diacritics, syllables

LEXICON_FILE = "en_vi_lexicon.tsv"


@lru_cache(maxsize=1)
def lexicon() -> dict[str, tuple[str, ...]]:
    text = resources.files("rag").joinpath(LEXICON_FILE).read_text("utf-8")
    entries: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, _, vietnamese = line.partition("\t")
        entries[english.strip().lower()] = tuple(fold(v) for v in vietnamese.split("|") if v)
    return entries


@lru_cache(maxsize=1)
def lexicon_renderings() -> frozenset[str]:
    """Every (accent-folded) Vietnamese rendering the lexicon knows."""
    return frozenset(alt for alts in lexicon().values() for alt in alts)


@lru_cache(maxsize=1)
def _phrase_patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """The lexicon's English phrases as whole-word patterns, longest first, with their
    renderings (compiled once: ``re``'s own cache is smaller than the lexicon)."""
    entries = lexicon()
    return tuple(
        (re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE), entries[phrase])
        for phrase in sorted(entries, key=len, reverse=True)
    )


def render_english(
    question: str, *, use_lexicon: bool = True
) -> tuple[list[tuple[str, ...]], float]:
    """``translate_terms`` of ``question`` and the share of its content words (not stop
    words) that they render: inside a lexicon phrase, a number or a capitalised name (1.0
    for a question without content words)."""
    rest = question
    found: list[tuple[str, ...]] = []
    for pattern, renderings in _phrase_patterns() if use_lexicon else ():
        if pattern.search(rest):
            found.append(renderings)
            rest = pattern.sub(" ", rest)
    for token in re.findall(r"\b\d+(?=st|nd|rd|th|\b)|\b[A-ZÀ-ỸĐ][\wÀ-ỹđ.]*\b", rest):
        folded = " ".join(strip_diacritics(s) for s in syllables(token))
        if folded and folded not in ENGLISH_WORDS:
            found.append((folded,))
    stop = english_stop_words()

    def content(text: str) -> list[str]:
        return [w for w in re.findall(r"[^\W_]+", text) if w.lower() not in stop]

    total = content(question)
    left = [w for w in content(rest) if not (w[0].isdigit() or w[0].isupper())]
    return found, 1.0 - len(left) / len(total) if total else 1.0


def rendered_share(question: str, *, use_lexicon: bool = True) -> float:
    """The share of the question's content words its Vietnamese rendering holds."""
    return render_english(question, use_lexicon=use_lexicon)[1]


def translate_terms(question: str, *, use_lexicon: bool = True) -> list[tuple[str, ...]]:
    """Vietnamese (accent-folded) renderings of the English phrases in ``question``, longest
    phrase first; each item lists the alternatives for one phrase. Numbers and capitalised
    names (already Vietnamese, e.g. "Võ Văn Thưởng") are kept as they are. Without the
    lexicon (``use_lexicon=False``), only the numbers and names."""
    return render_english(question, use_lexicon=use_lexicon)[0]
