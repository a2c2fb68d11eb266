"""A promotion's budget is never overspent and a buyer never passes its limit, however many checkouts run at
once (SQLite here; PostgreSQL with ``scripts/with-postgres``).

Real threads, one session each, on committed data (an engine of its own, outside the rolled-back test
transaction); what they commit is deleted again at the end.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from catalog.counts.services import rebuild_counts
from catalog.producers.models import MemberRole, Producer, ProducerKind, ProducerMember, ProducerStatus
from catalog.products.models import Category, Certification, CertificationStatus, Product, Unit
from core.clock import shanghai_date
from core.db import make_engine, utcnow
from core.models import User
from core.notifications.models import Notification
from core.regions import get_region
from core.transactions import run_unit_of_work
from orders.cart.checkout import place_checkout
from orders.models import (
    Allocation,
    CartItem,
    Checkout,
    LineDiscount,
    Order,
    OrderLine,
    PaymentMethod,
    SponsorKind,
)
from promotions.offers.budget import take_budget, take_use
from promotions.offers.errors import BudgetSpent, BuyerLimitReached
from promotions.offers.models import BuyerUse, Promotion, PromotionKind
from tests.promotions.support import ADDRESS
from tests.support import delete_trace_events
from traceability.batches.services import BatchData, create_batch
from traceability.models import Batch, ComplianceCertificate

BUYERS = 12
_run = itertools.count(1)


@dataclass
class Seeded:
    """Committed rows: a product with a large batch, buyers, and a promotion worth five discounts."""

    product_id: int
    batch_id: int
    promotion_id: int
    buyer_ids: list[int]
    user_ids: list[int] = field(default_factory=list)
    producer_id: int = 0


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database."""
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def seeded(engine: Engine) -> Iterator[Seeded]:
    """Commit a certified 城口老腊肉 (¥68 a unit, 100 units) and a ¥5 discount with a ¥25 budget."""
    run = next(_run)
    today = shanghai_date()
    with Session(engine) as session:
        owner = User(email=f"budget-owner-{run}@example.test", display_name="腊肉合作社", password_hash="!")
        buyers = [
            User(email=f"budget-{run}-{i}@example.test", display_name="买家", password_hash="!")
            for i in range(BUYERS)
        ]
        county = get_region(session, "500229")
        assert county is not None
        producer = Producer(
            name=f"城口预算测试合作社{run}",
            kind=ProducerKind.COOPERATIVE,
            status=ProducerStatus.APPROVED,
            county=county,
        )
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        product = Product(
            producer=producer,
            name="城口老腊肉",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.KG,
            price_fen=6800,
        )
        product.certifications.append(
            Certification(
                status=CertificationStatus.CERTIFIED,
                certificate_no=f"XFBF-BUDGET-{run:05d}",
                authority="城口县乡村振兴局",
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
            )
        )
        session.add_all([owner, *buyers, producer, product])
        session.flush()
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        batch = create_batch(
            session,
            owner,
            product,
            BatchData(100, today - timedelta(days=1), today + timedelta(days=60), origin=origin),
        )
        now = utcnow()
        promotion = Promotion(
            title="临沂市资助满减",
            kind=PromotionKind.SPEND_SAVE,
            sponsor_kind=SponsorKind.INSTITUTION,
            sponsor_id=None,
            sponsor_name="临沂市",
            producer_id=producer.id,
            threshold_fen=5000,
            amount_fen=500,
            budget_fen=2500,
            spent_fen=0,
            uses=0,
            per_buyer_limit=2,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
        )
        session.add(promotion)
        session.commit()
        data = Seeded(
            product_id=product.id,
            batch_id=batch.id,
            promotion_id=promotion.id,
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
        session.execute(delete(LineDiscount).where(LineDiscount.line_id.in_(line_ids)))
        session.execute(delete(Allocation).where(Allocation.line_id.in_(line_ids)))
        session.execute(delete(OrderLine).where(OrderLine.id.in_(line_ids)))
        session.execute(delete(Order).where(Order.id.in_(order_ids)))
        session.execute(delete(Checkout).where(Checkout.id.in_(checkout_ids)))
        session.execute(delete(BuyerUse).where(BuyerUse.promotion_id == data.promotion_id))
        session.execute(delete(Promotion).where(Promotion.id == data.promotion_id))
        session.execute(delete(Notification).where(Notification.user_id.in_(data.user_ids)))
        session.execute(delete(CartItem).where(CartItem.user_id.in_(data.user_ids)))
        delete_trace_events(session, [data.batch_id])
        session.execute(delete(ComplianceCertificate).where(ComplianceCertificate.batch_id == data.batch_id))
        session.execute(delete(Batch).where(Batch.id == data.batch_id))
        session.execute(delete(Certification).where(Certification.product_id == data.product_id))
        session.execute(delete(Product).where(Product.id == data.product_id))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id == data.producer_id))
        session.execute(delete(Producer).where(Producer.id == data.producer_id))
        session.execute(delete(User).where(User.id.in_(data.user_ids)))
        rebuild_counts(session)
        session.commit()


