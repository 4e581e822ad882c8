"""extract_date on the seeds and on the header formats Vietnamese news sites use."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.cleaning import clean_text
from rag.dates import extract_date, parse_date

SEEDS = Path(__file__).parents[2] / "seeds"
EXPECTED = {
    "000": "2021-12-14",
    "001": "2021-12-14",
    "002": "2021-12-14",
    "003": "2023-12-19",
    # Seed 004 only says "năm 2023" / "năm 2022-2023": no full date, so none is invented.
    "004": None,
}


@pytest.mark.parametrize(("seed", "expected"), sorted(EXPECTED.items()))
def test_seed_dates(seed: str, expected: str | None) -> None:
    (path,) = SEEDS.glob(f"{seed}_*.txt")
    raw = path.read_text(encoding="utf-8")
    assert extract_date(raw) == expected
    assert extract_date(clean_text(raw)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/12/2021", "2021-12-14"),
        ("Đăng ngày 14 - 12 - 2021", "2021-12-14"),
        ("Thứ 3, 19/12/2023 | 15:18:15", "2023-12-19"),
        ("Hà Anh|14/12/2021 01:30", "2021-12-14"),
        ("ngày 14 tháng 12 năm 2021", "2021-12-14"),
        ("Hà Nội, Ngày 5 Tháng 1 Năm 2022", "2022-01-05"),
        ("NGÀY 14 THÁNG 12 NĂM 2021", "2021-12-14"),
        ("ngay 14 thang 12 nam 2021", "2021-12-14"),
        ("Cập nhật: 1/2/2023 08:00", "2023-02-01"),
        ("14.12.2021", "2021-12-14"),
        ("14-12-2021", "2021-12-14"),
        ("2021-12-14", "2021-12-14"),
        ("2021-12-14T08:00:00+07:00", "2021-12-14"),
        ("Thứ Hai, 29/02/2024", "2024-02-29"),
    ],
)
def test_formats(text: str, expected: str) -> None:
    assert extract_date(text) == expected
    assert extract_date(f"Tiêu đề bài viết\n\n{text}\n\nNội dung bài viết.") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Không có ngày tháng nào cả",
        "Hội nghị toàn quốc năm 2023",  # year only
        "Hôm nay (14/12), lần đầu diễn ra",  # day/month only
        "31/02/2021",  # invalid day
        "29/02/2023",  # not a leap year
        "14/13/2021",  # invalid month
        "ngày 32 tháng 1 năm 2021",
        "giai đoạn 2016 - 2021",  # a year range
        "123/12/2021",  # not a day
    ],
)
def test_no_date(text: str) -> None:
    assert extract_date(text) is None


def test_first_date_near_the_top_wins() -> None:
    text = "Tiêu đề\nĐăng ngày 14/12/2021\n\nChỉ thị số 35-CT/TW ngày 30/5/2019 của Bộ Chính trị."
    assert extract_date(text) == "2021-12-14"
    same_line = "Cập nhật 15/12/2021, đăng 14/12/2021"
    assert extract_date(same_line) == "2021-12-15"


def test_invalid_date_skipped_for_next_valid_one() -> None:
    assert extract_date("Mã 99/99/2021\nĐăng ngày 14/12/2021") == "2021-12-14"


def test_date_deep_in_the_body_is_not_the_article_date() -> None:
    body = "\n".join(f"Đoạn văn số {i} của bài viết." for i in range(20))
    assert extract_date(f"Tiêu đề\n{body}\nNgày 14/12/2021") is None


def test_parse_date() -> None:
    assert parse_date("2021-12-14") == "2021-12-14"
    assert parse_date("14/12/2021") == "2021-12-14"
    assert parse_date("yesterday") is None
    assert parse_date("2021-02-30") is None
