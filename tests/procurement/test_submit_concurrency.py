"""Two identical submits at the same moment (a double click, a retried request) create one purchase order.

Like tests/orders/test_oversell.py these run on the real database (SQLite or PostgreSQL) with committed data:
an engine of their own, one session per thread, both threads submitting the same form (same idempotency key)
at once as the review page does. What they commit is deleted again at the end.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
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
from procurement.institutions.models import (
    Institution,
    InstitutionKind,
    InstitutionMember,
    InstitutionRole,
    InstitutionStatus,
)
from procurement.ordering.models import (
    FundingSource,
    PurchaseOrder,
    SupplierLine,
    SupplierOrder,
)
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order

ADDRESS = Address("王食堂", "13912345678", "370000", "临沂市", "兰山区", "北京路 1 号机关食堂")
_run = itertools.count(1)


@dataclass
class Seeded:
    """Committed rows of one test: a buyer of a verified institution, a certified product and its producer."""

    buyer_id: int
    institution_id: int
    product_id: int
    producer_id: int
    user_ids: list[int]


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database (outside the rolled-back test transaction)."""
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def seeded(engine: Engine) -> Iterator[Seeded]:
    """Commit a 城口县 producer with a certified product, and a verified institution with its buyer."""
    run = next(_run)
    today = shanghai_date()
    with Session(engine) as session:
        owner = User(email=f"po-race-owner-{run}@example.test", display_name="腊肉厂老板", password_hash="!")
        buyer = User(email=f"po-race-buyer-{run}@example.test", display_name="采购员", password_hash="!")
        county = get_region(session, "500229")
        assert county is not None
        producer = Producer(
            name=f"城口县并发测试腊肉厂{run}",
            kind=ProducerKind.LEADING_ENTERPRISE,
            status=ProducerStatus.APPROVED,
            county=county,
        )
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        product = Product(
            producer=producer, name="城口老腊肉", category=Category.MEAT, unit=Unit.KG, price_fen=9800
        )
        product.certifications.append(
            Certification(
                status=CertificationStatus.CERTIFIED,
                certificate_no=f"XFBF-PO-RACE-{run:05d}",
                authority="城口县乡村振兴局",
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
            )
        )
        institution = Institution(
            name=f"并发测试机关食堂{run}", kind=InstitutionKind.BUDGET_UNIT, status=InstitutionStatus.VERIFIED
        )
        institution.members.append(InstitutionMember(user=buyer, role=InstitutionRole.BUYER))
        session.add_all([owner, buyer, producer, product, institution])
        session.commit()
        data = Seeded(buyer.id, institution.id, product.id, producer.id, [owner.id, buyer.id])
    try:
        yield data
    finally:
        _clean_up(engine, data)


def _clean_up(engine: Engine, data: Seeded) -> None:
    """Delete every row the test committed, children first."""
    with Session(engine) as session:
        purchase_ids = select(PurchaseOrder.id).where(PurchaseOrder.institution_id == data.institution_id)
        order_ids = select(SupplierOrder.id).where(SupplierOrder.purchase_order_id.in_(purchase_ids))
        session.execute(delete(SupplierLine).where(SupplierLine.order_id.in_(order_ids)))
        session.execute(delete(SupplierOrder).where(SupplierOrder.id.in_(order_ids)))
        session.execute(delete(PurchaseOrder).where(PurchaseOrder.id.in_(purchase_ids)))
        session.execute(delete(Notification).where(Notification.user_id.in_(data.user_ids)))
        session.execute(
            delete(InstitutionMember).where(InstitutionMember.institution_id == data.institution_id)
        )
        session.execute(delete(Institution).where(Institution.id == data.institution_id))
        session.execute(delete(Certification).where(Certification.product_id == data.product_id))
        session.execute(delete(Product).where(Product.id == data.product_id))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id == data.producer_id))
        session.execute(delete(Producer).where(Producer.id == data.producer_id))
        session.execute(delete(User).where(User.id.in_(data.user_ids)))
        rebuild_counts(session)  # the bulk deletes above bypass the counters' flush hook
        session.commit()


def race(app: Flask, engine: Engine, seeded: Seeded, key: str, threads: int = 2) -> list[Any]:
    """Submit the same purchase order with ``key`` from ``threads`` threads at once, as the review page does.

    Each thread has its own session, loads the buyer and institution first, waits for the others, then
    submits and commits (retrying when SQLite says another writer came first). Returns per thread the
    purchase order id, or the exception it ended with.
    """
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads
    delivery = Delivery(ADDRESS, shanghai_date() + timedelta(days=5))

    def run(index: int) -> None:
        with app.test_request_context("/procurement/review", method="POST"), Session(engine) as session:
            buyer = session.get(User, seeded.buyer_id)
            institution = session.get(Institution, seeded.institution_id)
            assert buyer is not None and institution is not None
            institution.roles_of(buyer)  # loaded before the race, as the view's access check does
            barrier.wait()
            try:
                purchase = run_unit_of_work(
                    lambda: submit_purchase_order(
                        session,
                        buyer,
                        institution,
                        [PurchaseLineInput(seeded.product_id, 3)],
                        delivery,
                        FundingSource.BUDGET,
                        key,
                        now=utcnow(),
                    ),
                    session,
                )
                results[index] = purchase.id
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return results


def test_two_identical_submits_at_once_create_one_purchase_order(
    app: Flask, engine: Engine, seeded: Seeded
) -> None:
    keys = [f"double-submit-{seeded.institution_id}-{round_}-xxxxxxxx" for round_ in range(3)]
    for key in keys:  # a few rounds, so the threads really overlap at least once on either database
        results = race(app, engine, seeded, key)
        assert all(isinstance(r, int) for r in results), results
        assert len(set(results)) == 1
    with Session(engine) as session:
        for key in keys:
            assert session.scalar(select(func.count()).where(PurchaseOrder.idempotency_key == key)) == 1
        purchases = session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.institution_id == seeded.institution_id)
        ).all()
        assert len(purchases) == len(keys)
        assert all(len(p.supplier_orders) == 1 and len(p.supplier_orders[0].lines) == 1 for p in purchases)
        owner_id = seeded.user_ids[0]
        told = session.scalar(select(func.count(Notification.id)).where(Notification.user_id == owner_id))
        assert told == len(keys)  # the producer hears of each purchase order once
