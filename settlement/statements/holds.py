"""Holds: platform-collected money of orders with an open recall is not paid out until the recall is resolved.

A recall reaches every order holding units of the recalled lot (:mod:`orders.recall`): unpaid ones are
cancelled, paid ones are refunded in full (not shipped) or the buyer is told to stop using the goods
(shipped). Until that is settled the platform keeps the order's money — all of what remains of it, goods and
shipping — out of the producer's payable amount. The recall is **open** for an order while a line of it still
holds more units of a recalled lot than have been refunded on that line; it ends when those units are
refunded (or the order is refunded in full). The hold is then released by itself: holds are read live, never
stored as final.

An open after-sales request (:mod:`oversight.aftersales`) holds the amount under dispute the same way: what
the buyer asked back (or, once agreed on for money paid by hand, the agreed amount until that refund is
recorded), never more than what remains of the order. It is released when the request ends. An order held by
both keeps the larger hold.

The recall query starts from the producer's recalled batches (``traceability_batch (producer_id)`` and its
status), so it grows with what was recalled, never with the order table; the after-sales one from the
producer's requests by state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from orders.collection import Collector, methods_collected_by
from orders.models import Allocation, Checkout, Order, OrderLine, OrderStatus
from oversight.aftersales.models import OPEN_STATUSES, AftersalesRequest, AftersalesStatus
from traceability.models import Batch, BatchStatus


@dataclass(frozen=True)
class HeldOrder:
    """An order whose money is held: what remains of it after refunds."""

    order_id: int
    number: str
    paid_at: datetime
    held_fen: int

    @property
    def paid_on(self) -> date:
        """The Asia/Shanghai day it was paid (the day its sale entered the ledger)."""
        return shanghai_date(self.paid_at)


def held_orders(session: Session, producer_id: int) -> list[HeldOrder]:
    """Every platform-collected, paid order of the producer with an open recall or an open after-sales
    request, oldest first (an order held by both keeps the larger hold)."""
    held = {h.order_id: h for h in _recall_holds(session, producer_id)}
    for hold in _aftersales_holds(session, producer_id):
        if hold.order_id not in held or held[hold.order_id].held_fen < hold.held_fen:
            held[hold.order_id] = hold
    return sorted(held.values(), key=lambda h: (h.paid_at, h.order_id))


def _platform_collected() -> list[ColumnElement[bool]]:
    """Conditions (with ``Checkout`` joined) for paid orders whose money the platform collected and still
    holds some of."""
    return [
        Order.paid_at.is_not(None),
        Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.REFUNDED]),
        Checkout.method.in_(methods_collected_by(Collector.PLATFORM)),
    ]


def _aftersales_holds(session: Session, producer_id: int) -> list[HeldOrder]:
    """Orders of the producer with an open after-sales request: the amount under dispute."""
    remaining = Order.subtotal_fen + Order.shipping_fen - Order.refunded_fen
    disputed = case(
        (AftersalesRequest.status == AftersalesStatus.REFUND_DUE, AftersalesRequest.agreed_fen),
        else_=AftersalesRequest.claimed_fen,
    )
    query = (
        select(Order.id, Order.number, Order.paid_at, remaining, disputed)
        .join(AftersalesRequest, AftersalesRequest.open_order_id == Order.id)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(
            AftersalesRequest.producer_id == producer_id,
            AftersalesRequest.status.in_(OPEN_STATUSES),
            Order.producer_id == producer_id,
            *_platform_collected(),
        )
    )
    return [
        HeldOrder(int(order_id), str(number), paid_at, min(int(left), int(amount or 0)))
        for order_id, number, paid_at, left, amount in session.execute(query)
        if paid_at is not None and min(int(left), int(amount or 0)) > 0
    ]


def _recall_holds(session: Session, producer_id: int) -> list[HeldOrder]:
    """Orders of the producer holding units of a recalled lot not yet refunded: all that remains of them."""
    recalled_units = func.sum(Allocation.quantity - Allocation.returned_quantity)
    open_lines = (
        select(OrderLine.order_id)
        .join(Allocation, Allocation.line_id == OrderLine.id)
        .join(Batch, Batch.id == Allocation.batch_id)
        .where(
            Batch.producer_id == producer_id,
            Batch.status == BatchStatus.RECALLED,
            Allocation.quantity > Allocation.returned_quantity,
        )
        .group_by(OrderLine.id, OrderLine.order_id, OrderLine.refunded_quantity)
        .having(recalled_units > OrderLine.refunded_quantity)
    )
    query = (
        select(
            Order.id,
            Order.number,
            Order.paid_at,
            Order.subtotal_fen + Order.shipping_fen - Order.refunded_fen,
        )
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(Order.producer_id == producer_id, Order.id.in_(open_lines), *_platform_collected())
    )
    return [
        HeldOrder(int(order_id), str(number), paid_at, int(held))
        for order_id, number, paid_at, held in session.execute(query)
        if paid_at is not None and held > 0
    ]


def held_before(held: list[HeldOrder], end: date) -> int:
    """The money held for orders paid before the Asia/Shanghai day ``end``."""
    return sum(h.held_fen for h in held if h.paid_on < end)
