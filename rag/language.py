"""Tell the three kinds of question apart: Vietnamese, Vietnamese typed without
diacritics, and English."""

from __future__ import annotations

import functools

from rag.textnorm import strip_diacritics, syllables

VI = "vi"
VI_NOACCENT = "vi-noaccent"
EN = "en"

ENGLISH_WORDS = frozenset(
    "the a an of in on at to for and or is was were are be been did does do has have had what "
    "which who whom whose when where how many much why with by from about into than that this "
    "these those it its their there not no any all other according said says whether "
    "conference national vietnam vietnamese meeting held chaired attended president minister "
    "secretary party provincial province city country countries people report reported speak "
    "spoke first second year years number name named foreign affairs diplomatic diplomacy".split()
)


def has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text


def detect_language(text: str) -> str:
    """``en`` when enough words are common English words (an English question may still
    name "Võ Văn Thưởng"), else ``vi`` when the text carries Vietnamese diacritics, else
    ``vi-noaccent``."""
    # names keep their diacritics in English questions, so judge the unaccented words only
    words = [w for w in syllables(text) if w.isalpha() and not has_diacritics(w)]
    hits = sum(w in ENGLISH_WORDS for w in words)
    accented = has_diacritics(text)
    if hits / max(1, len(words)) >= 0.25 and (hits >= 2 or not accented):
        return EN
    return VI if accented else VI_NOACCENT


@functools.cache
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop-word list (imported once, on the first English question)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)
