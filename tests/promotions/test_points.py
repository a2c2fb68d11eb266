"""Points (积分): earned once on paid orders, taken back on refunds, spent never below zero (also when many
requests spend at once), expired oldest first, and an append-only ledger that explains the balance."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from core.db import make_engine, utcnow
from core.models import User
from core.transactions import run_unit_of_work
from payments.refunds import refund_order
from promotions.points.models import PointsAccount, PointsEntry, PointsKind
from promotions.points.services import NotEnoughPoints, balance_of, earn, expire_points, spend
from tests.commerce import Shop
from tests.promotions.support import make_promotion, pay, place


def ledger_sum(db: Session, user_id: int) -> int:
    return int(
        db.scalar(
            select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == user_id)
        )
        or 0
    )


def test_a_paid_order_earns_a_point_per_yuan_paid_once_and_a_refund_takes_them_back(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    make_promotion(db, threshold_fen=5000, amount_fen=850)
    checkout = place(db, shop.buyer, {shop.product_b.id: 2})  # ¥136 less ¥8.50: ¥127.50 paid
    pay(db, admin, checkout)
    assert balance_of(db, shop.buyer.id) == 127
    assert earn(db, shop.buyer.id, 127, "order", checkout.orders[0].id, utcnow()) == 0  # once per order
    order = checkout.orders[0]
    refund_order(db, admin, order, {order.lines[0].id: 1}, "坏了一块")  # ⌊12750 / 2⌋ = ¥63.75 back
    assert balance_of(db, shop.buyer.id) == 127 - 63
    assert ledger_sum(db, shop.buyer.id) == balance_of(db, shop.buyer.id)


def test_spending_never_takes_the_balance_below_zero(db: Session, shop: Shop) -> None:
    now = utcnow()
    earn(db, shop.buyer.id, 100, "order", 1, now)
    spend(db, shop.buyer.id, 60, "flash", 1, now)
    with pytest.raises(NotEnoughPoints):
        spend(db, shop.buyer.id, 41, "flash", 2, now)
    assert balance_of(db, shop.buyer.id) == 40 == ledger_sum(db, shop.buyer.id)


def test_points_expire_oldest_first(db: Session, shop: Shop) -> None:
    start = utcnow()
    earn(db, shop.buyer.id, 100, "order", 11, start - timedelta(days=400))  # expired 35 days ago
    earn(db, shop.buyer.id, 50, "order", 12, start - timedelta(days=10))
    spend(db, shop.buyer.id, 30, "flash", 3, start - timedelta(days=5))  # taken from the oldest
    assert expire_points(db, shop.buyer.id, start) == 70
    assert expire_points(db, shop.buyer.id, start) == 0  # nothing more is due
    assert balance_of(db, shop.buyer.id) == 50 == ledger_sum(db, shop.buyer.id)
    kinds = db.scalars(select(PointsEntry.kind).where(PointsEntry.user_id == shop.buyer.id)).all()
    assert PointsKind.EXPIRED in kinds


def test_the_points_page(
    db: Session, shop: Shop, as_user: Callable[[User | None], FlaskClient], english: None
) -> None:
    earn(db, shop.buyer.id, 42, "order", 99, utcnow())
    page = as_user(shop.buyer).get("/promotions/points/").get_data(as_text=True)
    assert ">42</strong>" in page and "Earned on an order" in page


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


def test_many_spends_at_once_never_overspend(app: Flask, engine: Engine) -> None:
    with Session(engine) as session:
        user = User(
            email=f"points-race-{utcnow().timestamp()}@example.test", display_name="买家", password_hash="!"
        )
        session.add(user)
        session.flush()
        earn(session, user.id, 100, "order", 10**8 + user.id, utcnow())
        session.commit()
        user_id = user.id
    barrier = threading.Barrier(10)
    results: list[Any] = [None] * 10

    def run(index: int) -> None:
        with app.app_context(), Session(engine) as session:
            barrier.wait()
            try:
                run_unit_of_work(
                    lambda: spend(session, user_id, 30, "race", user_id * 100 + index, utcnow()), session
                )
                results[index] = True
            except Exception as exc:  # reported to the test
                session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert results.count(True) == 3
        assert all(isinstance(r, NotEnoughPoints) for r in results if r is not True)
        with Session(engine) as session:
            assert balance_of(session, user_id) == 10 == ledger_sum(session, user_id)
    finally:
        with Session(engine) as session:
            session.execute(delete(PointsEntry).where(PointsEntry.user_id == user_id))
            session.execute(delete(PointsAccount).where(PointsAccount.user_id == user_id))
            session.execute(delete(User).where(User.id == user_id))
            session.commit()
