"""Two different orders submitted at the same moment cannot both go through against one spending limit.

The issue: two ¥17,700 orders, 76 ms apart, were both approved automatically against a ¥20,000 limit. The
limit is checked under a lock on the institution's row, so concurrent submissions are decided one after the
other. Like tests/procurement/test_submit_concurrency.py (whose committed fixtures this reuses) it runs on the
real database, SQLite or PostgreSQL, one session per thread.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from core.notifications.models import Notification
from core.transactions import run_unit_of_work
from procurement.institutions.models import Institution
from procurement.ordering.models import (
    FundingSource,
    PurchaseOrder,
    PurchaseStatus,
    SupplierLine,
    SupplierOrder,
)
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from tests.procurement.test_submit_concurrency import ADDRESS, Seeded, engine, seeded

__all__ = ["engine", "seeded"]  # the fixtures, shared with the idempotency race

#: ¥20,000, and two orders of 181 kg × ¥98 = ¥17,738 each: either fits, both do not.
LIMIT_FEN = 2_000_000
KILOGRAMS = 181


def race(app: Flask, engine: Engine, seeded: Seeded, round_: int) -> list[Any]:
    """Submit two different purchase orders (two idempotency keys) from two threads at once."""
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]
    delivery = Delivery(ADDRESS, shanghai_date() + timedelta(days=5))

    def run(index: int) -> None:
        key = f"limit-race-{seeded.institution_id}-{round_}-{index}-xxxxxxxx"
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
                        [PurchaseLineInput(seeded.product_id, KILOGRAMS)],
                        delivery,
                        FundingSource.BUDGET,
                        key,
                        now=utcnow(),
                    ),
                    session,
                )
                results[index] = purchase.status
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return results


def _forget_orders(engine: Engine, seeded: Seeded) -> None:
    """Delete the institution's purchase orders, so the next round starts with the month's limit unused."""
    with Session(engine) as session:
        purchase_ids = select(PurchaseOrder.id).where(PurchaseOrder.institution_id == seeded.institution_id)
        order_ids = select(SupplierOrder.id).where(SupplierOrder.purchase_order_id.in_(purchase_ids))
        session.execute(delete(SupplierLine).where(SupplierLine.order_id.in_(order_ids)))
        session.execute(delete(SupplierOrder).where(SupplierOrder.id.in_(order_ids)))
        session.execute(delete(PurchaseOrder).where(PurchaseOrder.id.in_(purchase_ids)))
        session.execute(delete(Notification).where(Notification.user_id.in_(seeded.user_ids)))
        session.commit()


def test_two_orders_at_once_cannot_both_pass_the_monthly_limit(
    app: Flask, engine: Engine, seeded: Seeded
) -> None:
    with Session(engine) as session:
        session.execute(
            update(Institution)
            .where(Institution.id == seeded.institution_id)
            .values(spending_limit_fen=LIMIT_FEN)
        )
        session.commit()
    for round_ in range(3):  # a few rounds, so the threads really overlap at least once on either database
        results = race(app, engine, seeded, round_)
        assert sorted(str(r) for r in results) == ["approved", "awaiting_approval"], results
        with Session(engine) as session:
            statuses = session.scalars(
                select(PurchaseOrder.status).where(PurchaseOrder.institution_id == seeded.institution_id)
            ).all()
        assert sorted(statuses) == [PurchaseStatus.APPROVED, PurchaseStatus.AWAITING_APPROVAL]
        _forget_orders(engine, seeded)
