"""Alerts: a price above its reference by more than the margin, or a rise of more than the share within the
window, raised when the price changes and when a reference changes (only the products it governs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from catalog.products.models import Category, Product, Unit
from core.db import utcnow
from core.models import Region
from oversight.prices.alerts import Thresholds, governed_by
from oversight.prices.models import AlertKind, AlertStatus, PriceAlert, PriceChange
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.prices.support import change_price, reference


def alerts_of(db: Session, product: Product) -> list[PriceAlert]:
    """The product's alerts, oldest first."""
    return list(
        db.scalars(select(PriceAlert).where(PriceAlert.product_id == product.id).order_by(PriceAlert.id))
    )


def test_a_price_above_the_reference_by_more_than_the_margin_raises_one_alert(
    db: Session, shop: Shop, office: Office, region: Callable[[str], Region]
) -> None:
    tomato = shop.product_a  # 12.50 / kg
    reference(db, office.shule, region("653122"), tomato, 1000)  # 12.50 is 25 % above 10.00: above 20 %
    [alert] = alerts_of(db, tomato)
    assert (alert.kind, alert.status, alert.price_fen, alert.compared_fen) == (
        AlertKind.ABOVE_REFERENCE, AlertStatus.OPEN, 1250, 1000,
    )  # fmt: skip
    assert alert.county_id == region("653122").id and alert.excess_percent == 25
    change_price(db, shop.owner_a, tomato, 1290)  # still above: the same alert, brought up to date
    db.refresh(alert)
    assert [a.id for a in alerts_of(db, tomato)] == [alert.id] and alert.price_fen == 1290
    change_price(db, shop.owner_a, tomato, 1200)  # exactly 20 % above is within the margin
    db.refresh(alert)
    assert alert.status is AlertStatus.CORRECTED and alert.open_product_id is None


def test_within_the_margin_no_alert(
    db: Session, shop: Shop, office: Office, region: Callable[[str], Region]
) -> None:
    reference(db, office.shule, region("653122"), shop.product_a, 1100)  # 12.50 is 13.6 % above 11.00
    assert alerts_of(db, shop.product_a) == []


def test_a_reference_reaches_only_its_county_category_and_unit(
    db: Session,
    shop: Shop,
    office: Office,
    region: Callable[[str], Region],
    make_product: Callable[..., Product],
) -> None:
    jin = make_product(shop.producer_a, price_fen=9000, category=Category.VEGETABLES, unit=Unit.JIN)
    fruit = make_product(shop.producer_a, price_fen=9000, category=Category.FRUIT)
    chengkou_greens = make_product(shop.producer_b, price_fen=9000, category=Category.VEGETABLES)
    reference(db, office.shule, region("653122"), shop.product_a, 500)
    assert len(alerts_of(db, shop.product_a)) == 1
    assert alerts_of(db, jin) == alerts_of(db, fruit) == alerts_of(db, chengkou_greens) == []


def test_a_county_reference_overrides_the_platform_one(
    db: Session,
    shop: Shop,
    office: Office,
    region: Callable[[str], Region],
    make_product: Callable[..., Product],
) -> None:
    chengkou_greens = make_product(shop.producer_b, price_fen=1250, category=Category.VEGETABLES)
    reference(db, office.shule, region("653122"), shop.product_a, 1200)  # Shule: 12.00, within the margin
    reference(db, office.admin, None, shop.product_a, 800)  # everywhere else: 8.00
    assert alerts_of(db, shop.product_a) == []
    [alert] = alerts_of(db, chengkou_greens)
    assert alert.compared_fen == 800 and alert.county_id == region("500229").id


def test_a_product_s_own_reference_wins(
    db: Session, shop: Shop, office: Office, region: Callable[[str], Region]
) -> None:
    reference(db, office.shule, region("653122"), shop.product_a, 800)
    [alert] = alerts_of(db, shop.product_a)
    reference(db, office.shule, None, shop.product_a, 1240, own=True)  # its own: within the margin
    change_price(db, shop.owner_a, shop.product_a, 1260)
    db.refresh(alert)
    assert alert.status is AlertStatus.CORRECTED


def test_a_rise_of_more_than_the_share_within_the_window(db: Session, shop: Shop) -> None:
    yak = shop.product_b  # 68.00
    change_price(db, shop.owner_b, yak, 8000)  # +17.6 %: no alert
    assert alerts_of(db, yak) == []
    change_price(db, shop.owner_b, yak, 9520)  # +40 % over the 68.00 it had within 30 days
    [alert] = alerts_of(db, yak)
    assert (alert.kind, alert.price_fen, alert.compared_fen, alert.excess_percent) == (
        AlertKind.SHARP_RISE, 9520, 6800, 40,
    )  # fmt: skip


def test_a_rise_spread_beyond_the_window_is_no_alert(db: Session, shop: Shop) -> None:
    yak = shop.product_b
    change_price(db, shop.owner_b, yak, 8000)
    long_ago = Thresholds().rise_window_days + 1
    db.execute(
        update(PriceChange)
        .where(PriceChange.product_id == yak.id)
        .values(changed_at=utcnow() - timedelta(days=long_ago))
    )
    change_price(db, shop.owner_b, yak, 9520)  # +19 % over the 80.00 of the window
    assert alerts_of(db, yak) == []


def test_a_reference_reads_its_products_through_the_index(
    db: Session, shop: Shop, office: Office, region: Callable[[str], Region]
) -> None:
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite")
    county_wide = reference(db, office.shule, region("653122"), shop.product_a, 1000)
    everywhere = reference(db, office.admin, None, shop.product_a, 1000)
    for ref in (county_wide, everywhere):
        query = select(Product.id).where(governed_by(ref))
        sql = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "ix_catalog_product_category_unit" in plan, plan
        assert "SCAN catalog_product" not in plan and "SCAN oversight_reference_price" not in plan, plan
