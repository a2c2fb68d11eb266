"""No batch is ever oversold, even when many buyers check out at once (SQLite and PostgreSQL).

These tests run on the real database with committed data: a separate engine, one session per buyer thread,
every thread calling ``place_checkout`` and committing at the same moment. What they commit is deleted again
at the end, so the rest of the suite never sees it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from catalog.counts.services import rebuild_counts
from catalog.producers.models import (
    MemberRole,
    Producer,
    ProducerKind,
    ProducerMember,
    ProducerStatus,
)
from catalog.products.models import (
    Category,
    Certification,
    CertificationStatus,
    Product,
    Unit,
)
from core.clock import shanghai_date
from core.db import make_engine, utcnow
from core.models import User
from core.notifications.models import Notification
from core.regions import get_region
from core.transactions import run_unit_of_work
from orders.addresses import Address
from orders.cart.checkout import place_checkout
from orders.cart.services import OutOfStock
from orders.models import (
    Allocation,
    CartItem,
    Checkout,
    Order,
    OrderLine,
    PaymentMethod,
)
from tests.support import delete_trace_events
from traceability.batches.services import BatchData, create_batch
from traceability.models import Batch, ComplianceCertificate

BUYERS = 12
ADDRESS = Address("王芳", "13812345678", "500000", "重庆市", "九龙坡区", "杨家坪正街 8 号 2 单元 301")
_run = itertools.count(1)


@dataclass
class Seeded:
    """Committed rows of one test: the product, its batches (3 + 2 units), the buyers."""

    product_id: int
    batch_ids: list[int]
    buyer_ids: list[int]
    user_ids: list[int] = field(default_factory=list)
    producer_id: int = 0


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database (outside the rolled-back test transaction)."""
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def seeded(engine: Engine) -> Iterator[Seeded]:
    """Commit a certified 疏勒县 jujube product with two batches (3 units, then 2 units) and twelve buyers."""
    run = next(_run)
    today = shanghai_date()
    with Session(engine) as session:
        owner = User(
            email=f"oversell-owner-{run}@example.test", display_name="合作社负责人", password_hash="!"
        )
        buyers = [
            User(email=f"oversell-{run}-{i}@example.test", display_name="买家", password_hash="!")
            for i in range(BUYERS)
        ]
        county = get_region(session, "653122")
        assert county is not None
        producer = Producer(
            name=f"疏勒县抢购测试合作社{run}",
            kind=ProducerKind.COOPERATIVE,
            status=ProducerStatus.APPROVED,
            county=county,
        )
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        product = Product(
            producer=producer,
            name="疏勒县灰枣",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=1000,
            price_fen=6800,
        )
        product.certifications.append(
            Certification(
                status=CertificationStatus.CERTIFIED,
                certificate_no=f"XFBF-RACE-{run:05d}",
                authority="疏勒县乡村振兴局",
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
            )
        )
        session.add_all([owner, *buyers, producer, product])
        session.flush()
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        batches = [
            create_batch(
                session,
                owner,
                product,
                BatchData(quantity, today - timedelta(days=1), today + timedelta(days=days), origin=origin),
            )
            for quantity, days in ((2, 60), (3, 30))
        ]
        session.commit()
        data = Seeded(
            product_id=product.id,
            batch_ids=[b.id for b in batches],
            buyer_ids=[b.id for b in buyers],
            user_ids=[owner.id, *(b.id for b in buyers)],
            producer_id=producer.id,
        )
    try:
        yield data
    finally:
        _clean_up(engine, data)