def race(app: Flask, engine: Engine, count: int, work: Callable[[Session, int], Any]) -> list[Any]:
    """Run ``work(session, index)`` in ``count`` threads at once, each committing through
    ``run_unit_of_work``; return each result or the exception it ended with."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        with app.test_request_context("/checkout", method="POST"), Session(engine) as session:
            barrier.wait()
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


def test_concurrent_checkouts_never_spend_more_than_the_budget(
    app: Flask, engine: Engine, seeded: Seeded
) -> None:
    def checkout(session: Session, index: int) -> int:
        buyer = session.get(User, seeded.buyer_ids[index])
        assert buyer is not None
        placed = place_checkout(
            session,
            buyer,
            {seeded.product_id: 1},
            ADDRESS,
            PaymentMethod.BANK_TRANSFER,
            f"budget-{index}-{seeded.promotion_id}-xxxxxxxx",
            now=utcnow(),
        )
        return placed.id

    results = race(app, engine, BUYERS, checkout)
    unexpected = [r for r in results if not isinstance(r, int | BudgetSpent)]
    assert unexpected == []
    with Session(engine) as session:
        promotion = session.get(Promotion, seeded.promotion_id)
        assert promotion is not None
        discounts = session.scalars(
            select(LineDiscount).where(LineDiscount.promotion_id == promotion.id)
        ).all()
        assert promotion.spent_fen == 2500 == sum(d.amount_fen for d in discounts)
        assert promotion.uses == len(discounts) == 5
        placed = [r for r in results if isinstance(r, int)]
        paid = session.scalar(select(func.sum(Checkout.total_fen)).where(Checkout.id.in_(placed)))
        assert paid == len(placed) * 6800 - 2500  # every discount recorded was taken from the budget


def test_concurrent_uses_by_one_buyer_stop_at_the_limit(app: Flask, engine: Engine, seeded: Seeded) -> None:
    buyer_id = seeded.buyer_ids[0]

    def use(session: Session, _index: int) -> bool:
        promotion = session.get(Promotion, seeded.promotion_id)
        assert promotion is not None
        take_use(session, promotion, buyer_id)
        return True

    results = race(app, engine, 8, use)
    assert results.count(True) == 2
    assert all(isinstance(r, BuyerLimitReached) for r in results if r is not True)
    with Session(engine) as session:
        assert session.get(BuyerUse, (seeded.promotion_id, buyer_id)).uses == 2  # type: ignore[union-attr]


def test_concurrent_takes_from_the_budget_stop_exactly_at_it(
    app: Flask, engine: Engine, seeded: Seeded
) -> None:
    def take(session: Session, _index: int) -> bool:
        promotion = session.get(Promotion, seeded.promotion_id)
        assert promotion is not None
        take_budget(session, promotion, 300, utcnow())
        return True

    results = race(app, engine, 12, take)
    assert results.count(True) == 8  # 8 × 300 = 2400 ≤ 2500 < 9 × 300
    assert all(isinstance(r, BudgetSpent) for r in results if r is not True)
    with Session(engine) as session:
        promotion = session.get(Promotion, seeded.promotion_id)
        assert promotion is not None and promotion.spent_fen == 2400
