"""What each sponsor's promotions brought: a running total kept by the payment and refund transactions,
equal to a direct computation over the orders (a property test over random orders, one or two promotions of
the same or different sponsors, random partial refunds), each line once per sponsor, shown per sponsor on the
promotions page, and rebuilt or checked by ``promotions rebuild-sponsor-totals``."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.models import User
from orders.models import LineDiscount, Order, OrderLine, SponsorKind
from payments.models import RefundLine
from payments.refunds import refund_order
from promotions.offers.models import Promotion, PromotionKind, PromotionStatus
from promotions.sponsors.models import PLATFORM_ID, SponsorSalesTotal
from promotions.sponsors.services import (
    Figures,
    SponsorKey,
    computed_totals,
    differences,
    rebuild,
    stored_totals,
)
from tests.commerce import Shop
from tests.promotions.support import make_promotion, pay, place
from tests.support import examples
from traceability.models import Batch

Client = Callable[[User | None], FlaskClient]
CITY = (SponsorKind.INSTITUTION, 7)  # a paired partner city paying for promotions (no row needed)
GROUP = (SponsorKind.INSTITUTION, 8)


@dataclass
class Stall:
    """One producer with three products (one order, three lines), a buyer and an administrator."""

    producer: Producer
    products: list[Product]
    buyer: User
    admin: User


@pytest.fixture()
def stall(
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    make_admin: Callable[[], User],
) -> Stall:
    producer = make_producer(owner=make_user(), county_code="653131")
    products = [
        make_product(producer, name=name, price_fen=price, certified=True)
        for name, price in (("牦牛肉干", 8800), ("雪菊", 3990), ("玛咖", 1234))
    ]
    for product in products:
        make_batch(product, quantity=500)
    return Stall(producer, products, make_user(), make_admin())


@pytest.fixture(autouse=True)
def fresh_totals(db: Session) -> None:
    """Start from totals that match the orders in the database: a race test elsewhere commits paid orders
    and deletes them afterwards, leaving its sponsor's running total behind (rolled back with the test)."""
    rebuild(db)


def direct(db: Session) -> dict[SponsorKey, Figures]:
    """Each sponsor's figures computed in Python from every paid order line and its refund lines."""
    found: dict[SponsorKey, Figures] = defaultdict(Figures)
    orders: dict[SponsorKey, set[int]] = defaultdict(set)
    for line in db.scalars(select(OrderLine).join(Order).where(Order.paid_at.is_not(None))):
        sponsors = {(d.sponsor_kind, d.sponsor_id or PLATFORM_ID) for d in line.discounts}
        refund_lines = db.scalars(select(RefundLine).where(RefundLine.line_id == line.id)).all()
        back = sum((rl.goods_fen or 0) + rl.sponsored_fen for rl in refund_lines)
        for key in sponsors:
            found[key].sales_fen += line.paid_fen + line.sponsored_fen - back
            found[key].refunded_fen += back
            orders[key].add(line.order_id)
    for key, ids in orders.items():
        found[key].orders = len(ids)
    return dict(found)


def _sponsor(key: tuple[SponsorKind, int | None]) -> dict[str, object]:
    """``make_promotion`` fields for a sponsor."""
    kind, sponsor_id = key
    return {"sponsor_kind": kind, "sponsor_id": sponsor_id, "sponsor_name": f"{kind.value} {sponsor_id}"}


def test_two_promotions_of_one_sponsor_on_one_line_count_it_once(db: Session, stall: Stall) -> None:
    make_promotion(db, threshold_fen=1000, amount_fen=1500, **_sponsor(CITY))
    make_promotion(
        db, kind=PromotionKind.PERCENT_OFF, percent=10, products=stall.products[:1], **_sponsor(CITY)
    )
    checkout = place(db, stall.buyer, {stall.products[0].id: 2})
    pay(db, stall.admin, checkout)
    line = checkout.orders[0].lines[0]
    assert len(line.discounts) == 2  # both promotions discounted the line
    assert line.paid_fen + line.sponsored_fen == 2 * 8800  # a third party paid every discount
    assert stored_totals(db)[CITY] == Figures(sales_fen=17600, orders=1, refunded_fen=0)
    assert differences(db) == []


