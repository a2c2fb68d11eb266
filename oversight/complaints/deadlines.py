"""Deadlines in working days, counted on Asia/Shanghai dates, as the State Council's calendar sets them.

A complaint received on any day (a weekend too) is due by the end of the Nth working day after that day:
received on a Friday, one working day means the end of Monday. The deadline is kept as the instant that day
ends in Asia/Shanghai (midnight that starts the next day), so "late" is a plain comparison of instants.
Public holidays and the weekend days worked in lieu (调休) move every year with the State Council's notice:
the ``chinesecalendar`` package carries them (a new release follows each notice). For a year the installed
release does not know yet, working days are Monday to Friday until it is upgraded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from core.clock import SHANGHAI, shanghai_date

DEFAULT_ACKNOWLEDGE_DAYS = 1
DEFAULT_DECIDE_DAYS = 7


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in mainland China: not a public holiday, and a weekday or a weekend
    day worked in lieu; Monday to Friday for a year whose calendar is not published in the installed data."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day``; ``day`` itself for 0."""
    current = day
    added = 0
    while added < count:
        current += timedelta(days=1)
        if is_working_day(current):
            added += 1
    return current


def end_of_day(day: date) -> datetime:
    """The UTC instant the Asia/Shanghai day ``day`` ends (the next day's midnight there)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=SHANGHAI).astimezone(UTC)


def due_after(received_at: datetime, working_days: int) -> datetime:
    """The deadline ``working_days`` working days after the Asia/Shanghai day of ``received_at``."""
    return end_of_day(add_working_days(shanghai_date(received_at), max(0, int(working_days))))


def month_key(moment: datetime) -> int:
    """The Asia/Shanghai month of ``moment`` as ``YYYYMM``."""
    day = shanghai_date(moment)
    return day.year * 100 + day.month
