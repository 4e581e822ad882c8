"""DOCX reader on real .docx files (tests/fixtures, made by make_fixtures.py with
python-docx): paragraphs, headings, tables, title, and no date from the file's properties."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from rag.documents import load_documents
from rag.errors import DocumentError

ARTICLES = Path(__file__).parents[2] / "fixtures" / "articles"


def test_title_from_core_properties_date_from_the_article_head() -> None:
    (doc,) = load_documents([ARTICLES / "doi-ngoai-2021.docx"])
    assert doc.doc_id == "doi-ngoai-2021"
    assert doc.title == "Hội nghị đối ngoại toàn quốc năm 2021"  # core properties
    assert doc.text.startswith(
        "Hội nghị đối ngoại toàn quốc triển khai Nghị quyết Đại hội XIII của Đảng\n\n14/12/2021"
    )
    assert (doc.date, doc.date_source) == ("2021-12-14", "text")
    assert doc.pages == () and doc.page_at(0) is None


def test_headings_and_tables_in_body_order() -> None:
    (doc,) = load_documents([ARTICLES / "doi-ngoai-2021.docx"])
    table = (
        "Thành phần tham dự\n\n"
        "Chức vụ | Họ tên\n"
        "Tổng Bí thư | Nguyễn Phú Trọng\n"
        "Chủ tịch nước | Nguyễn Xuân Phúc\n"
        "Thủ tướng Chính phủ | Phạm Minh Chính\n\n"
    )
    assert table in doc.text
    # after the first two paragraphs, before the rest of the article
    assert doc.text.index("Sáng ngày 14/12") < doc.text.index(table)
    assert doc.text.index(table) < doc.text.index("Tham dự Hội nghị trực tiếp")


def test_first_heading_is_the_title_and_file_dates_are_not_the_article_date() -> None:
    path = ARTICLES / "nhan-dan-2023-word.docx"
    properties = docx.Document(str(path)).core_properties
    assert not properties.title and properties.created is not None  # what the file says
    (doc,) = load_documents([path])
    assert doc.title == "HỘI NGHỊ TOÀN QUỐC CÔNG TÁC ĐỐI NGOẠI NHÂN DÂN NĂM 2023"
    assert doc.date is None and doc.date_source is None  # "NĂM 2023" is not a date
    assert "Ban Đối ngoại Trung ương | Nguyễn Thị Hoàng Vân" in doc.text


def test_merged_cells_once(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Danh sách đại biểu dự hội nghị đối ngoại toàn quốc năm 2021.")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Đại biểu"
    for c, text in enumerate(["Họ tên", "Chức vụ", "Đơn vị"]):
        table.cell(1, c).text = text
    document.save(str(tmp_path / "bang.docx"))
    (doc,) = load_documents([tmp_path / "bang.docx"])
    assert doc.text.endswith("\n\nĐại biểu\nHọ tên | Chức vụ | Đơn vị")
    assert doc.title == "Danh sách đại biểu dự hội nghị đối ngoại toàn quốc năm 2021."


@pytest.mark.parametrize(
    ("data", "needle"),
    [(b"PK\x03\x04 broken zip", "not a readable .docx"), (b"plain text", "not a readable")],
)
def test_broken_docx_is_one_clear_error(tmp_path: Path, data: bytes, needle: str) -> None:
    path = tmp_path / "hong.docx"
    path.write_bytes(data)
    with pytest.raises(DocumentError) as info:
        load_documents([path])
    message = str(info.value)
    assert "\n" not in message and "hong.docx" in message and needle in message


def test_docx_without_text(tmp_path: Path) -> None:
    docx.Document().save(str(tmp_path / "trong.docx"))
    with pytest.raises(DocumentError, match=r"trong\.docx: the document has no text"):
        load_documents([tmp_path / "trong.docx"])
