"""Two administrators confirm the same bank transfer at the same moment: one set of payments, the other told
"already confirmed" (409), nobody a 503.

Two app instances (as two gunicorn workers) post at once on committed data (tests/faults/committed.py),
deleted afterwards. Runs on PostgreSQL too (the checkout's row lock) and SQLite (its write lock, retried).
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_login import FlaskLoginClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from core.audit.services import AuditEntry
from core.db import make_engine, utcnow
from core.models import User
from orders.models import Allocation, Checkout, Order, OrderLine, OrderStatus, PaymentMethod
from payments.models import Payment
from shop import create_app
from stats.models import EntrySource, SalesEntry
from tests.conftest import base_config
from tests.faults.committed import Committed, clean_up, seed
from traceability.batches.inventory import draw_stock
from traceability.models import Batch

ROUNDS = 3


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[tuple[Committed, list[int]]]:
    """A committed producer, batch and buyer, and two committed administrators (ids)."""
    data = seed(engine, quantities=(50,), buyers=1)
    tag = uuid.uuid4().hex[:8]
    with Session(engine) as session:
        admins = [
            User(
                email=f"admin-{tag}-{i}@example.test",
                display_name="平台财务",
                password_hash="!",
                is_admin=True,
            )
            for i in range(2)
        ]
        session.add_all(admins)
        session.commit()
        admin_ids = [a.id for a in admins]
    try:
        yield data, admin_ids
    finally:
        clean_up(engine, data)
        with Session(engine) as session:
            session.execute(delete(AuditEntry).where(AuditEntry.actor_id.in_(admin_ids)))
            session.execute(delete(User).where(User.id.in_(admin_ids)))
            session.commit()


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


def awaiting_checkout(engine: Engine, data: Committed) -> tuple[str, int]:
    """Commit a bank-transfer checkout of 2 boxes awaiting its transfer; return its number and order id."""
    with Session(engine) as session:
        batch = session.get(Batch, data.batch_ids[0])
        assert batch is not None
        checkout = Checkout(
            number=f"W{secrets.randbelow(10**12):012d}",
            buyer_id=data.buyer_ids[0],
            method=PaymentMethod.BANK_TRANSFER,
            total_fen=2 * 6800,
            idempotency_key=secrets.token_hex(16),
            payment_reference=f"WF{secrets.token_hex(5).upper()}",
            reserved_until=utcnow() + timedelta(hours=48),
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
            product_id=data.product_id, product_name="疏勒县灰枣", unit="box", unit_price_fen=6800, quantity=2
        )
        line.allocations.append(Allocation(batch_id=batch.id, quantity=2))
        order.lines.append(line)
        session.add(order)
        draw_stock(session, batch, 2)
        session.commit()
        return checkout.number, order.id


def test_two_admins_confirming_one_transfer_at_once_record_one_payment(
    engine: Engine, committed: tuple[Committed, list[int]], workers: list[Flask]
) -> None:
    data, admin_ids = committed
    with Session(engine) as session:
        admins = [session.get(User, ident) for ident in admin_ids]
        for admin in admins:
            session.expunge(admin)
    for round_ in range(ROUNDS):  # a few rounds, so the two requests really overlap on either database
        number, order_id = awaiting_checkout(engine, data)
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def click(
            index: int,
            number: str = number,
            barrier: threading.Barrier = barrier,
            statuses: list[int] = statuses,
        ) -> None:
            client = workers[index].test_client(user=admins[index])
            barrier.wait()
            response = client.post(
                f"/payments/transfers/{number}/confirm",
                data={"amount": "136.00", "bank_reference": f"ICBC-{number}-{index}"},
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(statuses) == [302, 409], (round_, statuses)
        with Session(engine) as session:
            order = session.get(Order, order_id)
            assert order is not None and order.status is OrderStatus.PAID
            paid = session.scalars(select(Payment).where(Payment.checkout_id == order.checkout_id)).all()
            assert [p.amount_fen for p in paid] == [2 * 6800]
            sales = select(func.count(SalesEntry.id)).where(
                SalesEntry.source == EntrySource.ORDER_LINE, SalesEntry.source_id == order.lines[0].id
            )
            assert session.scalar(sales) == 1
