"""The monthly roll-ups the dashboards read (every dimension; county, channel and certification only): kept
by the ledger with the daily one, equal to the entries per Asia/Shanghai month, checked and rebuilt by
``flask stats rebuild``, filled from the daily one by migration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.migrate import upgrade
from core.models import User
from orders.models import Order, OrderLine
from stats.ledger import COUNTY_DIMENSIONS, dims_key, record_order_paid
from stats.models import (
    Channel,
    CountyMonthlyRollup,
    DailyRollup,
    MonthlyRollup,
    SalesEntry,
)
from stats.rebuild import check_ledger
from tests.conftest import make_certificate, row_count
from tests.stats.ledger_support import make_order, pay, refund, utc
from tests.support import database_url, reset_database


def per_month(db: Session, model: type[Any]) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(fen, quantity, entries) per (year, month) from the ledger or a roll-up."""
    count = func.count() if model is SalesEntry else func.sum(model.entries)
    sums: dict[tuple[int, int], tuple[int, int, int]] = {}
    for day, fen, quantity, entries in db.execute(
        select(model.day, func.sum(model.amount_fen), func.sum(model.quantity), count).group_by(model.day)
    ):
        key = (day.year, day.month)
        old = sums.get(key, (0, 0, 0))
        sums[key] = (old[0] + int(fen), old[1] + int(quantity), old[2] + int(entries))
    return sums


@pytest.fixture()
def spring(db: Session, make_user: Callable[..., User], make_producer: Any, make_product: Any) -> Product:
    """Sales of a certified product on 1 and 31 March and just after Shanghai midnight into April, and a
    refund of a March sale in April (it counts against April, with the sale's dimensions); an uncertified
    product of another producer of the same county sold in March."""
    buyer = make_user()
    melon = make_product(make_producer(), price_fen=1000)
    make_certificate(db, melon, valid_from=date(2024, 1, 1), valid_to=date(2024, 12, 31))
    jujube = make_product(make_producer(), price_fen=700)
    pay(db, make_order(db, buyer, [(jujube, 1, 700)]), utc(date(2024, 3, 15)))
    first = make_order(db, buyer, [(melon, 3, 1000)])
    pay(db, first, utc(date(2024, 3, 1)))
    pay(db, make_order(db, buyer, [(melon, 2, 1000)]), utc(date(2024, 3, 31)))
    # 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai.
    pay(db, make_order(db, buyer, [(melon, 5, 1000)]), datetime(2024, 3, 31, 16, 30, tzinfo=UTC))
    refund(db, first, {first.lines[0]: 1}, utc(date(2024, 4, 2)))
    return melon


@pytest.mark.usefixtures("spring")
def test_the_ledger_keeps_one_row_per_month_and_dimensions(db: Session, spring: Product) -> None:
    months = db.scalars(select(MonthlyRollup).order_by(MonthlyRollup.day, MonthlyRollup.amount_fen))
    counties = db.scalars(
        select(CountyMonthlyRollup).order_by(CountyMonthlyRollup.day, CountyMonthlyRollup.dims)
    )

    assert [(m.day, m.product_id, m.amount_fen, m.quantity, m.entries) for m in months] == [
        (date(2024, 3, 1), spring.id + 1, 700, 1, 1),
        (date(2024, 3, 1), spring.id, 5000, 5, 2),
        (date(2024, 4, 1), spring.id, 4000, 4, 2),
    ]
    county = spring.producer.county_id
    assert [(c.day, c.dims, c.amount_fen, c.quantity, c.entries) for c in counties] == [
        (date(2024, 3, 1), f"{county}|online|0", 700, 1, 1),
        (date(2024, 3, 1), f"{county}|online|1", 5000, 5, 2),
        (date(2024, 4, 1), f"{county}|online|1", 4000, 4, 2),
    ]
    assert row_count(db, "stats_daily_rollup") == 5  # 1, 15 and 31 March, 1 and 2 April
    assert per_month(db, MonthlyRollup) == per_month(db, SalesEntry) == per_month(db, DailyRollup)
    assert per_month(db, CountyMonthlyRollup) == per_month(db, SalesEntry)
    assert check_ledger(db).is_consistent


@pytest.mark.usefixtures("spring")
def test_paying_again_adds_nothing_to_the_monthly_rollups(db: Session) -> None:
    before = per_month(db, MonthlyRollup), per_month(db, CountyMonthlyRollup)
    sale = db.scalars(select(SalesEntry).order_by(SalesEntry.id)).first()
    assert sale is not None
    paid = db.scalar(select(Order).join(OrderLine).where(OrderLine.id == sale.source_id))
    assert paid is not None

    assert record_order_paid(db, paid) == 0  # already in the ledger: nothing new, no double count
    assert (per_month(db, MonthlyRollup), per_month(db, CountyMonthlyRollup)) == before


def cli(app: Flask, *args: str) -> Any:
    """Run ``flask stats rebuild`` with ``args``."""
    return app.test_cli_runner().invoke(args=["stats", "rebuild", *args])


