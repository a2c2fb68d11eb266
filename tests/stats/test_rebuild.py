"""Rebuilding the ledger from orders, refunds and receipts: ``flask stats rebuild [--check]``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.models import User
from procurement.institutions.models import Institution
from stats.models import (
    CountyMonthlyRollup,
    DailyRollup,
    MonthlyRollup,
    SalesEntry,
)
from stats.rebuild import check_ledger, rebuild_ledger, rebuild_rollup
from tests.conftest import row_count
from tests.stats.ledger_support import (
    entries,
    make_order,
    make_supplier_order,
    pay,
    refund,
    totals,
    utc,
)


@pytest.fixture()
def history(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Any,
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
) -> None:
    """Two paid orders (one partly refunded), an unpaid one and a received supplier order."""
    buyer = make_user()
    product = make_product(make_producer(), price_fen=1200, certified=True)
    other = make_product(make_producer(county_code="653131"), price_fen=4500)
    first = make_order(db, buyer, [(product, 3, 1200), (other, 1, 4500)])
    pay(db, first, utc(date(2024, 3, 1)))
    refund(db, first, {first.lines[0]: 1}, utc(date(2024, 3, 2)))
    pay(db, make_order(db, buyer, [(product, 2, 1200)]), utc(date(2024, 3, 2), 20))
    make_order(db, buyer, [(product, 5, 1200)])
    institution = make_institution(buyer)
    make_supplier_order(db, institution, buyer, [(product, 50, 40, 1000)], at=utc(date(2024, 3, 3)))


def cli(app: Flask, *args: str) -> Any:
    """Run ``flask stats rebuild`` with ``args``."""
    return app.test_cli_runner().invoke(args=["stats", "rebuild", *args])


@pytest.mark.usefixtures("history")
def test_the_ledger_written_by_the_hooks_equals_the_rebuilt_one(app: Flask, db: Session) -> None:
    report = check_ledger(db)

    assert report.is_consistent and (report.entries_expected, report.entries_stored) == (5, 5)
    result = cli(app, "--check")
    assert result.exit_code == 0, result.output
    assert "5 entries expected, 5 stored, 0 differences" in result.output


@pytest.mark.usefixtures("history")
def test_check_reports_missing_changed_and_unexpected_entries_and_a_wrong_roll_up(
    app: Flask, db: Session
) -> None:
    sale, *_rest = entries(db)
    db.execute(delete(SalesEntry).where(SalesEntry.id == sale.id))
    db.execute(update(SalesEntry).where(SalesEntry.amount_fen == -1200).values(amount_fen=-1000))
    db.execute(update(DailyRollup).where(DailyRollup.quantity == 40).values(amount_fen=1))
    db.commit()

    report = check_ledger(db)
    result = cli(app, "--check")

    assert {(d.table, d.stored is None, d.expected is None) for d in report.differences} == {
        ("entry", True, False),  # missing
        ("entry", False, False),  # changed
        ("rollup", False, False),  # roll-up rows no longer sum their entries
        ("rollup", False, True),  # the deleted entry's roll-up row sums nothing stored
        ("monthly", False, False),  # March no longer sums the deleted and the changed entries
        ("county", False, False),  # nor does the county's March of online certified sales
        ("county_kind", False, False),  # nor its consumers' March
        ("county_buyer", False, False),  # nor that of these consumers as buyers
        ("county_product", False, False),  # nor the product's March
    }
    assert len(report.differences) == 10
    assert result.exit_code == 1
    assert "missing" in result.output and "10 differences" in result.output
    db.expire_all()
    assert len(entries(db)) == 4  # --check writes nothing


@pytest.mark.usefixtures("history")
def test_rebuild_rewrites_the_ledger_and_the_roll_up(app: Flask, db: Session) -> None:
    expected = totals(db)
    db.execute(delete(SalesEntry).where(SalesEntry.amount_fen < 0))
    db.execute(update(SalesEntry).where(SalesEntry.quantity == 40).values(is_certified=False))
    db.execute(delete(DailyRollup).where(DailyRollup.day == date(2024, 3, 1)))
    db.commit()
    assert not check_ledger(db).is_consistent

    result = cli(app)

    assert result.exit_code == 0, result.output
    assert "rewritten" in result.output
    db.expire_all()
    assert check_ledger(db).is_consistent
    assert totals(db) == totals(db, DailyRollup) == totals(db, MonthlyRollup) == expected
    assert totals(db, CountyMonthlyRollup) == expected
    assert cli(app, "--check").exit_code == 0


def test_an_entry_without_a_source_is_removed_by_the_rebuild(
    db: Session, make_producer: Any, make_product: Callable[..., Product]
) -> None:
    product = make_product(make_producer())
    db.add(
        SalesEntry(
            kind="sale",
            source="order_line",
            source_id=999_999,
            day=date(2024, 1, 1),
            amount_fen=100,
            quantity=1,
            product_id=product.id,
            producer_id=product.producer_id,
            buyer_kind="consumer",
            channel="online",
            is_certified=False,
        )
    )
    db.flush()

    report = rebuild_ledger(db)

    assert [(d.key, d.expected) for d in report.differences if d.table == "entry"] == [
        (("order_line", 999_999, "sale"), None)
    ]
    assert row_count(db, "stats_sales_entry") == 0 and row_count(db, "stats_daily_rollup") == 0
    assert row_count(db, "stats_monthly_rollup") == row_count(db, "stats_county_monthly_rollup") == 0


@pytest.mark.usefixtures("history")
def test_the_roll_ups_can_be_materialised_again_from_the_entries(db: Session) -> None:
    models = (DailyRollup, MonthlyRollup, CountyMonthlyRollup)

    def rows(model: type[Any]) -> set[tuple[Any, ...]]:
        return {(r.day, r.dims, r.amount_fen, r.quantity, r.entries) for r in db.scalars(select(model))}

    before = [rows(model) for model in models]

    count = rebuild_rollup(db)

    db.expire_all()
    assert [rows(model) for model in models] == before
    assert count == len(before[0])
    assert len(before[1]) == 3  # March 2024: two products bought online, one by an institution
    assert len(before[2]) == 2  # March 2024 of one county: online and procurement (not certified then)
