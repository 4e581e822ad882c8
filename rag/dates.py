"""Publication date of an article, read from the header lines at its top."""

from __future__ import annotations

import re
from datetime import date

from rag.textnorm import fold

# Only the first few non-empty lines (title, byline, date) are searched: a date deeper in
# the body is usually an event date, not the article's.
HEADER_LINES = 8

_PATTERNS: tuple[tuple[re.Pattern[str], tuple[int, int, int]], ...] = (
    # 14/12/2021, 14-12-2021, 14.12.2021, "14 - 12 - 2021"
    (
        re.compile(r"(?<!\d)(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4})(?!\d)"),
        (4, 3, 1),
    ),
    # 2021-12-14, 2021/12/14
    (re.compile(r"(?<!\d)(\d{4})([/-])(\d{1,2})\2(\d{1,2})(?!\d)"), (1, 3, 4)),
    # ngày 14 tháng 12 năm 2021 (matched on the folded, accent-free line)
    (
        re.compile(r"(?<!\d)(\d{1,2})\s+thang\s+(\d{1,2})\s*,?\s+nam\s+(\d{4})(?!\d)"),
        (3, 2, 1),
    ),
)


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _dates_in(line: str) -> list[tuple[int, str]]:
    """Every valid date in ``line`` with its position."""
    found: list[tuple[int, str]] = []
    for pattern, (y, m, d) in _PATTERNS:
        for match in pattern.finditer(line):
            iso = _valid(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            if iso is not None:
                found.append((match.start(), iso))
    return found


def extract_date(text: str) -> str | None:
    """ISO date (YYYY-MM-DD) of the first valid full date in the header lines, else None.

    A bare year ("năm 2023") or day/month without a year ("14/12") is not a date.
    """
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_LINES]
    for line in lines:
        found = _dates_in(fold(line))
        if found:
            return min(found)[1]
    return None


def parse_date(value: str) -> str | None:
    """ISO date from one date string in any supported format, or None."""
    found = _dates_in(fold(value))
    return min(found)[1] if found else None
