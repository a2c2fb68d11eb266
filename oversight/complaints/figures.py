"""Public figures: complaints received per county and Asia/Shanghai month, how many were handled on time
(acknowledged and decided before both deadlines) and their outcomes.

One GROUP BY over the ``(received_month, county_id)`` index, always bounded by a range of at most
:data:`MAX_MONTHS` months (the platform is national: never a scan of every complaint). No complaint is
listed, only counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.models import Region
from oversight.complaints.models import Complaint, ComplaintOutcome

MAX_MONTHS = 12


@dataclass
class MonthFigures:
    """One county's complaints of one month."""

    county: Region
    month: int  # YYYYMM
    received: int = 0
    decided: int = 0
    on_time: int = 0
    outcomes: dict[ComplaintOutcome, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The month as ``YYYY-MM``."""
        return f"{self.month // 100:04d}-{self.month % 100:02d}"

    @property
    def open(self) -> int:
        """Received and not decided yet."""
        return self.received - self.decided


def month_number(day: date) -> int:
    """``YYYYMM`` of a date."""
    return day.year * 100 + day.month


def shift_month(month: int, delta: int) -> int:
    """``YYYYMM`` moved by ``delta`` months."""
    index = (month // 100) * 12 + (month % 100 - 1) + delta
    return (index // 12) * 100 + index % 12 + 1


def parse_month(text: str | None) -> int | None:
    """``YYYY-MM`` (2000–2100) as ``YYYYMM``, or None for anything else."""
    raw = (text or "").strip()
    if len(raw) != 7 or raw[4] != "-" or not (raw[:4].isascii() and raw[:4].isdigit()):
        return None
    if not (raw[5:].isascii() and raw[5:].isdigit()):
        return None
    year, month = int(raw[:4]), int(raw[5:])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return year * 100 + month


def bounded_range(first: int | None, last: int | None, current: int) -> tuple[int, int]:
    """A month range of at most :data:`MAX_MONTHS` months, never after ``current`` (default: the last 6)."""
    last = min(last or current, current)
    first = first or shift_month(last, -5)
    if first > last:
        first = last
    if shift_month(first, MAX_MONTHS - 1) < last:
        first = shift_month(last, -(MAX_MONTHS - 1))
    return first, last


def monthly_figures(
    session: Session, first: int, last: int, county_id: int | None = None
) -> list[MonthFigures]:
    """Per county and month of ``first``..``last`` (``YYYYMM``, at most :data:`MAX_MONTHS`): received,
    decided, handled on time and outcomes; newest month first, then by county code."""
    if shift_month(first, MAX_MONTHS - 1) < last:
        raise ValueError("month range longer than MAX_MONTHS")
    query = (
        select(
            Complaint.county_id,
            Complaint.received_month,
            Complaint.outcome,
            func.count(),
            func.sum(case((Complaint.handled_on_time.is_(True), 1), else_=0)),
        )
        .where(Complaint.received_month >= first, Complaint.received_month <= last)
        .group_by(Complaint.county_id, Complaint.received_month, Complaint.outcome)
    )
    if county_id is not None:
        query = query.where(Complaint.county_id == county_id)
    rows = list(session.execute(query))
    counties = {
        region.id: region
        for region in session.scalars(select(Region).where(Region.id.in_({row[0] for row in rows})))
    }
    found: dict[tuple[int, int], MonthFigures] = {}
    for county, month, outcome, count, on_time in rows:
        figures = found.setdefault((county, month), MonthFigures(counties[county], month))
        figures.received += int(count)
        figures.on_time += int(on_time or 0)
        if outcome is not None:
            figures.decided += int(count)
            figures.outcomes[ComplaintOutcome(outcome)] = int(count)
    return sorted(found.values(), key=lambda f: (-f.month, f.county.code or ""))
