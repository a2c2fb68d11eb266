"""Dates as people in China count them: periods and validity are Asia/Shanghai calendar days."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.db import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_date(moment: datetime | None = None) -> date:
    """The Asia/Shanghai calendar date of ``moment`` (default: now)."""
    return (moment or utcnow()).astimezone(SHANGHAI).date()