def test_two_sponsors_on_one_line_each_count_it(db: Session, stall: Stall) -> None:
    make_promotion(db, threshold_fen=1000, amount_fen=1500, **_sponsor(CITY))
    make_promotion(db, kind=PromotionKind.PERCENT_OFF, percent=10, products=stall.products[:1])
    checkout = place(db, stall.buyer, {stall.products[0].id: 1, stall.products[2].id: 1})
    pay(db, stall.admin, checkout)
    totals = stored_totals(db)
    assert totals[CITY] == Figures(sales_fen=8800 + 1234, orders=1, refunded_fen=0)  # 满减 on both lines
    assert totals[(SponsorKind.PLATFORM, PLATFORM_ID)] == Figures(sales_fen=8800, orders=1, refunded_fen=0)


def test_a_full_refund_brings_the_total_back_to_zero(db: Session, stall: Stall) -> None:
    make_promotion(db, threshold_fen=1000, amount_fen=1001, **_sponsor(CITY))
    checkout = place(db, stall.buyer, {stall.products[1].id: 3})
    pay(db, stall.admin, checkout)
    order = checkout.orders[0]
    refund_order(db, stall.admin, order, {order.lines[0].id: 1}, "坏了一包")
    after_one = stored_totals(db)[CITY]
    assert 0 < after_one.sales_fen < 3 * 3990 and after_one.refunded_fen == 3 * 3990 - after_one.sales_fen
    refund_order(db, stall.admin, order, None, "都退")
    assert stored_totals(db)[CITY] == Figures(sales_fen=0, orders=1, refunded_fen=3 * 3990)


SPONSORS = [(SponsorKind.PLATFORM, None), CITY, GROUP, (SponsorKind.PRODUCER, -1)]  # -1: the stall's producer
promotion_specs = st.lists(
    st.tuples(
        st.sampled_from(["save", "percent"]), st.integers(1, 60), st.sampled_from(range(len(SPONSORS)))
    ),
    min_size=1,
    max_size=2,
)
quantities = st.lists(st.integers(min_value=0, max_value=4), min_size=3, max_size=3).filter(any)
refunds = st.lists(st.lists(st.integers(min_value=0, max_value=4), min_size=3, max_size=3), max_size=4)


@settings(
    max_examples=examples(10),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=promotion_specs, wanted=quantities, steps=refunds, finish=st.booleans())
def test_the_running_totals_equal_a_direct_computation_over_random_orders_and_refunds(
    db: Session,
    stall: Stall,
    specs: list[tuple[str, int, int]],
    wanted: list[int],
    steps: list[list[int]],
    finish: bool,
) -> None:
    # examples share the test's transaction; each pauses its promotions when done
    running: list[Promotion] = []
    try:
        for kind, size, which in specs:
            sponsor_kind, sponsor_id = SPONSORS[which]
            if sponsor_kind is SponsorKind.PRODUCER:
                sponsor_id = stall.producer.id
            sponsor = _sponsor((sponsor_kind, sponsor_id))
            if kind == "save":
                running.append(make_promotion(db, threshold_fen=size * 100, amount_fen=size * 50, **sponsor))
            else:
                running.append(
                    make_promotion(
                        db,
                        kind=PromotionKind.PERCENT_OFF,
                        percent=size,
                        products=stall.products[:2],
                        **sponsor,
                    )
                )
        items = {product.id: q for product, q in zip(stall.products, wanted, strict=True) if q}
        checkout = place(db, stall.buyer, items)
        pay(db, stall.admin, checkout)
        assert stored_totals(db) == direct(db) == computed_totals(db)
        order = checkout.orders[0]
        lines = list(order.lines)
        for step in steps:
            ask = {
                line.id: min(units, line.quantity - line.refunded_quantity)
                for line, units in zip(lines, step, strict=False)
                if min(units, line.quantity - line.refunded_quantity)
            }
            if ask:
                refund_order(db, stall.admin, order, ask, "部分退款")
                assert stored_totals(db) == direct(db)
        if finish and any(line.refunded_quantity < line.quantity for line in lines):
            refund_order(db, stall.admin, order, None, "全部退款")
        assert stored_totals(db) == direct(db) == computed_totals(db)
        assert differences(db) == []
    finally:
        for promotion in running:
            promotion.status = PromotionStatus.PAUSED
        db.flush()


