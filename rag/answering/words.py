"""Words of a sentence with their part-of-speech tags and document offsets.

Vietnamese words span several syllables ("Tổng Bí thư", "phát biểu"); a short answer should
start and end on word boundaries, and its part of speech tells what it can answer (a proper
noun ``Np`` for "ai", a numeral ``M`` for "bao nhiêu"). Words and tags come from
``underthesea`` (Apache-2.0), whose CRF word-segmentation and POS models ship inside the
package: nothing is downloaded. Offsets are found by walking the original text, so
``text[word.start:word.end] == word.text`` always holds.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass

from rag.textnorm import fold

_CACHE_SIZE = 8192
_SPLIT = re.compile(r"\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int
    tag: str
    folded: str

    @property
    def is_punct(self) -> bool:
        return self.tag == "CH" or not any(ch.isalnum() for ch in self.text)


# underthesea's package __init__ imports optional pipelines that pos_tag never uses; one of
# them (translate) pulls in transformers and torch: ~500 MB per process for nothing.
_UNUSED_UNDERTHESEA = tuple(
    f"underthesea.{m}"
    for m in ("pipeline.classification", "pipeline.sentiment", "pipeline.lang_detect",
              "pipeline.dependency_parse", "pipeline.translate", "agent", "address")
)  # fmt: skip


def _tagger() -> object:
    # imported lazily (loading the CRF model takes ~0.5 s), without the unused pipelines:
    # a None entry in sys.modules makes their import fail, which underthesea tolerates
    blocked = [m for m in _UNUSED_UNDERTHESEA if m not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        from underthesea import pos_tag
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return pos_tag


class WordTagger:
    """Tags sentences (cached: the same passages come back for related questions)."""

    def __init__(self) -> None:
        self._cache: OrderedDict[str, tuple[tuple[str, str], ...]] = OrderedDict()
        self._lock = threading.Lock()
        self._pos_tag: object | None = None

    def _tags(self, text: str) -> tuple[tuple[str, str], ...]:
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
            if self._pos_tag is None:
                self._pos_tag = _tagger()
        try:
            tagged = tuple((str(w), str(t)) for w, t in self._pos_tag(text))  # type: ignore[operator]
        except Exception:  # the tagger must never break an answer: fall back to plain tokens
            tagged = tuple((tok, "X") for tok in _SPLIT.findall(text))
        with self._lock:
            self._cache[text] = tagged
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return tagged

    def words(self, text: str, offset: int = 0) -> list[Word]:
        """The words of ``text``; offsets are ``offset`` + positions in ``text``."""
        out: list[Word] = []
        pos = 0
        for token, tag in self._tags(text):
            for start, end in _locate(text, token, pos):
                for a, b, is_mark in _split_edges(text, start, end):
                    piece = text[a:b]
                    out.append(Word(piece, offset + a, offset + b, "CH" if is_mark else tag,
                                    _fold(piece)))  # fmt: skip
                pos = end
        return out


@functools.lru_cache(maxsize=1 << 16)
def _fold(piece: str) -> str:
    """``fold`` of a word (words recur across sentences and questions; folding is slow)."""
    return fold(piece)


def _split_edges(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """Punctuation at either edge of a token ("? Newton") as words of its own; inner
    punctuation ("24-10", "3:08") stays."""
    a, b = start, end
    out: list[tuple[int, int, bool]] = []
    while a < b and not text[a].isalnum():
        if not text[a].isspace():
            out.append((a, a + 1, True))
        a += 1
    tail: list[tuple[int, int, bool]] = []
    while b > a and not text[b - 1].isalnum():
        if not text[b - 1].isspace():
            tail.insert(0, (b - 1, b, True))
        b -= 1
    if a < b:
        out.append((a, b, False))
    return out + tail


def _locate(text: str, token: str, pos: int) -> list[tuple[int, int]]:
    """Where ``token`` (as the tagger returned it) lies in ``text`` from ``pos`` on. The
    tagger may normalise spacing inside a word, so a word is matched syllable by syllable
    (skipping what the tagger dropped); a token that cannot be found is skipped."""
    parts = token.split()
    if not parts:
        return []
    cursor = pos
    first = -1
    for part in parts:
        at = text.find(part, cursor)
        if at < 0 or (first >= 0 and text[cursor:at].strip()):
            return []
        if first < 0:
            first = at
        cursor = at + len(part)
    return [(first, cursor)]


_DEFAULT: WordTagger | None = None
_DEFAULT_LOCK = threading.Lock()


def default_tagger() -> WordTagger:
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = WordTagger()
        return _DEFAULT
