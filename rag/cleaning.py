"""Turn scraped page text into article text: drop web boilerplate, keep every article line.

Rules are general (line shapes and known UI / section headers), applied line by line:

* UI-only lines ("Skip to main content", "Sign In", "Xem", "Nổi bật", "Ảnh minh họa"...);
* image file names ("doingoai2.jpg"), counters ("1,234 lượt xem", "(0) Bình luận",
  "0 người đang online"), zoom widgets ("100%"), lines without a letter or digit ("<");
* follow widgets ("Theo dõi Môi trường & Cuộc sống trên");
* teaser headlines ending in a timestamp ("...(15/03/2024 9:41 SA)");
* everything from a "related / latest news / tags" header to the end ("Tin mới nhất",
  "Bài liên quan", "Văn Ngọc • Từ khóa" keeps "Văn Ngọc"), or from a headline repeated on
  two consecutive lines (a teaser list) in the second half of the text.
"""

from __future__ import annotations

import re

from rag.textnorm import fold, normalize_text

_UI_LINES = frozenset(
    {
        "skip ribbon commands",
        "skip to main content",
        "skip to content",
        "skip navigation",
        "sign in",
        "sign out",
        "log in",
        "login",
        "dang nhap",
        "dang ky",
        "xem",
        "xem them",
        "doc them",
        "xem tiep",
        "doc tiep",
        "chia se",
        "share",
        "tweet",
        "in bai",
        "print",
        "email",
        "gui email",
        "binh luan",
        "noi bat",
        "dung bo lo",
        "anh minh hoa",
        "trang chu",
        "home",
        "menu",
        "tim kiem",
        "search",
        "quay lai",
        "len dau trang",
        "back to top",
        "chi dao dieu hanh",
        "van ban moi",
    }
)
# Headers after which the rest of the page is other articles, polls or widgets.
_TRAILING_HEADERS = frozenset(
    {
        "tin moi nhat",
        "tin moi",
        "bai lien quan",
        "bai viet lien quan",
        "tin lien quan",
        "tin bai lien quan",
        "tin cung chuyen muc",
        "bai cung chuyen muc",
        "tin khac",
        "cac tin khac",
        "tin bai khac",
        "bai viet khac",
        "tin da dua",
        "tin xem nhieu",
        "doc nhieu nhat",
        "xem nhieu nhat",
        "co the ban quan tam",
        "ban co the quan tam",
        "tu khoa",
        "tags",
        "related articles",
        "related news",
        "latest news",
    }
)
_IMAGE_RE = re.compile(r"^\S(?:.{0,200}\S)?\.(?:jpe?g|png|gif|webp|bmp|svg|tiff?|avif)$", re.I)
_COUNTER_RE = re.compile(
    r"^\(?\d[\d.,]*\)?\s*(?:luot xem|luot doc|luot thich|luot chia se|nguoi da binh chon"
    r"|nguoi dang online|nguoi dang truc tuyen|binh luan|views?|comments?|likes?|shares?)$"
)
_ZOOM_RE = re.compile(r"^\d{1,3}\s*%$")
_FOLLOW_RE = re.compile(r"^theo doi .{1,80} tren(?: google news| zalo| facebook)?$")
_TEASER_RE = re.compile(
    r"\S\s*\(\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:SA|CH|AM|PM)\)$"
)
_HAS_ALNUM_RE = re.compile(r"[^\W_]")
_SEGMENT_SEP_RE = re.compile(r"\s*[•|·]\s*")
_INVISIBLE_RE = re.compile("[\u200b\u2060\ufeff\u00ad]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\t]")
_SPACES_RE = re.compile(r" {2,}")
_BLANK_RUN_RE = re.compile(r"\n{3,}")
_PROSE_WORDS = 8


def _key(line: str) -> str:
    """Folded line without edge punctuation, for comparing with the word lists."""
    return fold(line).strip(" .:;,-–—>»«<*#")


def _is_boilerplate(line: str) -> bool:
    key = _key(line)
    return (
        not _HAS_ALNUM_RE.search(line)
        or key in _UI_LINES
        or key in _TRAILING_HEADERS
        or bool(_IMAGE_RE.match(line))
        or bool(_COUNTER_RE.match(key))
        or bool(_ZOOM_RE.match(line))
        or bool(_FOLLOW_RE.match(key))
        or bool(_TEASER_RE.search(line))
    )


def _trailing_header(line: str) -> str | None:
    """If ``line`` opens a trailing block, return what to keep of it ("" or a byline)."""
    if _key(line) in _TRAILING_HEADERS:
        return ""
    parts = _SEGMENT_SEP_RE.split(line)
    if len(parts) > 1 and _key(parts[-1]) in _TRAILING_HEADERS:
        return " ".join(p for p in parts[:-1] if p).strip()
    return None


def _cut_trailing(lines: list[str]) -> list[str]:
    """Cut the page tail (related news, tags, teaser list) after the article prose."""
    seen_prose = False
    total = sum(len(line) + 1 for line in lines)
    offset = 0
    for i, line in enumerate(lines):
        if seen_prose:
            kept = _trailing_header(line)
            if kept is not None:
                return [*lines[:i], kept] if kept else lines[:i]
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if line and line == nxt and len(line.split()) >= 4 and offset > total // 2:
                return lines[:i]
        seen_prose = seen_prose or len(line.split()) >= _PROSE_WORDS
        offset += len(line) + 1
    return lines


def clean_text(raw: str) -> str:
    """Return the article text of a scraped page: normalised, boilerplate-free, tidy."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE_RE.sub("", normalize_text(text))
    lines = [_SPACES_RE.sub(" ", _CONTROL_RE.sub(" ", line)).strip() for line in text.split("\n")]
    lines = _cut_trailing(lines)
    # Dropped lines vanish (no gap between the lines around them); blank lines stay.
    kept = [line for line in lines if not line or not _is_boilerplate(line)]
    return _BLANK_RUN_RE.sub("\n\n", "\n".join(kept)).strip("\n")
