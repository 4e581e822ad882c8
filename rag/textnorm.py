"""Vietnamese text normalisation shared by cleaning, BM25 tokenisation, matching and eval.

``normalize_text`` is a character-for-character mapping of ``NFC(text)``: it only moves a
tone mark between precomposed letters and maps whitespace variants to a plain space, so
``len(normalize_text(t)) == len(unicodedata.normalize("NFC", t))``. Zero-width characters
are left alone (removing them would change the length); ``rag.cleaning`` drops them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Bump whenever a rule below changes: the index manifest records it.
NORMALISER_VERSION = "vi-nfc-tone1-v1"

# The five Vietnamese tone marks as combining characters (grave, acute, hook, tilde, dot).
_TONES = frozenset("\u0300\u0301\u0309\u0303\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
_ONSET_LETTERS = frozenset("bcdđfghjklmnpqrstvwxz")
_FINALS = frozenset({"", "c", "ch", "m", "n", "ng", "nh", "p", "t"})
# Diphthongs whose tone sits on the first vowel when no final consonant follows
# (traditional "hòa, khỏe, thủy") and on the second one otherwise ("hoàn, khoét, huỳnh").
_MOVABLE_PAIRS = frozenset({"oa", "oe", "uy"})
# Whitespace variants (all single characters) mapped to a space / newline.
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACE_MAP = {ord(ch): " " for ch in _SPACES + "\u202f\u205f\u3000"}
_SPACE_MAP.update({0x2028: "\n", 0x2029: "\n"})
_WORD_RE = re.compile(r"[^\W\d_]+")
_TOKEN_RE = re.compile(r"[^\W_]+")
_STRAY_MARK_RE = re.compile("[\u0300-\u036f]")


@lru_cache(maxsize=4096)
def _split_tone(ch: str) -> tuple[str, str]:
    """Split one precomposed character into (character without tone, tone mark or "")."""
    decomposed = unicodedata.normalize("NFD", ch)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return ch, ""
    rest = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return (rest, tones[0]) if len(rest) == 1 else (ch, "")


@lru_cache(maxsize=4096)
def _with_tone(base: str, tone: str) -> str:
    """Put ``tone`` on ``base``; returns ``base`` unchanged if no single character results."""
    composed = unicodedata.normalize("NFC", unicodedata.normalize("NFD", base) + tone)
    return composed if len(composed) == 1 else base


@lru_cache(maxsize=1 << 16)  # words repeat: the tokenizer's hot path at 1M chunks
def _place_tone(word: str) -> str:
    """Return ``word`` with its tone on the traditional vowel of an oa/oe/uy diphthong."""
    split = [_split_tone(ch) for ch in word]
    bases = "".join(b for b, _ in split).lower()
    i = 0
    while i < len(bases) and bases[i] in _ONSET_LETTERS:
        i += 1
    j = i
    while j < len(bases) and bases[j] in _VOWELS:
        j += 1
    onset, nucleus, final = bases[:i], bases[i:j], bases[j:]
    if nucleus not in _MOVABLE_PAIRS or final not in _FINALS or onset.endswith("q"):
        return word
    tones = [t for _, t in split[i:j] if t]
    if len(tones) != 1:
        return word
    target = i if final == "" else i + 1
    chars = [b for b, _ in split]
    chars[i], chars[i + 1] = split[i][0], split[i + 1][0]
    chars[target] = _with_tone(chars[target], tones[0])
    if len(chars[target]) != 1 or chars[target] == split[target][0]:
        return word
    # Keep every other character exactly as given (only the two vowels change).
    out = list(word)
    out[i], out[i + 1] = chars[i], chars[i + 1]
    return "".join(out)


def _fix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    end = match.end()
    text = match.string
    # A combining mark right after the word would compose differently: leave it alone.
    if end < len(text) and unicodedata.category(text[end]).startswith("M"):
        return word
    return _place_tone(word)


def normalize_text(text: str) -> str:
    """NFC + traditional tone placement (hòa, khỏe, thủy) + NBSP-like spaces to " ".

    Keeps case; the result has exactly the length of ``NFC(text)``.
    """
    text = unicodedata.normalize("NFC", text).translate(_SPACE_MAP)
    return _WORD_RE.sub(_fix_word, text)


@lru_cache(maxsize=8192)
def _strip_char(ch: str) -> str:
    if ch in "đĐ":
        return "d" if ch == "đ" else "D"
    stripped = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return stripped if len(stripped) == 1 else ch


def strip_diacritics(text: str) -> str:
    """Remove tone and vowel marks, đ->d, Đ->D; same length as NFC(text).

    A combining mark NFC cannot attach to a letter is left in place (see ``fold``).
    """
    text = unicodedata.normalize("NFC", text)
    return "".join(ch if ch < "\u00c0" else _strip_char(ch) for ch in text)


def syllables(text: str) -> list[str]:
    """Lowercase normalised syllables and numbers (the BM25 tokenizer)."""
    return _TOKEN_RE.findall(normalize_text(text).lower())


def fold(text: str) -> str:
    """Accent- and case-insensitive form for matching: no marks, single spaces."""
    stripped = strip_diacritics(normalize_text(text).lower())
    # Stray combining marks (no precomposed form) survive strip_diacritics: drop them here.
    return " ".join(_STRAY_MARK_RE.sub("", stripped).split())
