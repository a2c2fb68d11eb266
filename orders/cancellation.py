"""Cancelling unpaid orders: the units they hold go back on sale at once (never a recalled batch's).

One payment covers a checkout paid by Stripe or bank transfer, so such a checkout is cancelled as a whole
(every order of it that waits for payment) and only while nothing of it has been paid; a cash-on-delivery
order is paid on its own, to the courier, and is cancelled on its own. The buyer cancels before paying
(the buyer's order page, through the payments package which also cancels a Stripe PaymentIntent); a recall
cancels the unpaid orders holding recalled goods (:mod:`orders.recall`); the reservation's end cancels
unpaid orders too (:mod:`orders.cart.reservations`). Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.transactions import claim_write_lock
from orders.collection import Collector, collector_of
from orders.models import Allocation, Order, OrderStatus
from orders.signals import orders_cancelled
from traceability.batches.inventory import return_stock
from traceability.models import BatchStatus


class NotCancellable(DomainError):
    """Only unpaid orders are cancelled; paid ones are refunded (by whoever collected the money)."""

    status = 409
    message = _l(
        "Only orders that have not been paid (and, for payment on delivery, not shipped) can be cancelled. "
        "For a paid order, ask the producer for a refund."
    )


def give_back(session: Session, allocations: Iterable[Allocation]) -> None:
    """Return the units still held by ``allocations`` to their batches and mark them returned.

    A batch that is no longer active (recalled) takes nothing back: its units stay held by the order, so the
    order keeps showing the recalled lot. Batches are updated in the order checkouts lock them (product,
    best-before, id), so a release and a checkout running at once cannot deadlock.
    """
    ordered = sorted(allocations, key=lambda a: (a.batch.product_id, a.batch.best_before, a.batch.id))
    for allocation in ordered:
        outstanding = allocation.quantity - allocation.returned_quantity
        if outstanding > 0 and allocation.batch.status is BatchStatus.ACTIVE:
            return_stock(session, allocation.batch, outstanding)
            allocation.returned_quantity = allocation.quantity


def paid_together(order: Order) -> list[Order]:
    """The orders one payment covers with ``order``: the checkout's when the platform collects (Stripe, bank
    transfer), else (the producer collects: cash on delivery) the order alone."""
    if collector_of(order.checkout.method) is Collector.PRODUCER:
        return [order]
    return list(order.checkout.orders)


def buyer_cancellable(order: Order) -> list[Order]:
    """The orders the buyer cancels by cancelling ``order`` (empty: it cannot be cancelled by the buyer).

    Cash on delivery: the order alone, until it ships. Stripe and bank transfer: every order of the
    checkout that waits for payment, as long as nothing of the checkout has been paid.
    """
    if order.status is not OrderStatus.PENDING_PAYMENT:
        return []
    together = paid_together(order)
    if order.checkout.paid_at is not None or any(o.paid_at is not None for o in together):
        return []
    return [o for o in together if o.status is OrderStatus.PENDING_PAYMENT]


def lock_orders(session: Session, ids: Sequence[int]) -> list[Order]:
    """Reload the orders ``ids`` under a write lock (row locks on PostgreSQL, the write lock on SQLite)."""
    session.flush()
    claim_write_lock(session)
    query = select(Order).where(Order.id.in_(list(ids))).order_by(Order.id).with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def cancel_orders(session: Session, orders: Sequence[Order], reason: str) -> list[Order]:
    """Cancel those of ``orders`` that are still unpaid when read again under a write lock.

    Units of orders not shipped yet go back to their (active) batches at once; cash-on-delivery goods that
    already left are not counted back. Returns the orders cancelled now. Does not commit.
    """
    locked = lock_orders(session, [o.id for o in orders])
    unpaid = [o for o in locked if o.is_unpaid]
    pending = [o for o in unpaid if o.status is OrderStatus.PENDING_PAYMENT]
    give_back(session, [a for o in pending for line in o.lines for a in line.allocations])
    for order in unpaid:
        order.cancel(reason[:200])
    session.flush()
    if unpaid:
        orders_cancelled.send(session, orders=unpaid)
    return unpaid