def _clean_up(engine: Engine, data: Seeded) -> None:
    """Delete every row the test committed, children first."""
    with Session(engine) as session:
        checkout_ids = select(Checkout.id).where(Checkout.buyer_id.in_(data.user_ids))
        order_ids = select(Order.id).where(Order.checkout_id.in_(checkout_ids))
        line_ids = select(OrderLine.id).where(OrderLine.order_id.in_(order_ids))
        session.execute(delete(Allocation).where(Allocation.line_id.in_(line_ids)))
        session.execute(delete(OrderLine).where(OrderLine.id.in_(line_ids)))
        session.execute(delete(Order).where(Order.id.in_(order_ids)))
        session.execute(delete(Checkout).where(Checkout.id.in_(checkout_ids)))
        session.execute(delete(Notification).where(Notification.user_id.in_(data.user_ids)))
        session.execute(delete(CartItem).where(CartItem.user_id.in_(data.user_ids)))
        delete_trace_events(session, list(data.batch_ids))
        session.execute(
            delete(ComplianceCertificate).where(ComplianceCertificate.batch_id.in_(data.batch_ids))
        )
        session.execute(delete(Batch).where(Batch.id.in_(data.batch_ids)))
        session.execute(delete(Certification).where(Certification.product_id == data.product_id))
        session.execute(delete(Product).where(Product.id == data.product_id))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id == data.producer_id))
        session.execute(delete(Producer).where(Producer.id == data.producer_id))
        session.execute(delete(User).where(User.id.in_(data.user_ids)))
        rebuild_counts(session)  # the bulk deletes above bypass the counters' flush hook
        session.commit()


def race(app: Flask, engine: Engine, product_id: int, attempts: list[tuple[int, str]]) -> list[Any]:
    """Let each ``(buyer id, idempotency key)`` buy one unit in a thread and session of its own, all at once.

    Each thread runs as the checkout view does: the buyer is loaded first (by the log-in), then the checkout
    is placed and committed, and placed again when SQLite says another writer came first. Returns per
    attempt the checkout id, or the exception it ended with.
    """
    barrier = threading.Barrier(len(attempts))
    results: list[Any] = [None] * len(attempts)

    def run(index: int) -> None:
        buyer_id, key = attempts[index]
        with app.test_request_context("/checkout", method="POST"), Session(engine) as session:
            buyer = session.get(User, buyer_id)
            assert buyer is not None
            barrier.wait()
            try:
                checkout = run_unit_of_work(
                    lambda: place_checkout(
                        session,
                        buyer,
                        {product_id: 1},
                        ADDRESS,
                        PaymentMethod.BANK_TRANSFER,
                        key,
                        now=utcnow(),
                    ),
                    session,
                )
                results[index] = checkout.id
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_many_buyers_at_once_take_exactly_the_units_there_are(
    app: Flask, engine: Engine, seeded: Seeded
) -> None:
    attempts = [(b, f"race-{b}-{seeded.product_id}-xxxxxxxx") for b in seeded.buyer_ids]
    results = race(app, engine, seeded.product_id, attempts)

    succeeded = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    unexpected = [r for r in results if not isinstance(r, int | OutOfStock)]
    assert unexpected == []
    assert len(succeeded) == 5 and len(refused) == BUYERS - 5
    with Session(engine) as session:
        batches = session.scalars(select(Batch).where(Batch.id.in_(seeded.batch_ids))).all()
        assert {b.quantity_available for b in batches} == {0}
        allocated = session.scalar(
            select(func.sum(Allocation.quantity)).where(Allocation.batch_id.in_(seeded.batch_ids))
        )
        assert allocated == 5
        per_batch = dict(
            session.execute(
                select(Allocation.batch_id, func.sum(Allocation.quantity))
                .where(Allocation.batch_id.in_(seeded.batch_ids))
                .group_by(Allocation.batch_id)
            ).all()
        )
        later, sooner = seeded.batch_ids  # 2 units best before in 60 days, 3 units in 30 days
        assert per_batch == {later: 2, sooner: 3}
        assert session.scalar(select(func.count(Checkout.id)).where(Checkout.id.in_(succeeded))) == 5
        orders = session.scalar(select(func.count(Order.id)).where(Order.buyer_id.in_(seeded.buyer_ids)))
        assert orders == 5  # the refused buyers left nothing behind


def test_the_same_form_sent_twice_at_once_places_one_checkout(
    app: Flask, engine: Engine, seeded: Seeded
) -> None:
    buyer = seeded.buyer_ids[0]
    key = f"double-click-{seeded.product_id}-xxxxxxxx"
    results = race(app, engine, seeded.product_id, [(buyer, key)] * 4)

    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count(Checkout.id)).where(Checkout.idempotency_key == key)) == 1
        left = session.scalar(
            select(func.sum(Batch.quantity_available)).where(Batch.id.in_(seeded.batch_ids))
        )
        assert left == 4
