"""Dates as people write them in a form or a profile: 2026-12-15, 2026年12月15日, 12/15/2026, or without a year,
12月15日."""

from __future__ import annotations

import re
from datetime import date

_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_US = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4}|\d{2})")
"""12/15/2026 or 12/15/26: month, day, year, as dates are written in the US (a two-digit year is 20xx)."""
_MONTH_DAY = re.compile(r"(\d{1,2})\s*(?:月|[-/])\s*(\d{1,2})\s*[日号]?")


def parse_date(text: str, today: date | None = None) -> date | None:
    """A calendar date written 2026-12-15, 2026/12/15, 2026.12.15 or 2026年12月15日; without a year (12月15日,
    12-15, 12/15) the next such day from `today` on; 12/15/2026 (or 12/15/26) is month, day, year, as in the US.
    None if it is not a date."""
    m = _FULL.fullmatch(text.strip())
    try:
        if m is not None:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = _US.fullmatch(text.strip())
        if m is not None:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return date(year, int(m[1]), int(m[2]))
        m = _MONTH_DAY.fullmatch(text.strip())
        if m is None:
            return None
        today = today or date.today()
        month, day = int(m[1]), int(m[2])
        for year in range(today.year, today.year + 5):  # 2月29日: the next leap year
            try:
                candidate = date(year, month, day)
            except ValueError:
                if not (month == 2 and day == 29):
                    raise
                continue
            if candidate >= today:
                return candidate
        return None
    except ValueError:
        return None


def looks_like_date(text: str) -> bool:
    """Whether the text is written as a date (real or not): 2026-13-01 and 2月30日 look like dates, 下月15日 not."""
    t = text.strip()
    return bool(_FULL.fullmatch(t) or _US.fullmatch(t) or _MONTH_DAY.fullmatch(t))
