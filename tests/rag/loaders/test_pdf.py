"""PDF reader on real PDFs (tests/fixtures, made by make_fixtures.py with reportlab):
reading order, running headers/footers, hyphenation, NFC, page starts, scans."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from rag.cleaning import clean_text
from rag.documents import load_documents
from rag.errors import DocumentError
from rag.loaders.pdf import join_lines, join_pages
from rag.textnorm import fold

FIXTURES = Path(__file__).parents[2] / "fixtures"
ARTICLES = FIXTURES / "articles"
SEEDS = Path(__file__).parents[3] / "seeds"


def seed_text(stem: str) -> str:
    (path,) = SEEDS.glob(f"{stem}_*.txt")
    return clean_text(path.read_text(encoding="utf-8"))


def paragraphs(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def raw_pages(path: Path) -> list[str]:
    """Each page's text as pypdf gives it, folded, lines and hyphenation joined."""
    pages = [page.extract_text() for page in PdfReader(path).pages]
    return [fold(re.sub(r"(?<=\w)-\n(?=\w)", "", p).replace("\n", " ")) for p in pages]


@pytest.mark.parametrize(
    ("name", "seed", "title", "date", "pages"),
    [
        # /Title metadata; the date is the one in the article head ("Thứ 3, 19/12/2023").
        ("ngoai-giao-32.pdf", "003", "Hội nghị ngoại giao lần thứ 32", "2023-12-19", 3),
        # /Title is reportlab's "untitled": the first line. States no date ("NĂM 2023").
        (
            "nhan-dan-2023.pdf",
            "004",
            "HỘI NGHỊ TOÀN QUỐC CÔNG TÁC ĐỐI NGOẠI NHÂN DÂN NĂM 2023",
            None,
            4,
        ),
    ],
)
def test_pdf_article(name: str, seed: str, title: str, date: str | None, pages: int) -> None:
    (doc,) = load_documents([ARTICLES / name])
    assert doc.doc_id == name.removesuffix(".pdf")
    assert doc.title == title
    assert doc.date == date
    assert doc.date_source == ("text" if date else None)
    # The article's paragraphs, in order, exactly: wrapped lines and the word hyphenated
    # at a line end rejoined, running header and "Trang N/M" / "N" footers gone.
    assert paragraphs(doc.text) == paragraphs(seed_text(seed))
    assert "\n\n".join(paragraphs(doc.text)) == doc.text
    assert unicodedata.is_normalized("NFC", doc.text)
    assert len(doc.pages) == pages and doc.pages[0] == 0
    assert list(doc.pages) == sorted(doc.pages)


def test_fixture_exercises_what_the_reader_must_undo() -> None:
    """The raw PDFs hold what the reader removes (so the test above can fail)."""
    reader = PdfReader(ARTICLES / "ngoai-giao-32.pdf")
    raw = [page.extract_text() for page in reader.pages]
    assert all(p.startswith("Tư liệu đối ngoại — Hội nghị ngoại giao lần thứ 32") for p in raw)
    assert [p.rstrip().splitlines()[-1] for p in raw] == ["Trang 1/3", "Trang 2/3", "Trang 3/3"]
    assert re.search(r"\w-\n\w", "".join(raw))  # one word split over two lines
    nfd = [page.extract_text() for page in PdfReader(ARTICLES / "nhan-dan-2023.pdf").pages]
    assert not unicodedata.is_normalized("NFC", nfd[0])  # written decomposed


@pytest.mark.parametrize("name", ["ngoai-giao-32.pdf", "nhan-dan-2023.pdf"])
def test_each_page_starts_where_its_pdf_page_does(name: str) -> None:
    (doc,) = load_documents([ARTICLES / name])
    raw = raw_pages(ARTICLES / name)
    ends = [*doc.pages[1:], len(doc.text)]
    for n, (start, end) in enumerate(zip(doc.pages, ends, strict=True), start=1):
        assert doc.page_at(start) == n and doc.page_at(end - 1) == n
        words = doc.text[start:end].split()
        head, tail = " ".join(words[:6]), " ".join(words[-6:])
        assert fold(head) in raw[n - 1], (n, head)
        assert fold(tail) in raw[n - 1], (n, tail)


def test_page_two_starts_mid_sentence() -> None:
    """A sentence running over the page break stays one paragraph; page 2 starts inside it."""
    (doc,) = load_documents([ARTICLES / "ngoai-giao-32.pdf"])
    start = doc.pages[1]
    assert doc.text[start - 1] == " "
    assert doc.text[start:].startswith("và trong nước có nhiều diễn biến phức tạp")


def test_scanned_pdf_is_one_clear_error() -> None:
    with pytest.raises(DocumentError) as info:
        load_documents([FIXTURES / "scan.pdf"])
    message = str(info.value)
    assert "\n" not in message
    assert "scan.pdf" in message and "no text layer" in message


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"PK\x03\x04 a zip, not a PDF", "not a PDF file"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "not a readable PDF"),
        (b"", "empty file"),
    ],
)
def test_broken_pdf_is_one_clear_error(tmp_path: Path, data: bytes, needle: str) -> None:
    path = tmp_path / "hong.pdf"
    path.write_bytes(data)
    with pytest.raises(DocumentError) as info:
        load_documents([path])
    message = str(info.value)
    assert "\n" not in message and "hong.pdf" in message and needle in message


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("đồng chí Ngu-", "yễn Phú Trọng", "đồng chí Nguyễn Phú Trọng"),  # hyphenation
        ("kinh tế -", "xã hội", "kinh tế - xã hội"),  # a dash between words stays
        ("giai đoạn 2022-", "2023", "giai đoạn 2022- 2023"),  # not a word split
        ("Hội nghị APEC-", "Việt Nam", "Hội nghị APEC- Việt Nam"),  # capital: a compound
        ("hội nghị", "ngoại giao", "hội nghị ngoại giao"),
    ],
)
def test_join_lines(left: str, right: str, joined: str) -> None:
    assert join_lines(left, right) == joined


def test_join_pages_offsets() -> None:
    pages = ["Trang một kết thúc.", "", "Trang ba tiếp tục câu", "của trang ba và hết.", ""]
    text, starts = join_pages(pages)
    assert text == "Trang một kết thúc.\n\nTrang ba tiếp tục câu của trang ba và hết."
    assert starts == (0, 21, 21, 43, len(text))  # an empty page starts where the next does
    assert text[starts[3] :] == pages[3]
    assert text[starts[2] :].startswith(pages[2])
