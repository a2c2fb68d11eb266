"""The demo's past: months of orders paid by different means, shipped, received, refunded and rated,
batches at every stage, targets part-way — written through the services, counted consistently, only once."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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

#: Months the module's one seeding writes (``tests/shop/conftest.py``): enough for a month long past, the last
#: one and this one, and quick to seed.
DEMO_HISTORY_MONTHS = MONTHS = 3


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
    demo_db: Session, demo_client: FlaskClient
) -> None:
    orders = [o for o in demo_db.scalars(select(Order)) if o.checkout.idempotency_key.startswith(KEY_PREFIX)]
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

    ratings = list(demo_db.scalars(select(Rating)))
    assert ratings and any(r.comment for r in ratings)
    replies = list(demo_db.scalars(select(RatingReply)))
    assert replies
    with_text = next(r for r in ratings if r.comment)
    page = demo_client.get(path_for("catalog.product", product_id=with_text.product_id)).get_data(
        as_text=True
    )
    assert with_text.comment in page

    report = check_ledger(demo_db)
    assert report.is_consistent, [d.describe() for d in report.differences[:5]]
    assert report.entries_stored >= len(orders)


def test_batches_stand_at_every_stage(demo_db: Session) -> None:
    today = shanghai_date()
    batches = list(demo_db.scalars(select(Batch)))
    active = [b for b in batches if b.status is BatchStatus.ACTIVE]
    assert any(b.quantity_available > 0 and b.best_before > today + timedelta(days=7) for b in active)
    near = [
        b for b in active if b.quantity_available > 0 and today <= b.best_before <= today + timedelta(days=7)
    ]
    assert len({b.product_id for b in near}) >= 2
    assert any(b.quantity_available == 0 for b in active)  # sold out
    recalled = [b for b in batches if b.status is BatchStatus.RECALLED]
    assert len(recalled) >= 2 and all(b.recall_reason for b in recalled)
    noticed = demo_db.scalars(select(Order).where(Order.recall_notice.is_not(None))).all()
    assert len(noticed) >= 2  # the buyers of the recalled lot were told
    holds = demo_db.scalars(select(BatchHold).where(BatchHold.reason == HoldReason.QUALITY_SAMPLING)).all()
    assert len(holds) == 1 and holds[0].batch.is_on_hold


def test_demo_targets_stand_part_way(demo_db: Session) -> None:
    notes = [note for _scope, _code, _share, note in DEMO_GOALS]
    targets = list(demo_db.scalars(select(Target).where(Target.note.in_(notes))))
    assert len(targets) == len(DEMO_GOALS)
    for counted, amount in progress_of_targets(demo_db, targets).values():
        assert 0.2 * amount <= counted <= 0.9 * amount
    # the canteen office buys from Chengkou every month: its receipts count toward its reserved share (a
    # year of them, as ``seed-demo`` writes, stands at about a third of it; these few months at less)
    office = demo_db.scalars(
        select(Institution).where(Institution.credit_code == DEMO_INSTITUTION.credit_code)
    ).one()
    received = demo_db.scalars(
        select(SupplierOrder).where(SupplierOrder.status == SupplierStatus.RECEIVED)
    ).all()
    progress = received_progress(demo_db, office, shanghai_date().year)
    assert received and 0 < progress.received_fen < progress.target_fen
    assert progress.staff_fen > 0  # its staff's own purchases count toward its figures too


def test_seeding_the_history_twice_adds_nothing(app: Flask, demo_db: Session) -> None:
    first = _counts(demo_db)
    _seed(app, demo_db)
    assert _counts(demo_db) == first
    assert first["Order"] > 10 and first["Rating"] and first["Refund"]
    assert check_ledger(demo_db).is_consistent
