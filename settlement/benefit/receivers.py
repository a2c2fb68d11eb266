"""Receivers: the catalog's, traceability's and the statistics' pages ask for verified household benefit
without importing settlement."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalog.signals import HouseholdBenefit, collect_county_benefit, collect_household_benefit
from settlement.benefit.figures import county_verified_benefit, verified_benefit


def answer_producer(sender: Session, producer_id: int, year: int, **_extra: Any) -> HouseholdBenefit | None:
    """Receiver of ``collect_household_benefit``: the producer's verified figures of ``year``, or None."""
    found = verified_benefit(sender, producer_id, year)
    return found.as_signal_answer() if found is not None else None


def answer_county(sender: Session, county_id: int, year: int, **_extra: Any) -> HouseholdBenefit | None:
    """Receiver of ``collect_county_benefit``: the county's verified figures of ``year``, or None."""
    found = county_verified_benefit(sender, county_id, year)
    return found.as_signal_answer() if found is not None else None


def connect() -> None:
    """Connect the receivers (module-level functions: connecting again is harmless)."""
    collect_household_benefit.connect(answer_producer)
    collect_county_benefit.connect(answer_county)
