"""Points + cash flash sales: a unit costs N points + M fen; the cash is paid like any order, the points are
reserved at the press, spent when the order is paid, and come back (with the unit) if it is cancelled or
expires unpaid, or (each unit's share) when it is refunded. Exact under concurrency: many buyers racing and
orders cancelled twice at once never oversell, pass a limit or return points twice (real threads on
committed rows, SQLite here and with scripts/with-postgres)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from core.transactions import run_unit_of_work
from orders.cancellation import cancel_orders
from orders.cart.reservations import release_expired
from orders.models import Allocation, Order, OrderStatus, PaymentMethod
from payments.refunds import refund_order
from promotions.flash.errors import ChooseCashMethod, InvalidFlashSale, LimitReached, SoldOut
from promotions.flash.models import FlashBuyer, FlashPurchase, FlashSale, PurchaseState
from promotions.flash.services import buy
from promotions.points.models import PointsEntry, PointsKind
from promotions.points.services import balance_of, earn
from stats.counting import sale_value_fen
from tests.commerce import Shop
from tests.promotions.flash_support import ADDRESS_FORM, make_sale
from tests.promotions.support import pay
from tests.promotions.test_flash import (  # the race's committed rows, shared with the points-only race
    ADDRESS,
    RACE_BUYERS,
    RACE_POINTS,
    RACE_THREADS,
    RACE_UNITS,
    Seeded,
    engine,  # noqa: F401 - a fixture
    seeded,  # noqa: F401 - a fixture
)
from traceability.models import Batch

Client = Callable[[User | None], FlaskClient]


def _purchase(db: Session, order: Order) -> FlashPurchase:
    purchase = db.scalar(select(FlashPurchase).where(FlashPurchase.order_id == order.id))
    assert purchase is not None
    db.refresh(purchase)
    return purchase


def _cash_sale(db: Session, admin: User, shop: Shop, **fields: Any) -> FlashSale:
    """A running sale of 城口老腊肉 (¥68.00) for 50 points + ¥20.00, paid for by the platform."""
    return make_sale(db, admin, shop.product_b, **{"cash_fen": 2000, **fields})


def test_the_cash_is_an_order_to_pay_and_the_points_are_reserved(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    sale = _cash_sale(db, admin, shop)
    earn(db, shop.buyer.id, 120, "order", 10_000_000 + shop.buyer.id, utcnow())
    order = buy(db, shop.buyer, sale, ADDRESS, method=PaymentMethod.BANK_TRANSFER, reservation_minutes=60)
    assert order.status is OrderStatus.PENDING_PAYMENT and order.checkout.paid_at is None
    assert order.checkout.method is PaymentMethod.BANK_TRANSFER and order.checkout.payment_reference
    assert order.checkout.total_fen == 2000 and order.total_fen == 2000
    line = order.lines[0]
    assert (line.unit_price_fen, line.paid_fen, line.discount_fen, line.sponsored_fen) == (
        6800,
        2000,
        4800,
        4800,
    )
    assert sale_value_fen(line) == 6800  # cash plus what the platform pays; the points count nothing
    assert balance_of(db, shop.buyer.id) == 70
    assert _purchase(db, order).state is PurchaseState.RESERVED
    reserved = db.scalar(select(PointsEntry).where(PointsEntry.kind == PointsKind.RESERVED))
    assert reserved is not None and reserved.points == -50
    pay(db, admin, order.checkout)
    assert order.status is OrderStatus.PAID
    assert _purchase(db, order).state is PurchaseState.PAID
    assert balance_of(db, shop.buyer.id) == 70 + 20  # spent for good; the ¥20 paid earns 20 points


def test_cancelled_or_expired_unpaid_the_points_and_the_unit_come_back_once(
    db: Session, shop: Shop, make_admin: Callable[[], User], make_user: Callable[..., User]
) -> None:
    admin = make_admin()
    sale = _cash_sale(db, admin, shop, per_buyer_limit=1)
    earn(db, shop.buyer.id, 50, "order", 10_000_000 + shop.buyer.id, utcnow())
    available = shop.batch_b.quantity_available
    order = buy(db, shop.buyer, sale, ADDRESS, method=PaymentMethod.BANK_TRANSFER)
    with pytest.raises(LimitReached):
        buy(db, shop.buyer, sale, ADDRESS, method=PaymentMethod.BANK_TRANSFER)
    cancel_orders(db, [order], "changed my mind")
    cancel_orders(db, [order], "again")
    db.refresh(sale)
    db.refresh(shop.batch_b)
    assert balance_of(db, shop.buyer.id) == 50 and sale.sold == 0
    assert shop.batch_b.quantity_available == available
    assert _purchase(db, order).state is PurchaseState.RETURNED
    assert db.scalar(select(FlashBuyer.bought).where(FlashBuyer.sale_id == sale.id)) == 0
    # the buyer may press again: the unit and the limit came back too
    second = buy(db, shop.buyer, sale, ADDRESS, method=PaymentMethod.BANK_TRANSFER, reservation_minutes=30)
    assert release_expired(db, utcnow() + timedelta(minutes=31)) == 1
    assert second.status is OrderStatus.CANCELLED and balance_of(db, shop.buyer.id) == 50
    returned = db.scalars(select(PointsEntry.points).where(PointsEntry.kind == PointsKind.RETURNED)).all()
    assert returned == [50, 50]


def test_a_refund_gives_back_the_cash_and_the_points(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    sale = _cash_sale(db, admin, shop)
    earn(db, shop.buyer.id, 50, "order", 10_000_000 + shop.buyer.id, utcnow())
    order = buy(db, shop.buyer, sale, ADDRESS, method=PaymentMethod.BANK_TRANSFER)
    pay(db, admin, order.checkout)
    refund = refund_order(db, admin, order, None, "不要了")
    assert refund.amount_fen == 2000 and order.status is OrderStatus.REFUNDED
    # the 50 points come back; the 20 earned on the cash are taken back with it
    assert balance_of(db, shop.buyer.id) == 50
    assert _purchase(db, order).state is PurchaseState.PAID


def test_a_cash_part_needs_a_way_to_pay_and_stays_below_the_price(
    db: Session, shop: Shop, make_admin: Callable[[], User], as_user: Client, english: None
) -> None:
    admin = make_admin()
    sale = _cash_sale(db, admin, shop)
    earn(db, shop.buyer.id, 50, "order", 10_000_000 + shop.buyer.id, utcnow())
    with pytest.raises(ChooseCashMethod):
        buy(db, shop.buyer, sale, ADDRESS)
    with pytest.raises(ChooseCashMethod):
        buy(db, shop.buyer, sale, ADDRESS, method=PaymentMethod.POINTS)
    with pytest.raises(InvalidFlashSale, match="below the product's price"):
        _cash_sale(db, admin, shop, cash_fen=6800)
    client = as_user(shop.buyer)
    page = client.get(f"/promotions/flash/{sale.id}").get_data(as_text=True)
    assert "50 points + ¥20.00" in page
    refused = client.post(f"/promotions/flash/{sale.id}/buy", data=ADDRESS_FORM)
    assert refused.status_code == 400 and "Choose how you pay the cash part" in refused.get_data(as_text=True)
    assert balance_of(db, shop.buyer.id) == 50
    bought = client.post(f"/promotions/flash/{sale.id}/buy", data={**ADDRESS_FORM, "method": "bank_transfer"})
    assert bought.status_code == 302 and "/payments/C" in bought.headers["Location"]
    assert balance_of(db, shop.buyer.id) == 0


def test_the_creation_form_takes_a_cash_part(
    db: Session, shop: Shop, make_admin: Callable[[], User], as_user: Client, english: None
) -> None:
    admin = make_admin()
    response = as_user(admin).post(
        "/promotions/flash/new",
        data={
            "title": "积分加钱购",
            "product_id": shop.product_b.id,
            "units": "5",
            "points_price": "40",
            "cash": "12.50",
            "per_buyer_limit": "1",
            "starts_at": "2026-01-01T10:00",
            "ends_at": "2099-01-01T10:00",
        },
    )
    assert response.status_code == 302
    sale = db.scalars(select(FlashSale).order_by(FlashSale.id.desc())).first()
    assert sale is not None and (sale.points_price, sale.cash_fen) == (40, 1250)


# --- the race: real threads on committed rows (SQLite here; PostgreSQL with scripts/with-postgres) --------


def _threads(count: int, work: Callable[[Session, int], Any], app: Flask, bind: Engine) -> list[Any]:
    """Run ``work(session, index)`` in ``count`` threads released at once, each in its own session and unit
    of work; each result or exception is returned in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        with app.test_request_context("/promotions/flash/buy", method="POST"), Session(bind) as session:
            barrier.wait(timeout=60)
            try:
                results[index] = run_unit_of_work(lambda: work(session, index), session)
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_racing_buyers_and_double_cancellations_stay_exact(
    app: Flask,
    engine: Engine,  # noqa: F811 - the fixture imported above
    seeded: Seeded,  # noqa: F811 - the fixture imported above
) -> None:
    with Session(engine) as session:
        session.execute(update(FlashSale).where(FlashSale.id == seeded.sale_id).values(cash_fen=1000))
        session.commit()

    def press(session: Session, index: int) -> tuple[int, int]:
        buyer_id = seeded.buyer_ids[index % RACE_BUYERS]
        buyer, sale = session.get(User, buyer_id), session.get(FlashSale, seeded.sale_id)
        assert buyer is not None and sale is not None
        return buyer_id, buy(session, buyer, sale, ADDRESS, method=PaymentMethod.BANK_TRANSFER).id

    results = _threads(RACE_THREADS, press, app, engine)
    unfair = [r for r in results if not isinstance(r, tuple | SoldOut | LimitReached)]
    assert not unfair, unfair
    bought = [r for r in results if isinstance(r, tuple)]
    assert len(bought) == RACE_UNITS and len({buyer for buyer, _ in bought}) == RACE_UNITS
    order_ids = [order_id for _buyer, order_id in bought]

    def cancel(session: Session, index: int) -> int:
        order = session.get(Order, order_ids[index // 2])  # every order cancelled by two threads at once
        assert order is not None
        return len(cancel_orders(session, [order], "race"))

    cancelled = _threads(2 * RACE_UNITS, cancel, app, engine)
    assert all(isinstance(r, int) for r in cancelled), cancelled
    assert sum(cancelled) == RACE_UNITS
    with Session(engine) as session:
        sale = session.get(FlashSale, seeded.sale_id)
        batch = session.get(Batch, seeded.batch_id)
        assert sale is not None and batch is not None
        assert sale.sold == 0 and batch.quantity_available == 50
        assert set(
            session.scalars(select(FlashBuyer.bought).where(FlashBuyer.sale_id == seeded.sale_id))
        ) == {0}
        for buyer_id in seeded.buyer_ids:
            assert balance_of(session, buyer_id) == RACE_POINTS
            ledger = session.scalar(
                select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == buyer_id)
            )
            assert ledger == RACE_POINTS
        returned = session.scalar(
            select(func.count())
            .select_from(PointsEntry)
            .where(PointsEntry.kind == PointsKind.RETURNED, PointsEntry.user_id.in_(seeded.buyer_ids))
        )
        assert returned == RACE_UNITS
        held = session.scalar(
            select(func.coalesce(func.sum(Allocation.quantity - Allocation.returned_quantity), 0)).where(
                Allocation.batch_id == seeded.batch_id
            )
        )
        assert held == 0
