"""HTML reader: title and date from the page's metadata, boilerplate never in the title or
the text, no invented dates (tests/fixtures pages made from the seeds, and small pages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.documents import load_documents
from rag.loaders.html import strip_site_suffix

ARTICLES = Path(__file__).parents[2] / "fixtures" / "articles"
BOILERPLATE = (
    "Phím tắt",  # hidden help pop-up (aria-hidden, display:none)
    "Keyboard shortcuts",  # <dialog>
    "bảo trì",  # <div hidden>
    "Trang chủ",  # <nav>
    "Cổng thông tin",  # page <header> and <footer>
    "Bài khác",  # <aside>
    "Script title",  # <script>
    "©",
)


@pytest.mark.parametrize(
    ("name", "title", "date"),
    [
        # og:title; <time datetime="2021-12-14T01:30:00+07:00"> in the article
        (
            "lan-dau-2021.html",
            "Hôm nay (14/12), lần đầu diễn ra Hội nghị Đối ngoại toàn quốc",
            "2021-12-14",
        ),
        # <title> without " - Báo Thái Bình điện tử"; JSON-LD datePublished
        (
            "ngoai-giao-32-web.html",
            "Xây dựng nền ngoại giao toàn diện, hiện đại, vững mạnh, thực hiện thắng lợi "
            "Nghị quyết Đại hội XIII của Đảng",
            "2023-12-19",
        ),
        # states no date: only "NĂM 2023" (and "© 2024" in the footer)
        ("nhan-dan-2023-web.html", "HỘI NGHỊ TOÀN QUỐC CÔNG TÁC ĐỐI NGOẠI NHÂN DÂN NĂM 2023", None),
    ],
)
def test_seed_pages(name: str, title: str, date: str | None) -> None:
    (doc,) = load_documents([ARTICLES / name])
    assert doc.title == title
    assert doc.text.startswith(title + "\n\n")
    assert doc.date == date
    assert doc.date_source == ("meta" if date else None)
    for junk in BOILERPLATE:
        assert junk not in doc.title and junk not in doc.text, junk


def test_canonical_url() -> None:
    (doc,) = load_documents([ARTICLES / "lan-dau-2021.html"])
    assert doc.url == "https://moitruong.net.vn/doi-ngoai-lan-dau.html"


MANUAL_PAGE = """<!DOCTYPE html><html><head><title>Importing documents | Acme Manual</title>
</head><body>
<div class="modal" role="dialog" aria-modal="true"><h1>Keyboard shortcuts</h1>
<p>Press ? to open this help. Press / to search the manual.</p></div>
<div class="sidebar" role="navigation"><h2>Contents</h2><ul><li>Installing</li></ul></div>
<main><h1>Importing documents</h1>
<p>Choose File, then Import, and pick the folder that holds your documents.</p>
<p>Every file in the folder is read, converted and added to the library in one step.</p>
</main></body></html>"""


@pytest.mark.parametrize("head", ["<title>Importing documents | Acme Manual</title>", ""])
def test_manual_page_title_is_not_a_hidden_popup_heading(tmp_path: Path, head: str) -> None:
    """The issue's software-manual pages: a help pop-up's heading came first (without a
    <title>, trafilatura alone titles this page "Keyboard shortcuts")."""
    path = tmp_path / "import.html"
    page = MANUAL_PAGE.replace("<title>Importing documents | Acme Manual</title>", head)
    path.write_text(page, encoding="utf-8")
    (doc,) = load_documents([path])
    assert doc.title == "Importing documents"
    assert "Keyboard shortcuts" not in doc.text and "Press ?" not in doc.text
    assert "Contents" not in doc.text
    assert "Choose File, then Import" in doc.text
    assert doc.date is None


def test_h1_when_no_title_metadata(tmp_path: Path) -> None:
    path = tmp_path / "h1.html"
    path.write_text(
        "<html><body><div hidden><h1>Ẩn</h1></div><h1>Hội nghị ngoại giao</h1><p>"
        "Hội nghị ngoại giao lần thứ 32 diễn ra tại Hà Nội với sự tham dự của nhiều đại "
        "biểu.</p></body></html>",
        encoding="utf-8",
    )
    (doc,) = load_documents([path])
    assert doc.title == "Hội nghị ngoại giao"
    assert "Ẩn" not in doc.text


def test_meta_date_beats_the_text(tmp_path: Path) -> None:
    path = tmp_path / "meta.html"
    path.write_text(
        '<html><head><meta property="article:published_time" content="2023-12-20T07:00:00Z">'
        "<title>Tin</title></head><body><article><p>Sáng 19/12/2023, hội nghị ngoại giao lần "
        "thứ 32 khai mạc tại Hà Nội với sự tham dự của nhiều đại biểu.</p>"
        '<time datetime="2023-12-18">18/12</time></article></body></html>',
        encoding="utf-8",
    )
    (doc,) = load_documents([path])
    assert (doc.date, doc.date_source) == ("2023-12-20", "meta")


def test_date_from_the_text_head_when_no_metadata(tmp_path: Path) -> None:
    path = tmp_path / "text.html"
    path.write_text(
        "<html><body><h1>Hội nghị</h1><p>Hà Nội, ngày 19 tháng 12 năm 2023</p><p>Hội nghị "
        "ngoại giao lần thứ 32 khai mạc tại Hà Nội với sự tham dự của nhiều đại biểu.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    (doc,) = load_documents([path])
    assert (doc.date, doc.date_source) == ("2023-12-19", "text")


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Hội nghị đối ngoại | Báo Ví Dụ", None, "Hội nghị đối ngoại"),
        ("Hội nghị đối ngoại toàn quốc - VnExpress", None, "Hội nghị đối ngoại toàn quốc"),
        ("Hội nghị đối ngoại | Thời sự | Báo Ví Dụ", None, "Hội nghị đối ngoại | Thời sự"),
        ("Báo Ví Dụ | Hội nghị đối ngoại", "Báo Ví Dụ", "Hội nghị đối ngoại"),
        ("Hội nghị - Báo Ví Dụ", "Báo ví dụ", "Hội nghị"),
        ("Kinh tế - xã hội năm 2023", "Báo Ví Dụ", "Kinh tế - xã hội năm 2023"),  # site known
        ("Hội nghị: những điểm mới", None, "Hội nghị: những điểm mới"),
        ("Ngắn - Một phần sau dài hơn nhiều", None, "Ngắn - Một phần sau dài hơn nhiều"),
        ("Không có dấu phân cách", None, "Không có dấu phân cách"),
        ("Phát triển kinh tế - xã hội", None, "Phát triển kinh tế - xã hội"),  # not a site
    ],
)
def test_strip_site_suffix(title: str, site: str | None, expected: str) -> None:
    assert strip_site_suffix(title, site) == expected


def test_byline_date_outside_the_main_text(tmp_path: Path) -> None:
    """A date written under the headline, in a byline the main text leaves out."""
    path = tmp_path / "byline.html"
    path.write_text(
        "<html><body><div class='head'><h1>Hội nghị ngoại giao lần thứ 32</h1>"
        "<div class='meta'><span>Văn Ngọc</span> <span>Thứ 3, 19/12/2023 | 15:18</span></div>"
        "</div><article><p>Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng dự và phát biểu chỉ đạo "
        "tại Hội nghị ngoại giao lần thứ 32.</p><p>Hội nghị được tổ chức trực tuyến tới các "
        "điểm cầu trong cả nước.</p></article>"
        "<div class='footer-note'>Cập nhật 01/01/2024</div></body></html>",
        encoding="utf-8",
    )
    (doc,) = load_documents([path])
    assert (doc.date, doc.date_source) == ("2023-12-19", "text")


def test_no_byline_date_from_far_below_the_headline(tmp_path: Path) -> None:
    filler = "".join(f"<p>Đoạn {i} nói về công tác đối ngoại nhân dân.</p>" for i in range(12))
    path = tmp_path / "far.html"
    path.write_text(
        f"<html><body><h1>HỘI NGHỊ ĐỐI NGOẠI NHÂN DÂN NĂM 2023</h1>{filler}"
        "<p>Tin cũ ngày 01/01/2020</p></body></html>",
        encoding="utf-8",
    )
    (doc,) = load_documents([path])
    assert doc.date is None and doc.date_source is None
