"""Dates as people in China count them: periods and validity are Asia/Shanghai calendar days."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from core.db import FIXED_NOW, utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_date(moment: datetime | None = None) -> date:
    """The Asia/Shanghai calendar date of ``moment`` (default: now)."""
    return (moment or utcnow()).astimezone(SHANGHAI).date()


@contextmanager
def clock_at(moment: datetime) -> Iterator[datetime]:
    """Make :func:`core.db.utcnow` answer ``moment`` (timezone-aware) inside the block, in this context only.

    For writing past events through the services as they happened (the demo's history); requests never use
    it. Blocks nest: the outer moment comes back on leaving.
    """
    if moment.tzinfo is None:
        raise ValueError("clock_at needs a timezone-aware moment")
    token = FIXED_NOW.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        FIXED_NOW.reset(token)
