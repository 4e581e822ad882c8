"""Load documents (.txt, .md, .html/.htm, .jsonl, .pdf, .docx) into cleaned
:class:`Document` records.

Text formats are read here; HTML, PDF and DOCX by their readers in ``rag.loaders``. A
document's date is one it states: from its metadata (``date_source="meta"``: HTML meta
tags, a JSONL ``date``) or a full date in the head of its text (``"text"``); else None.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rag.dates import extract_date, parse_date
from rag.errors import DocumentError
from rag.loaders import Loaded, cleaned, locate_headings
from rag.textnorm import normalize_text

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".jsonl", ".pdf", ".docx"})
BINARY_SUFFIXES = frozenset({".pdf", ".docx"})
DATE_SOURCES = ("meta", "text")
"""Where a document's date came from: its metadata, or a full date in its text's head."""
_MD_HEADING_RE = re.compile(r"^#{1,6}[ \t]+", re.M)
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Document:
    """One cleaned document; ``text`` is what gets chunked and cited."""

    doc_id: str
    title: str
    text: str
    source: str
    date: str | None = None
    url: str | None = None
    date_source: str | None = None
    """"meta" (stated by the file's metadata), "text" (a full date in the article head) or
    None (no date)."""
    pages: tuple[int, ...] = ()
    """Offsets in ``text`` where each page starts (PDF); empty for documents without pages."""
    headings: tuple[tuple[int, int, int], ...] = ()
    """(start, end, level) of each heading line in ``text`` (Markdown, DOCX, HTML)."""

    def heading_path(self, start: int, end: int) -> list[str]:
        """The headings a passage ``text[start:end]`` sits under, outermost first (not the
        ones inside it, nor a heading that repeats the title)."""
        path: list[tuple[int, str]] = []
        for h_start, h_end, level in self.headings:
            if h_start >= start:
                break
            path = [(lv, t) for lv, t in path if lv < level]
            path.append((level, self.text[h_start:h_end]))
        return [t for _, t in path if t != self.title]

    def is_heading(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` lies within one heading line."""
        return any(a <= start and end <= b for a, b, _ in self.headings)

    @cached_property
    def body_start(self) -> int:
        """Offset of the first prose line: what precedes it is the article's head (title,
        byline, dateline, view counters, page chrome), see :func:`body_start`."""
        return body_start(self.text)

    def in_head(self, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` lies in the head after its first line (the title)."""
        first_line_end = self.text.find("\n")
        return end <= self.body_start and start > first_line_end >= 0

    def page_at(self, offset: int) -> int | None:
        """1-based page holding the character at ``offset`` (None: no pages)."""
        if not self.pages:
            return None
        return max(1, bisect_right(self.pages, offset))

    @property
    def content_hash(self) -> str:
        """sha256 hex of the title and the text."""
        payload = f"{self.title}\x00{self.text}".encode()
        return hashlib.sha256(payload).hexdigest()


_PROSE_END = re.compile(r"[.!?…:;\"”)»]\s*$")
PROSE_MIN_WORDS = 8


def body_start(text: str) -> int:
    """Offset of the first prose line of ``text`` after its first line (the title): a line
    of at least ``PROSE_MIN_WORDS`` words that ends like a sentence. The lines between are a
    news page's head (byline "Hà Anh|14/12/2021 01:30", dateline "Đăng ngày 14 - 12 - 2021",
    "1,234 lượt xem", photo captions, menu items): metadata, not statements. 0 when no line
    qualifies."""
    lines = text.splitlines(keepends=True)
    pos = len(lines[0]) if lines else 0
    for line in lines[1:]:
        stripped = line.strip()
        if len(stripped.split()) >= PROSE_MIN_WORDS and _PROSE_END.search(stripped):
            return pos
        pos += len(line)
    return 0


def load_documents(paths: Iterable[str | Path] | str | Path) -> list[Document]:
    """Load files and folders (recursive, sorted); raise DocumentError on any bad input."""
    return unique_documents((file, load_file(file)) for file in list_files(paths))


def list_files(paths: Iterable[str | Path] | str | Path) -> list[Path]:
    """The supported files named by ``paths`` (folders recursively, sorted), each once, in
    the order they are loaded; DocumentError for a missing path or an unsupported file."""
    if isinstance(paths, str | Path):
        paths = [paths]
    return list(_unique(_expand(Path(p) for p in paths)))


def unique_documents(loaded: Iterable[tuple[Path, Sequence[Document]]]) -> list[Document]:
    """The documents of each (file, documents) in order; DocumentError on a document id
    that an earlier file (or line) already had."""
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for file, file_docs in loaded:
        for doc in file_docs:
            if doc.doc_id in seen:
                raise DocumentError(
                    f"{file}: duplicate document id {doc.doc_id!r} (also in {seen[doc.doc_id]})"
                )
            seen[doc.doc_id] = str(file)
            docs.append(doc)
    return docs


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if not path.exists():
            raise DocumentError(f"{path}: no such file or folder")
        if path.is_dir():
            files = sorted(
                f
                for f in path.rglob("*")
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(path).parts)
            )
            if not files:
                kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
                raise DocumentError(f"{path}: folder has no supported files ({kinds})")
            yield from files
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise DocumentError(f"{path}: unsupported file type {path.suffix!r} (use {kinds})")
        else:
            yield path


def _unique(files: Iterable[Path]) -> Iterator[Path]:
    """Drop a file named twice (e.g. a folder and a file inside it)."""
    seen: set[Path] = set()
    for file in files:
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            yield file


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not data:
        raise DocumentError(f"{path}: empty file")
    return data


def _read_text(path: Path) -> str:
    """Read ``path`` as strict UTF-8 (BOM stripped); reject empty and binary files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    skipped = len(_BOM) if data.startswith(_BOM) else 0
    data = data[skipped:]
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DocumentError(f"{path}: binary file (NUL byte at offset {nul + skipped}), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start + skipped})"
        ) from exc
    if not text.strip():
        raise DocumentError(f"{path}: empty file")
    return text


def _first_line(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if line.strip())


def load_file(path: Path) -> list[Document]:
    """The cleaned documents of one supported file (one, or one per JSONL line)."""
    suffix = path.suffix.lower()
    if suffix in BINARY_SUFFIXES:
        return [_from_loaded(path, _load_binary(path, suffix, _read_bytes(path)))]
    raw = _read_text(path)
    if suffix == ".jsonl":
        return _load_jsonl(path, raw)
    if suffix in {".html", ".htm"}:
        from rag.loaders.html import load_html

        return [_from_loaded(path, load_html(path, raw))]
    if suffix == ".md":
        marked = [
            (line.lstrip("#").strip(), len(line) - len(line.lstrip("#")))
            for line in raw.splitlines()
            if _MD_HEADING_RE.match(line)
        ]
        text = cleaned(_MD_HEADING_RE.sub("", raw), str(path))
        return [_from_loaded(path, Loaded(text=text, headings=locate_headings(text, marked)))]
    return [_from_loaded(path, Loaded(text=cleaned(raw, str(path))))]


def _load_binary(path: Path, suffix: str, data: bytes) -> Loaded:
    if suffix == ".pdf":
        from rag.loaders.pdf import load_pdf

        return load_pdf(path, data)
    from rag.loaders.docx import load_docx

    return load_docx(path, data)


def _from_loaded(path: Path, loaded: Loaded) -> Document:
    """A file's Document: its stated title (else first line) and date (else one in its head)."""
    date, source = dated(loaded.date, loaded.text, loaded.date_source)
    return Document(
        doc_id=path.stem,
        title=loaded.title or _first_line(loaded.text),
        text=loaded.text,
        source=path.name,
        date=date,
        url=loaded.url,
        date_source=source,
        pages=loaded.pages,
        headings=loaded.headings,
    )


def dated(stated: str | None, text: str, stated_in: str = "meta") -> tuple[str | None, str | None]:
    """(date, date_source): the stated ISO date, else a full date in the text's head."""
    if stated:
        return stated, stated_in
    found = extract_date(text)
    return (found, "text") if found else (None, None)


def _load_jsonl(path: Path, raw: str) -> list[Document]:
    docs: list[Document] = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if line.strip():
            docs.append(_jsonl_record(path, lineno, line))
    return docs


def _jsonl_record(path: Path, lineno: int, line: str) -> Document:
    where = f"{path}:{lineno}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{where}: malformed JSON line ({exc.msg})") from exc
    if not isinstance(obj, dict):
        raise DocumentError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    missing = [key for key in ("id", "title", "text") if key not in obj]
    if missing:
        raise DocumentError(f"{where}: missing required key(s) {', '.join(missing)}")
    for key in ("id", "title", "text"):
        if not isinstance(obj[key], str) or not obj[key].strip():
            raise DocumentError(f"{where}: {key!r} must be a non-empty string")
    for key in ("date", "url", "source"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise DocumentError(f"{where}: {key!r} must be a string or null")
    text = cleaned(obj["text"], where)
    date = obj.get("date")
    if date:
        iso = parse_date(date)
        if iso is None:
            raise DocumentError(f"{where}: 'date' {date!r} is not a valid date")
        date = iso
    date, source = dated(date, text)
    return Document(
        doc_id=obj["id"].strip(),
        title=normalize_text(obj["title"]).strip(),
        text=text,
        source=obj.get("source") or path.name,
        date=date,
        url=obj.get("url") or None,
        date_source=source,
    )
