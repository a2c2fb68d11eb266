"""Counting rules: the Asia/Shanghai day a sale counts, the certificate on that day, refunds, the roll-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import CertificationStatus, Product
from core.models import User
from stats.ledger import DIMENSIONS, dims_key, record_order_paid
from stats.models import (
    DailyRollup,
    SalesEntry,
    Target,
    TargetScope,
)
from stats.targets.services import target_progress
from tests.conftest import make_certificate
from tests.stats.ledger_support import entries, make_order, pay, refund, totals, utc


@pytest.fixture()
def buyer(make_user: Callable[..., User]) -> User:
    """A consumer."""
    return make_user()


@pytest.fixture()
def jujube(db: Session, make_producer: Any, make_product: Callable[..., Product]) -> Product:
    """A Shule product certified for 2024 only."""
    product = make_product(make_producer(), name="疏勒骏枣", price_fen=3000)
    make_certificate(db, product, valid_from=date(2024, 1, 1), valid_to=date(2024, 12, 31))
    return product


def rollup(db: Session) -> list[DailyRollup]:
    """Every roll-up row, by day."""
    return list(db.scalars(select(DailyRollup).order_by(DailyRollup.day, DailyRollup.id)))


def test_the_day_changes_at_shanghai_midnight_which_is_1600_utc(
    db: Session, buyer: User, jujube: Product
) -> None:
    before = make_order(db, buyer, [(jujube, 1, 3000)])
    after = make_order(db, buyer, [(jujube, 1, 3000)])

    pay(db, before, utc(date(2024, 12, 31), 15, 59, 59))  # 2024-12-31 23:59:59 in Shanghai
    pay(db, after, utc(date(2024, 12, 31), 16, 0, 0))  # 2025-01-01 00:00:00 in Shanghai

    late, early = entries(db)
    assert (late.day, late.is_certified) == (date(2024, 12, 31), True)
    assert (early.day, early.is_certified) == (date(2025, 1, 1), False)  # the certificate ended with 2024
    assert [(r.day, r.amount_fen) for r in rollup(db)] == [
        (date(2024, 12, 31), 3000),
        (date(2025, 1, 1), 3000),
    ]


def test_yearly_progress_uses_shanghai_years(db: Session, buyer: User, jujube: Product) -> None:
    for hour in (15, 16):  # the same UTC day, two Shanghai years
        pay(db, make_order(db, buyer, [(jujube, 2, 2000)]), utc(date(2023, 12, 31), hour))
    pay(db, make_order(db, buyer, [(jujube, 1, 500)]), utc(date(2024, 6, 1)))
    county = jujube.producer.county_id

    def progress(first: int, last: int) -> int:
        target = Target(
            scope=TargetScope.COUNTY, county_id=county, start_year=first, end_year=last, amount_fen=1
        )
        return target_progress(db, target)[0]

    # 2023-12-31 15:00 UTC is still 2023 in Shanghai, but the certificate only starts in 2024: not counted
    assert (progress(2023, 2023), progress(2024, 2024), progress(2021, 2025)) == (0, 4000 + 500, 4500)


def test_a_certificate_that_lapses_and_is_renewed_counts_only_on_covered_days(
    db: Session, buyer: User, make_producer: Any, make_product: Callable[..., Product]
) -> None:
    honey = make_product(make_producer(county_code="500229"), price_fen=8000)
    make_certificate(db, honey, valid_from=date(2024, 1, 1), valid_to=date(2024, 3, 31))
    make_certificate(db, honey, valid_from=date(2024, 5, 1), valid_to=date(2024, 12, 31))
    days = [date(2024, 3, 31), date(2024, 4, 1), date(2024, 4, 30), date(2024, 5, 1)]

    for day in days:
        pay(db, make_order(db, buyer, [(honey, 1, 8000)]), utc(day))

    assert [(e.day, e.is_certified) for e in entries(db)] == list(
        zip(days, [True, False, False, True], strict=True)
    )
    assert totals(db) == totals(db, DailyRollup) == (32000, 16000)


def test_a_revoked_certificate_still_counts_before_its_revocation(
    db: Session, buyer: User, jujube: Product
) -> None:
    cert = jujube.certifications[0]
    cert.status, cert.revoked_at = CertificationStatus.REVOKED, utc(date(2024, 6, 1))
    db.flush()

    pay(db, make_order(db, buyer, [(jujube, 1, 3000)]), utc(date(2024, 5, 31)))
    pay(db, make_order(db, buyer, [(jujube, 1, 3000)]), utc(date(2024, 6, 1)))

    assert [e.is_certified for e in entries(db)] == [True, False]


def test_a_refund_after_the_certificate_lapsed_still_takes_back_the_certified_sale(
    db: Session, buyer: User, jujube: Product
) -> None:
    order = make_order(db, buyer, [(jujube, 4, 3000)])
    pay(db, order, utc(date(2024, 12, 30)))

    refund(db, order, {order.lines[0]: 3}, utc(date(2025, 1, 5)))

    sale, minus = entries(db)
    assert (minus.day, minus.amount_fen, minus.quantity, minus.is_certified) == (
        date(2025, 1, 5),
        -9000,
        -3,
        True,
    )
    assert totals(db) == totals(db, DailyRollup) == (3000, 3000)
    assert dims_key({n: getattr(sale, n) for n in DIMENSIONS}) == dims_key(
        {n: getattr(minus, n) for n in DIMENSIONS}
    )


def test_writing_the_same_sale_twice_counts_it_once(db: Session, buyer: User, jujube: Product) -> None:
    order = make_order(db, buyer, [(jujube, 2, 3000), (jujube, 1, 2500)])
    assert pay(db, order, utc(date(2024, 2, 1))) == 2

    assert record_order_paid(db, order) == 0

    assert len(entries(db)) == 2
    (row,) = rollup(db)  # both lines share every dimension and the day: one roll-up row
    assert (row.amount_fen, row.quantity, row.entries) == (8500, 3, 2)
    assert row.dims == dims_key({n: getattr(row, n) for n in DIMENSIONS})


def test_the_roll_up_key_is_canonical_text(db: Session, buyer: User, jujube: Product) -> None:
    pay(db, make_order(db, buyer, [(jujube, 1, 3000)]), utc(date(2024, 2, 1)))

    (entry,) = db.scalars(select(SalesEntry))
    p = jujube.producer
    county = p.county
    assert rollup(db)[0].dims == (
        f"{jujube.id}|{p.id}|{county.id}|{county.parent_id}|{county.parent.parent_id}|consumer||0|online||1"
    )
    assert entry.prefecture_id == county.parent_id
