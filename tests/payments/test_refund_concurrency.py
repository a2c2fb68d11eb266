"""Two "refund everything" clicks at the same moment: one refund, the other a clear 409, nobody a 503.

SQLite refuses at once ("database is locked") a transaction that read first and writes later when another
writer committed in between; the refund page retries such refusals in a unit of work that takes the write
lock first. Two app instances (as two gunicorn workers) post at once on committed data
(tests/faults/committed.py), deleted afterwards. Runs on PostgreSQL too.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_login import FlaskLoginClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from core.db import make_engine, utcnow
from core.models import User
from orders.models import Allocation, Checkout, Order, OrderLine, OrderStatus, PaymentMethod
from payments.models import Refund, RefundLine
from shop import create_app
from tests.conftest import base_config
from tests.faults.committed import Committed, clean_up, seed
from traceability.batches.inventory import draw_stock
from traceability.models import Batch

ROUNDS = 4


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[Committed]:
    data = seed(engine, quantities=(50,), buyers=1)
    try:
        yield data
    finally:
        with Session(engine) as session:
            order_ids = select(Order.id).where(Order.producer_id == data.producer_id)
            refund_ids = select(Refund.id).where(Refund.order_id.in_(order_ids))
            session.execute(delete(RefundLine).where(RefundLine.refund_id.in_(refund_ids)))
            session.execute(delete(Refund).where(Refund.order_id.in_(order_ids)))
            session.commit()
        clean_up(engine, data)


@pytest.fixture()
def workers(app: Flask, tmp_path: Path) -> Iterator[list[Flask]]:
    """Two app instances on the test database, as two worker processes would be."""
    config = base_config(app.config["DATABASE_URL"], str(tmp_path))
    config.update(WTF_CSRF_ENABLED=False)
    apps = [create_app(dict(config)) for _ in range(2)]
    for each in apps:
        each.test_client_class = FlaskLoginClient
    yield apps
    for each in apps:
        each.extensions["db"].engine.dispose()


def paid_order(engine: Engine, data: Committed) -> int:
    """Commit a paid order of 2 boxes (cash on delivery, which its producer refunds); return its id."""
    with Session(engine) as session:
        batch = session.get(Batch, data.batch_ids[0])
        assert batch is not None
        checkout = Checkout(
            number=f"R{secrets.randbelow(10**12):012d}",
            buyer_id=data.buyer_ids[0],
            method=PaymentMethod.CASH_ON_DELIVERY,
            total_fen=2 * 6800,
            idempotency_key=secrets.token_hex(16),
            payment_reference=f"RF{secrets.token_hex(5).upper()}",
            reserved_until=utcnow() + timedelta(minutes=30),
        )
        order = Order(
            number=f"{secrets.randbelow(10**12):012d}",
            checkout=checkout,
            buyer_id=data.buyer_ids[0],
            producer_id=data.producer_id,
            recipient="王芳",
            mobile="13812345678",
            province="重庆市",
            city="重庆市",
            district="九龙坡区",
            address_detail="杨家坪正街 8 号",
            subtotal_fen=2 * 6800,
            shipping_fen=0,
        )
        line = OrderLine(
            product_id=data.product_id,
            product_name="疏勒县灰枣",
            unit="box",
            unit_price_fen=6800,
            quantity=2,
        )
        line.allocations.append(Allocation(batch_id=batch.id, quantity=2))
        order.lines.append(line)
        session.add(order)
        draw_stock(session, batch, 2)
        order.mark_paid()
        session.commit()
        return order.id


def test_two_refund_everything_clicks_at_once_refund_once_and_nobody_sees_a_503(
    engine: Engine, committed: Committed, workers: list[Flask]
) -> None:
    with Session(engine) as session:
        owner = session.get(User, committed.owner_id)
        assert owner is not None
        session.expunge(owner)
    for _ in range(ROUNDS):  # a few rounds, so the two requests really overlap on either database
        order_id = paid_order(engine, committed)
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def click(
            index: int,
            order_id: int = order_id,
            barrier: threading.Barrier = barrier,
            statuses: list[int] = statuses,
        ) -> None:
            client = workers[index].test_client(user=owner)
            barrier.wait()
            response = client.post(
                f"/payments/orders/{order_id}/refund", data={"reason": "买家不要了", "everything": "1"}
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(statuses) == [302, 409], statuses
        with Session(engine) as session:
            order = session.get(Order, order_id)
            assert order is not None and order.status is OrderStatus.REFUNDED
            refunds = session.scalars(select(Refund).where(Refund.order_id == order_id)).all()
            assert [r.amount_fen for r in refunds] == [2 * 6800]
            assert session.get(Batch, committed.batch_ids[0]).quantity_available == 50  # type: ignore[union-attr]
