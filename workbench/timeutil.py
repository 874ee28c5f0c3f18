"""Clock times as minutes after midnight, and the horizon's dates."""

from __future__ import annotations

import re
from datetime import date, timedelta

from .contract import WEEKDAYS

__all__ = ["WEEKDAYS", "format_time", "horizon_dates", "parse_date", "parse_time"]
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")


def parse_time(text: str) -> int | None:
    """``"HH:MM"`` (``00:00``..``24:00``) to minutes after midnight, or None if malformed."""
    m = _TIME.match(text.strip())
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    if mi >= 60 or h > 24 or (h == 24 and mi != 0):
        return None
    return h * 60 + mi


def format_time(minutes: int) -> str:
    """Minutes after midnight to ``"HH:MM"``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_date(text: str) -> date | None:
    """``"YYYY-MM-DD"`` to a date, or None if malformed."""
    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def horizon_dates(start: date, weeks: int) -> list[date]:
    """Every date of the horizon, in order."""
    return [start + timedelta(days=i) for i in range(7 * weeks)]