def test_check_catches_wrong_missing_or_extra_monthly_rows_and_rebuild_fixes_them(
    app: Flask, db: Session, spring: Product
) -> None:
    march = db.scalar(
        select(MonthlyRollup).where(
            MonthlyRollup.day == date(2024, 3, 1), MonthlyRollup.product_id == spring.id
        )
    )
    assert march is not None
    db.execute(update(MonthlyRollup).where(MonthlyRollup.id == march.id).values(amount_fen=4999))
    db.execute(delete(MonthlyRollup).where(MonthlyRollup.day == date(2024, 4, 1)))
    db.add(
        MonthlyRollup(
            **{
                name: getattr(march, name)
                for name in ("dims", "product_id", "producer_id", "county_id", "buyer_kind", "is_paired")
            },
            day=date(2024, 5, 1),
            channel=march.channel,
            is_certified=march.is_certified,
            amount_fen=100,
            quantity=1,
            entries=1,
        )
    )
    db.execute(
        update(CountyMonthlyRollup).where(CountyMonthlyRollup.day == date(2024, 4, 1)).values(entries=9)
    )
    db.commit()

    report = check_ledger(db)
    result = cli(app, "--check")

    assert sorted((d.table, d.key[0], d.stored is None, d.expected is None) for d in report.differences) == [
        ("county", "2024-04-01", False, False),  # wrong count of entries
        ("monthly", "2024-03-01", False, False),  # wrong
        ("monthly", "2024-04-01", True, False),  # missing
        ("monthly", "2024-05-01", False, True),  # unexpected
    ]
    assert result.exit_code == 1 and "4 differences" in result.output, result.output
    assert "monthly ('2024-03-01'" in result.output

    result = cli(app)

    assert result.exit_code == 0, result.output
    db.expire_all()
    assert check_ledger(db).is_consistent
    wanted = {(2024, 3): (5700, 6, 3), (2024, 4): (4000, 4, 2)}
    assert (
        per_month(db, MonthlyRollup)
        == per_month(db, CountyMonthlyRollup)
        == per_month(db, SalesEntry)
        == wanted
    )


_DAILY = (
    "INSERT INTO stats_daily_rollup (day, dims, product_id, producer_id, county_id, buyer_kind, is_paired, "
    "channel, is_certified, amount_fen, quantity, entries) VALUES "
    "(:day, :dims, 1, 1, :county, 'consumer', :false, :channel, :certified, :fen, 1, :n)"
)


def test_the_migration_fills_the_monthly_rollups_from_the_daily_one(tmp_path: Path) -> None:
    url = database_url(tmp_path / "monthly.sqlite3", suffix="_monthly")
    reset_database(url)
    engine = create_engine(url)  # plain engine: SQLite does not check foreign keys, rows need no products
    try:
        upgrade(engine, "a4e461b65c21")
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET session_replication_role = replica"))  # no foreign-key triggers
            for day, dims, county, channel, certified, fen, n in [
                (date(2024, 1, 31), "a", 7, "online", True, 100, 1),
                (date(2024, 1, 1), "a", 7, "online", True, 250, 2),
                (date(2024, 1, 15), "b", 7, "online", False, 7, 1),
                (date(2024, 1, 20), "c", 7, "online", True, 5, 1),  # another product, same county row
                (date(2024, 2, 1), "a", 7, "online", True, -30, 1),
                (date(2023, 12, 31), "d", None, "staff", True, 1, 1),
            ]:
                values = {
                    "day": day,
                    "dims": dims,
                    "county": county,
                    "channel": channel,
                    "certified": certified,
                }
                conn.execute(text(_DAILY), {**values, "fen": fen, "n": n, "false": False})
        upgrade(engine)
        with engine.connect() as conn:
            monthly = conn.execute(
                text("SELECT day, dims, amount_fen, entries FROM stats_monthly_rollup ORDER BY day, dims")
            ).all()
            counties = conn.execute(
                text(
                    "SELECT day, dims, county_id, channel, is_certified, amount_fen, entries "
                    "FROM stats_county_monthly_rollup ORDER BY day, dims"
                )
            ).all()
    finally:
        engine.dispose()
    assert [(str(day), dims, fen, n) for day, dims, fen, n in monthly] == [
        ("2023-12-01", "d", 1, 1),
        ("2024-01-01", "a", 350, 3),
        ("2024-01-01", "b", 7, 1),
        ("2024-01-01", "c", 5, 1),
        ("2024-02-01", "a", -30, 1),
    ]
    assert [(str(day), dims, fen, n) for day, dims, _c, _ch, _cert, fen, n in counties] == [
        ("2023-12-01", "|staff|1", 1, 1),
        ("2024-01-01", "7|online|0", 7, 1),
        ("2024-01-01", "7|online|1", 355, 4),
        ("2024-02-01", "7|online|1", -30, 1),
    ]
    for _day, dims, county, channel, certified, _fen, _n in counties:  # the key the ledger would write
        assert dims == dims_key(
            {"county_id": county, "channel": Channel(channel), "is_certified": bool(certified)},
            COUNTY_DIMENSIONS,
        )
