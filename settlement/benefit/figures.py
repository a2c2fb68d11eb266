"""The public figures of benefit to households: verified reports only, one indexed query per page.

**How households are counted.** Reports give, per month, linkage mode and category, how many households were
paid. The same household is often paid every month, and in several ways (wages and a dividend), and reports
never name households, so they cannot be told apart. The figure shown is therefore a floor: for each
category, the **largest number of households paid in one way in one month** of the year (a household paid
twelve times, or in two ways, is counted once), and the two categories added. Amounts are the **sum of every
verified month**. For a county, the floors of its producers are added.

Who verified is given as a unit and role (the county's reviewer, or a platform administrator), never a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from catalog.signals import HouseholdBenefit
from settlement.benefit.models import (
    BenefitLine,
    BenefitReport,
    BenefitStatus,
    HouseholdCategory,
    VerifierRole,
)


@dataclass(frozen=True)
class VerifiedBenefit:
    """What the county verified for one year: fen paid and households reached (at least), by category."""

    year: int
    amount_fen: int
    lifted_households: int
    monitored_households: int
    verified_by: VerifierRole

    @property
    def households(self) -> int:
        """Households of both categories reached, at least (see the module's rule)."""
        return self.lifted_households + self.monitored_households

    def as_signal_answer(self) -> HouseholdBenefit:
        """The figures as the catalog's pages receive them."""
        return HouseholdBenefit(
            year=self.year,
            amount_fen=self.amount_fen,
            households=self.households,
            lifted_households=self.lifted_households,
            monitored_households=self.monitored_households,
            verified_by=self.verified_by.value,
        )


def _per_producer(year: int) -> Select[int, HouseholdCategory, int, int, VerifierRole | None]:
    """Per producer and category: fen paid, the largest monthly household count, and who verified (the
    administrator when any report was verified by one: ``min`` of the role values)."""
    r, ln = BenefitReport, BenefitLine
    return (
        select(
            r.producer_id,
            ln.category,
            func.sum(ln.amount_fen),
            func.max(ln.households),
            func.min(r.verifier_role),
        )
        .join(ln, ln.report_id == r.id)
        .where(r.status == BenefitStatus.VERIFIED, r.year == year)
        .group_by(r.producer_id, ln.category)
    )


def _fold(year: int, rows: Sequence[tuple[Any, Any, Any, Any]]) -> VerifiedBenefit | None:
    """Add rows ``(category, fen, households, role)`` into one figure; None when nothing is verified."""
    if not rows:
        return None
    amount = sum(int(fen or 0) for _c, fen, _h, _r in rows)
    by_category = {HouseholdCategory(c): 0 for c in HouseholdCategory}
    for category, _fen, households, _role in rows:
        by_category[HouseholdCategory(category)] += int(households or 0)
    roles = {VerifierRole(role) for *_rest, role in rows if role}
    return VerifiedBenefit(
        year=year,
        amount_fen=amount,
        lifted_households=by_category[HouseholdCategory.LIFTED],
        monitored_households=by_category[HouseholdCategory.MONITORED],
        verified_by=min(roles) if roles else VerifierRole.COUNTY_REVIEWER,
    )


def verified_benefit(session: Session, producer_id: int, year: int) -> VerifiedBenefit | None:
    """The producer's verified benefit to households in ``year`` (Asia/Shanghai months), or None.

    Households: per category, the largest number paid in one linkage mode in one month (a floor: the same
    household paid every month or in several ways counts once); amount: the sum of every verified month.
    One query through the report's (producer, year, month) key; it reads one producer's reports of one year.
    """
    query = _per_producer(year).where(BenefitReport.producer_id == producer_id)
    rows = [(row[1], row[2], row[3], row[4]) for row in session.execute(query)]
    return _fold(year, rows)


def county_verified_benefit(session: Session, county_id: int, year: int) -> VerifiedBenefit | None:
    """The verified benefit of every producer of the county in ``year`` (their floors added), or None.

    One query through the (county, status, year) index: it reads the county's verified reports of one year.
    """
    inner = _per_producer(year).where(BenefitReport.county_id == county_id).subquery()
    columns = list(inner.c)
    query = select(columns[1], func.sum(columns[2]), func.sum(columns[3]), func.min(columns[4])).group_by(
        columns[1]
    )
    rows = [(row[0], row[1], row[2], row[3]) for row in session.execute(query)]
    return _fold(year, rows)
