"""Tell the three kinds of question apart: Vietnamese, Vietnamese typed without
diacritics, and English."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from rag.textnorm import strip_diacritics, syllables

VI = "vi"
VI_NOACCENT = "vi-noaccent"
EN = "en"
LANGUAGES = (VI, VI_NOACCENT, EN)

ENGLISH_WORDS = frozenset(
    "the a an of in on at to for and or is was were are be been did does do has have had what "
    "which who whom whose when where how many much why with by from about into than that this "
    "these those it its their there not no any all other according said says whether "
    "conference national vietnam vietnamese meeting held chaired attended president minister "
    "secretary party provincial province city country countries people report reported speak "
    "spoke first second year years number name named foreign affairs diplomatic diplomacy".split()
)


# The Vietnamese question phrases by the kind of thing they ask for (longest first within a
# kind): the closed class of the language's grammar, not a list shaped on any corpus. The
# answerer reads them to locate the asked slot (``rag.answering.wh``); the diacritic
# restorer knows them, since documents, written as statements, rarely hold them.
VI_QUESTION_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (kind, tuple(phrases.split("|")))
    for kind, phrases in (
        ("number", "bao nhiêu|mấy"),
        ("when", "khi nào|bao giờ|lúc nào|ngày nào|năm nào|tháng nào|thời gian nào|thời điểm nào"),
        ("where", "ở đâu|tại đâu|nơi nào|chỗ nào|đâu"),
        ("why", "tại sao|vì sao|sao"),
        ("how", "như thế nào|thế nào|bằng cách nào|ra sao"),
        ("who", "ai|người nào"),
        ("what", "cái gì|gì|nào"),
    )
)


def has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text


# The shape of a Vietnamese syllable once its marks are stripped (Quốc ngữ spelling): an
# optional onset, a vowel nucleus (one to three vowels) and an optional final consonant.
# Permissive on purpose (loan syllables such as "xoong" pass): it only has to tell that
# "super", "bowl" or "practiced" cannot be Vietnamese.
_ONSET = "ngh|ch|gh|gi|kh|ng|nh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
_NUCLEUS = (
    "uye|uya|uyu|ieu|yeu|uoi|uou|oai|oay|oeo|uay|ia|ie|ua|uo|ui|uy|ye|oa|oe|oo|ai|ao|au|ay|"
    "eo|eu|iu|oi|ou|ue|uu|a|e|i|o|u|y"
)
_CODA = "ch|ng|nh|c|m|n|p|t|i|y|o|u"
_VI_SYLLABLE = re.compile(rf"(?:{_ONSET})?(?:{_NUCLEUS})(?:{_CODA})?")
# An unaccented question is English, though few of its words are in ENGLISH_WORDS ("Who
# won Super Bowl XLIX?"), when at least this share of its words cannot be Vietnamese
# syllables. On the XQuAD dev questions and the gold set every share from 0.3 to 0.5 put
# all 354 unaccented Vietnamese questions and all 354 English ones right (before: 14
# English questions taken for unaccented Vietnamese).
FOREIGN_SHARE = 0.4


def vietnamese_syllable(word: str) -> bool:
    """``word`` (with or without diacritics) is spelled like a Vietnamese syllable."""
    return _VI_SYLLABLE.fullmatch(strip_diacritics(word).lower().replace("đ", "d")) is not None


def detect_language(text: str) -> str:
    """``en`` when enough words are common English words (an English question may still
    name "Võ Văn Thưởng"), or when a text without diacritics has an English word and many
    words no Vietnamese syllable is spelled like; else ``vi`` when the text carries
    Vietnamese diacritics, else ``vi-noaccent``."""
    # names keep their diacritics in English questions, so judge the unaccented words only
    words = [w for w in syllables(text) if w.isalpha() and not has_diacritics(w)]
    hits = sum(w in ENGLISH_WORDS for w in words)
    accented = has_diacritics(text)
    share = hits / max(1, len(words))
    if share >= 0.25 and (hits >= 2 or not accented):
        return EN
    if not accented and hits:
        foreign = sum(not vietnamese_syllable(w) for w in words)
        if foreign / len(words) >= FOREIGN_SHARE:
            return EN
    return VI if accented else VI_NOACCENT


@functools.cache
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop-word list (the Glasgow IR group's), read once, on the first
    English question, from the one module file that holds it: importing it the public way
    (``sklearn.feature_extraction.text``) loads about a thousand modules (scipy, pandas,
    pyarrow), 0.9 s and ~100 MB resident in every server worker. Falls back to the public
    import if a scikit-learn release moves the file."""
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py"
        found = importlib.util.spec_from_file_location("_sklearn_stop_words", path)
        if found is not None and found.loader is not None and path.is_file():
            module = importlib.util.module_from_spec(found)
            found.loader.exec_module(module)
            words = getattr(module, "ENGLISH_STOP_WORDS", None)
            if isinstance(words, frozenset) and words:
                return frozenset(words)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)
