"""clean_text on the real seeds (every rule) and on small synthetic pages."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from rag.cleaning import clean_text
from rag.textnorm import normalize_text

SEEDS = Path(__file__).parents[2] / "seeds"
SEED_IDS = ["000", "001", "002", "003", "004"]

# Hand-checked: the raw line (prefix) where the real article ends and the page tail starts.
ARTICLE_END = {"000": None, "001": "Bài liên quan", "002": "Tin mới nhất", "003": "Văn Ngọc"}
# Hand-checked number of article prose lines (>= 8 words) before that point.
PROSE_COUNT = {"000": 12, "001": 9, "002": 22, "003": 6, "004": 14}
# Hand-checked long lines that look like prose but are page widgets (asserted removed below).
NOT_PROSE = {"Theo dõi Môi trường & Cuộc sống trên"}
# Short article lines (titles, dates, captions, bylines) that must survive too.
SHORT_KEPT = {
    "000": ["14/12/2021"],
    "001": ["Hà Anh|14/12/2021 01:30", "Hà Anh"],
    "002": ["Đăng ngày 14 - 12 - 2021", "(Nguồn ảnh: chinhphu.vn)"],
    "003": ["Thứ 3, 19/12/2023 | 15:18:15", "Văn Ngọc"],
    "004": ["Toàn cảnh Hội nghị"],
}
TITLES = {
    "000": "Hội nghị đối ngoại toàn quốc triển khai Nghị quyết Đại hội XIII của Đảng",
    "001": "Hôm nay (14/12), lần đầu diễn ra Hội nghị Đối ngoại toàn quốc",
    "002": "Hội nghị trực tuyến đối ngoại toàn quốc triển khai thực hiện Nghị quyết",
    "003": "Xây dựng nền ngoại giao toàn diện, hiện đại, vững mạnh",
    "004": "HỘI NGHỊ TOÀN QUỐC CÔNG TÁC ĐỐI NGOẠI NHÂN DÂN NĂM 2023",
}
LAST_LINES = {
    "000": "và sự ủng hộ của cộng đồng quốc tế.",
    "001": "Hà Anh",
    "002": "thực hiện thắng lợi Nghị quyết Đại hội lần thứ XIII của Đảng.",
    "003": "Văn Ngọc",
    "004": "Các đại biểu tham dự Hội nghị chụp ảnh lưu niệm",
}


def raw_seed(seed: str) -> str:
    (path,) = SEEDS.glob(f"{seed}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cleaned() -> dict[str, str]:
    return {seed: clean_text(raw_seed(seed)) for seed in SEED_IDS}


def _canon(line: str) -> str:
    return " ".join(normalize_text(line).split())


def prose_lines(raw: str, end: str | None) -> list[str]:
    """Raw lines of article prose: >= 8 words, before the hand-checked end of the article."""
    lines: list[str] = []
    for line in raw.splitlines():
        if end is not None and line.startswith(end):
            break
        if len(line.split()) >= 8 and line.strip() not in NOT_PROSE:
            lines.append(line)
    return lines


def missing_lines(expected: list[str], cleaned_text: str) -> list[str]:
    """Expected lines that are not a whole line of the cleaned text (after normalisation)."""
    have = {_canon(line) for line in cleaned_text.splitlines()}
    return [line for line in expected if _canon(line) not in have]


# --- no article sentence is lost ---------------------------------------------------------


@pytest.mark.parametrize("seed", SEED_IDS)
def test_no_article_prose_is_lost(seed: str, cleaned: dict[str, str]) -> None:
    prose = prose_lines(raw_seed(seed), ARTICLE_END.get(seed))
    assert len(prose) == PROSE_COUNT[seed]
    assert missing_lines(prose, cleaned[seed]) == []


@pytest.mark.parametrize("seed", SEED_IDS)
def test_short_article_lines_are_kept(seed: str, cleaned: dict[str, str]) -> None:
    assert missing_lines(SHORT_KEPT[seed], cleaned[seed]) == []


@pytest.mark.parametrize("seed", SEED_IDS)
def test_lost_check_can_fail(seed: str, cleaned: dict[str, str]) -> None:
    """The checker above notices a dropped paragraph (guards against a vacuous test)."""
    prose = prose_lines(raw_seed(seed), ARTICLE_END.get(seed))
    victim = _canon(prose[len(prose) // 2])
    broken = "\n".join(line for line in cleaned[seed].splitlines() if _canon(line) != victim)
    assert missing_lines(prose, broken) == [prose[len(prose) // 2]]
    truncated = cleaned[seed].splitlines()[0] + "\n" + cleaned[seed].splitlines()[1][:-5]
    assert missing_lines(prose, truncated)


# --- structure ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEED_IDS)
def test_title_first_and_tail_last(seed: str, cleaned: dict[str, str]) -> None:
    lines = cleaned[seed].splitlines()
    assert lines[0].startswith(TITLES[seed])
    assert lines[-1].endswith(LAST_LINES[seed])


@pytest.mark.parametrize("seed", SEED_IDS)
def test_tidy_output(seed: str, cleaned: dict[str, str]) -> None:
    text = cleaned[seed]
    assert unicodedata.is_normalized("NFC", text)
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert "\r" not in text and "\u00a0" not in text and "\t" not in text
    assert all(line == line.strip() for line in text.splitlines())
    assert "  " not in text
    # one tone-mark convention
    words = set(re.findall(r"\w+", text))
    assert not words & {"Uỷ", "uỷ", "hoà", "hoá", "khoá", "thuỷ", "khoẻ"}


@pytest.mark.parametrize("seed", ["000", "001", "002", "003"])
def test_paragraph_breaks_kept(seed: str, cleaned: dict[str, str]) -> None:
    assert cleaned[seed].count("\n\n") >= 4


@pytest.mark.parametrize("seed", SEED_IDS)
def test_idempotent(seed: str, cleaned: dict[str, str]) -> None:
    assert clean_text(cleaned[seed]) == cleaned[seed]


def test_seed_004_only_normalised(cleaned: dict[str, str]) -> None:
    raw = raw_seed("004")
    assert "Uỷ ban" in raw
    assert cleaned["004"] == normalize_text(raw).strip()


# --- every boilerplate rule, on the real seeds -------------------------------------------


@pytest.mark.parametrize(
    ("seed", "gone"),
    [
        # navigation / UI words
        ("000", "Skip Ribbon Commands"),
        ("000", "Skip to main content"),
        ("000", "Sign In"),
        # image file names
        ("000", "doingoai2.jpg"),
        ("000", "DienHong"),
        ("000", "IMG-1362.JPG"),
        ("000", ".jpg"),
        # byline widgets, related block
        ("001", "Theo dõi Môi trường & Cuộc sống trên"),
        ("001", "Bài liên quan"),
        ("001", "Bình luận"),
        ("001", "Nổi bật"),
        ("001", "Đừng bỏ lỡ"),
        ("001", "Ảnh minh họa"),
        # zoom widget, latest-news list, teaser headlines, polls
        ("002", "100%"),
        ("002", "Tin mới nhất"),
        ("002", "UBND tỉnh họp phiên thường kỳ"),
        ("002", "UBND tỉnh tổ chức Phiên họp tháng 3"),
        ("002", "Chủ tịch UBND tỉnh ban hành Chỉ thị"),
        ("002", "Liên hiệp các Hội Khoa học và Kỹ thuật"),
        ("002", "2024"),
        ("002", "9:41 SA"),
        ("002", "Chỉ đạo điều hành"),
        ("002", "Văn bản mới"),
        ("002", "Đánh giá của bạn"),
        ("002", "người đã bình chọn"),
        ("002", "người đang online"),
        ("002", "°"),
        # counters, tags, unrelated trailing articles
        ("003", "lượt xem"),
        ("003", "1,234"),
        ("003", "Từ khóa"),
        ("003", "•"),
        ("003", "HĐND huyện Vũ Thư"),
        ("003", "Góp ý kiến dự thảo Chỉ thị"),
        ("003", "Sáng 26/4"),
        ("003", "Mai Văn"),
    ],
)
def test_boilerplate_removed(seed: str, gone: str, cleaned: dict[str, str]) -> None:
    assert gone in raw_seed(seed)
    assert gone not in cleaned[seed]


def test_trailing_xem_and_lone_symbols_removed(cleaned: dict[str, str]) -> None:
    assert raw_seed("000").rstrip().endswith("Xem")
    assert not cleaned["000"].endswith("Xem")
    assert "\n<\n" in raw_seed("002")
    assert "<" not in cleaned["002"]


def test_title_not_repeated_at_end(cleaned: dict[str, str]) -> None:
    assert raw_seed("001").count(TITLES["001"]) == 2
    assert cleaned["001"].count(TITLES["001"]) == 1


# --- the same rules on synthetic pages ---------------------------------------------------

PROSE = "Hội nghị đã thảo luận nhiều nội dung quan trọng về công tác đối ngoại của đất nước."
PROSE2 = "Các đại biểu thống nhất nâng cao hiệu quả phối hợp giữa các cơ quan trong thời gian tới."


@pytest.mark.parametrize(
    "junk",
    [
        "anh-01.png",
        "Photo 2023.WEBP",
        "12.345 lượt xem",
        "7 lượt thích",
        "(3) Bình luận",
        "5 người đang online",
        "88%",
        "Đăng nhập",
        "Chia sẻ",
        "Theo dõi Báo Nhân Dân trên Google News",
        "Một tin khác của chuyên mục...(01/02/2024 10:39 SA)",
        "***",
    ],
)
def test_general_rules_drop_junk_line(junk: str) -> None:
    page = f"Tiêu đề bài\n\n{PROSE}\n{junk}\n{PROSE2}"
    assert clean_text(page) == f"Tiêu đề bài\n\n{PROSE}\n{PROSE2}"


@pytest.mark.parametrize(
    "header", ["Tin liên quan", "Tin cùng chuyên mục:", "TIN KHÁC", "Bài viết liên quan"]
)
def test_trailing_block_cut(header: str) -> None:
    page = f"Tiêu đề\n\n{PROSE}\n\n{header}\n\n{PROSE2}\nMột bài khác (12/01/2024)"
    assert clean_text(page) == f"Tiêu đề\n\n{PROSE}"


def test_tag_line_keeps_byline() -> None:
    page = f"Tiêu đề\n\n{PROSE}\n\nMinh Anh • Từ khóa\nHội nghị\n{PROSE2}"
    assert clean_text(page) == f"Tiêu đề\n\n{PROSE}\n\nMinh Anh"


def test_repeated_headline_starts_teaser_list() -> None:
    teaser = "UBND huyện tổ chức kỳ họp thường lệ cuối năm"
    page = f"Tiêu đề\n\n{PROSE}\n\n{PROSE2}\n\n{teaser}\n{teaser}\n\nTóm tắt bài khác rất dài..."
    assert clean_text(page) == f"Tiêu đề\n\n{PROSE}\n\n{PROSE2}"


def test_prose_mentioning_ui_words_is_kept() -> None:
    lines = [
        "Tiêu đề",
        "Hà Anh|(14/12/2021 01:30)",
        "Sản lượng tăng 100% so với cùng kỳ năm trước theo báo cáo của tỉnh.",
        "Xem xét kỹ các nội dung, Hội nghị đã thống nhất ban hành nghị quyết.",
        "Tin mới nhất cho biết hội nghị sẽ được tổ chức tại Hà Nội vào tuần tới.",
        "Ảnh: hình ảnh tư liệu hoi-nghi.jpg được đăng kèm bài viết này.",
    ]
    assert clean_text("\n".join(lines)) == "\n".join(lines)


def test_whitespace_and_line_endings() -> None:
    page = (
        "Tiêu đề  \r\n\r\n\r\n\r\nDòng\u00a0một\tcó   khoảng trắng\u200b.  \rDòng hai\u00a0\n\n\n"
    )
    assert clean_text(page) == "Tiêu đề\n\nDòng một có khoảng trắng.\nDòng hai"


def test_normalises_tone_marks() -> None:
    assert clean_text("Uỷ ban hoà bình\n\nSức khoẻ") == "Ủy ban hòa bình\n\nSức khỏe"


def test_only_boilerplate_gives_empty() -> None:
    assert clean_text("Skip to main content\nSign In\n\n100%\nXem\n") == ""
    assert clean_text("") == ""
