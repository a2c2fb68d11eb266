"""The demo's past: months of orders paid by different means, shipped, received, refunded and rated,
batches at every stage, targets part-way — written through the services, counted consistently, only once."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from core.clock import shanghai_date
from core.models import User
from core.urls import path_for
from orders.models import Order, OrderStatus, PaymentMethod, Rating
from orders.reviews.models import RatingReply
from payments.models import Payment, Refund
from procurement.institutions.models import Institution
from procurement.ordering.models import SupplierOrder, SupplierStatus
from shop.demo.goals import DEMO_GOALS
from shop.demo.history import KEY_PREFIX, month_starts
from shop.demo.seed import DEMO_INSTITUTION, seed_demo
from stats.models import SalesEntry, Target
from stats.progress import received_progress
from stats.rebuild import check_ledger
from stats.targets.services import progress_of_targets
from traceability.holds.models import BatchHold, HoldReason
from traceability.models import Batch, BatchStatus, TraceEvent

#: Months the tests write: enough for a month long past, the last one and this one, and quick to seed.
MONTHS = 3


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash the demo passwords cheaply: scrypt would make every seeding here take seconds longer."""
    monkeypatch.setattr(
        "core.models.generate_password_hash",
        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"),
    )


def _seed(app: Flask, db: Session, months: int = MONTHS) -> None:
    """Seed the demo with ``months`` of history (its services build links: inside a request)."""
    with app.test_request_context():
        seed_demo(db, history_months=months)
    db.flush()


def _counts(db: Session) -> dict[str, int]:
    """Rows of every kind the history writes."""
    models = (
        User,
        Order,
        Payment,
        Refund,
        Rating,
        RatingReply,
        Batch,
        TraceEvent,
        SalesEntry,
        Target,
        BatchHold,
    )
    return {model.__name__: db.scalar(select(func.count()).select_from(model)) or 0 for model in models}


def test_months_of_orders_paid_shipped_received_refunded_and_rated(
    app: Flask, db: Session, client: FlaskClient
) -> None:
    _seed(app, db)
    orders = [o for o in db.scalars(select(Order)) if o.checkout.idempotency_key.startswith(KEY_PREFIX)]
    today = shanghai_date()
    firsts = month_starts(today, MONTHS)
    months = {shanghai_date(o.placed_at).replace(day=1) for o in orders}
    assert months <= set(firsts) and len(months) >= MONTHS - 1  # this month may not have begun yet
    assert all(shanghai_date(o.placed_at) < today for o in orders)
    assert {o.checkout.method for o in orders} == {
        PaymentMethod.BANK_TRANSFER,
        PaymentMethod.CASH_ON_DELIVERY,
    }
    old = [o for o in orders if shanghai_date(o.placed_at) < firsts[-1]]
    assert old and all(o.paid_at and o.shipped_at and o.received_at for o in old)
    assert all(o.paid_at and o.placed_at <= o.paid_at <= o.received_at for o in old if o.received_at)
    refunded = [o for o in orders if o.refunded_fen]
    assert any(o.status is OrderStatus.REFUNDED for o in refunded)  # whole
    assert any(0 < o.refunded_fen < o.total_fen for o in refunded)  # partial
    assert {OrderStatus.COMPLETED, OrderStatus.RECEIVED} <= {o.status for o in orders}

    ratings = list(db.scalars(select(Rating)))
    assert ratings and any(r.comment for r in ratings)
    replies = list(db.scalars(select(RatingReply)))
    assert replies
    with_text = next(r for r in ratings if r.comment)
    page = client.get(path_for("catalog.product", product_id=with_text.product_id)).get_data(as_text=True)
    assert with_text.comment in page

    report = check_ledger(db)
    assert report.is_consistent, [d.describe() for d in report.differences[:5]]
    assert report.entries_stored >= len(orders)


def test_batches_stand_at_every_stage(app: Flask, db: Session) -> None:
    _seed(app, db)
    today = shanghai_date()
    batches = list(db.scalars(select(Batch)))
    active = [b for b in batches if b.status is BatchStatus.ACTIVE]
    assert any(b.quantity_available > 0 and b.best_before > today + timedelta(days=7) for b in active)
    near = [
        b for b in active if b.quantity_available > 0 and today <= b.best_before <= today + timedelta(days=7)
    ]
    assert len({b.product_id for b in near}) >= 2
    assert any(b.quantity_available == 0 for b in active)  # sold out
    recalled = [b for b in batches if b.status is BatchStatus.RECALLED]
    assert len(recalled) >= 2 and all(b.recall_reason for b in recalled)
    noticed = db.scalars(select(Order).where(Order.recall_notice.is_not(None))).all()
    assert len(noticed) >= 2  # the buyers of the recalled lot were told
    holds = db.scalars(select(BatchHold).where(BatchHold.reason == HoldReason.QUALITY_SAMPLING)).all()
    assert len(holds) == 1 and holds[0].batch.is_on_hold


def test_demo_targets_stand_part_way(app: Flask, db: Session) -> None:
    _seed(app, db)
    notes = [note for _scope, _code, _share, note in DEMO_GOALS]
    targets = list(db.scalars(select(Target).where(Target.note.in_(notes))))
    assert len(targets) == len(DEMO_GOALS)
    for counted, amount in progress_of_targets(db, targets).values():
        assert 0.2 * amount <= counted <= 0.9 * amount
    # the canteen office buys from Chengkou every month: its receipts count toward its reserved share (a
    # year of them, as ``seed-demo`` writes, stands at about a third of it; these few months at less)
    office = db.scalars(
        select(Institution).where(Institution.credit_code == DEMO_INSTITUTION.credit_code)
    ).one()
    received = db.scalars(select(SupplierOrder).where(SupplierOrder.status == SupplierStatus.RECEIVED)).all()
    progress = received_progress(db, office, shanghai_date().year)
    assert received and 0 < progress.received_fen < progress.target_fen
    assert progress.staff_fen > 0  # its staff's own purchases count toward its figures too


def test_seeding_the_history_twice_adds_nothing(app: Flask, db: Session) -> None:
    _seed(app, db, 2)
    first = _counts(db)
    _seed(app, db, 2)
    assert _counts(db) == first
    assert first["Order"] > 10 and first["Rating"] and first["Refund"]
    assert check_ledger(db).is_consistent