def test_after_full_refunds_every_sponsors_sales_are_zero(db: Session, stall: Stall) -> None:
    make_promotion(db, threshold_fen=100, amount_fen=777, **_sponsor(CITY))
    make_promotion(db, kind=PromotionKind.PERCENT_OFF, percent=13, products=stall.products, **_sponsor(GROUP))
    for quantities_ in ({0: 3, 1: 1}, {1: 2, 2: 5}):
        checkout = place(db, stall.buyer, {stall.products[i].id: q for i, q in quantities_.items()})
        pay(db, stall.admin, checkout)
        order = checkout.orders[0]
        refund_order(db, stall.admin, order, {order.lines[0].id: 1}, "先退一件")
        refund_order(db, stall.admin, order, None, "都退")
    totals = stored_totals(db)
    assert totals[CITY].sales_fen == 0 and totals[GROUP].sales_fen == 0
    assert totals[CITY].orders == 2 and totals[CITY].refunded_fen > 0


def test_the_rebuild_puts_wrong_or_missing_totals_right(db: Session, stall: Stall) -> None:
    make_promotion(db, threshold_fen=1000, amount_fen=1500, **_sponsor(CITY))
    checkout = place(db, stall.buyer, {stall.products[0].id: 1})
    pay(db, stall.admin, checkout)
    db.execute(update(SponsorSalesTotal).values(sales_fen=1))
    db.add(SponsorSalesTotal(sponsor_kind=SponsorKind.INSTITUTION, sponsor_id=99, sales_fen=5))
    db.flush()
    assert {d.key for d in differences(db)} == {CITY, (SponsorKind.INSTITUTION, 99)}
    assert len(rebuild(db)) == 2
    db.expire_all()
    assert differences(db) == [] and stored_totals(db) == {CITY: Figures(8800, 1, 0)}


def test_the_command_checks_and_rebuilds(app: Flask, db: Session, stall: Stall) -> None:
    make_promotion(db, threshold_fen=1000, amount_fen=1500, **_sponsor(CITY))
    pay(db, stall.admin, place(db, stall.buyer, {stall.products[0].id: 1}))
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["promotions", "rebuild-sponsor-totals", "--check"])
    assert ok.exit_code == 0 and "0 sponsors differ" in ok.output
    db.execute(update(SponsorSalesTotal).values(orders=5))
    db.flush()
    wrong = runner.invoke(args=["promotions", "rebuild-sponsor-totals", "--check"])
    assert wrong.exit_code == 1 and "1 sponsors differ" in wrong.output


def test_the_sponsor_table_shows_the_sales_brought(
    db: Session, shop: Shop, as_user: Client, make_admin: Callable[[], User], english: None
) -> None:
    admin = make_admin()
    make_promotion(db, threshold_fen=5000, amount_fen=800, **_sponsor(CITY))
    make_promotion(
        db, kind=PromotionKind.PERCENT_OFF, percent=10, products=[shop.product_b], **_sponsor(CITY)
    )
    pay(db, admin, place(db, shop.buyer, {shop.product_b.id: 2}))
    line = db.scalars(select(LineDiscount)).all()
    assert len(line) == 2  # two of the city's promotions on one line: counted once
    page = as_user(admin).get("/promotions/").get_data(as_text=True)
    assert "Sales brought" in page
    assert "¥136.00" in page  # 2 × ¥68, the buyer's money plus the city's


def test_the_migrations_backfill_computes_the_same_totals(db: Session, stall: Stall) -> None:
    versions = Path(__file__).parents[2] / "migrations" / "versions"
    path = next(versions.glob("*_c9f2b462a676_promotions_sponsor_total.py"))
    spec = importlib.util.spec_from_file_location("sponsor_total_migration", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    make_promotion(db, threshold_fen=100, amount_fen=777, **_sponsor(CITY))
    make_promotion(db, kind=PromotionKind.PERCENT_OFF, percent=13, products=stall.products)
    checkout = place(db, stall.buyer, {stall.products[0].id: 3, stall.products[2].id: 2})
    pay(db, stall.admin, checkout)
    order = checkout.orders[0]
    refund_order(db, stall.admin, order, {order.lines[0].id: 1}, "退一件")
    kept = stored_totals(db)
    db.execute(delete(SponsorSalesTotal))
    db.execute(text(migration.BACKFILL))
    db.expire_all()
    assert stored_totals(db) == kept == computed_totals(db)
