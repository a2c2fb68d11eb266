"""Receivers: orders placed after watching a livestream are attributed to it; their payment and refunds move
the session's sums in the same transaction as the sales ledger.

Whether a sale counts is the ledger's rule (:func:`stats.counting.certified_on`: a valid certificate on the
day of payment, and a refund takes back what its sale added); statistics sit to the right of this package, so
the same test on :meth:`catalog.products.models.Product.valid_certificate_on` is applied here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channels.livestreams import attribution
from channels.livestreams.models import LiveOrder
from channels.livestreams.services import attribute
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from orders.models import Order, OrderLine
from orders.signals import checkout_placing
from payments.models import Refund
from payments.signals import orders_paid, refund_recorded


def attribute_checkout(sender: Session, buyer: User, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``checkout_placing``: attribute the new orders to the livestream the buyer came from."""
    seen = attribution.recalled()
    if seen is None:
        return
    with sender.no_autoflush:  # the orders are not written yet: their INSERT carries the channel
        attribute(sender, orders, buyer, seen.session_id, seen.sharer_id, seen.seen_at, utcnow())


def _counted(line: OrderLine, order: Order, amount: int) -> int:
    """The part of ``amount`` (of ``line``) that counts: all of it when the product was certified the day
    the order was paid."""
    if order.paid_at is None:
        return 0
    return amount if line.product.valid_certificate_on(shanghai_date(order.paid_at)) is not None else 0


def count_paid(sender: Session, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_paid``: add the goods of attributed orders to their session's sums (once)."""
    ids = [order.id for order in orders]
    attributed = set(sender.scalars(select(LiveOrder.order_id).where(LiveOrder.order_id.in_(ids))))
    for order in orders:
        if order.id not in attributed or order.paid_at is None:
            continue
        goods = sum(line.total_fen for line in order.lines)
        counted = sum(_counted(line, order, line.total_fen) for line in order.lines)
        sender.execute(
            update(LiveOrder)
            .where(LiveOrder.order_id == order.id, LiveOrder.paid_at.is_(None))
            .values(paid_at=order.paid_at, sales_fen=goods, counted_fen=counted)
            .execution_options(synchronize_session=False)
        )


def count_refund(sender: Refund, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: take the refunded goods (and their counted part) off the session."""
    order = sender.order
    if order.paid_at is None:
        return
    goods = counted = 0
    for refund_line in sender.lines:
        line = refund_line.line
        amount = (
            refund_line.goods_fen
            if refund_line.goods_fen is not None
            else refund_line.quantity * line.unit_price_fen
        )
        goods += amount
        counted += _counted(line, order, amount)
    session.execute(
        update(LiveOrder)
        .where(LiveOrder.order_id == order.id, LiveOrder.paid_at.is_not(None))
        .values(
            sales_fen=LiveOrder.sales_fen - goods,
            counted_fen=LiveOrder.counted_fen - counted,
            refunded_fen=LiveOrder.refunded_fen + goods,
        )
        .execution_options(synchronize_session=False)
    )


def connect() -> None:
    """Connect the receivers (module-level functions: connecting again is harmless)."""
    checkout_placing.connect(attribute_checkout)
    orders_paid.connect(count_paid)
    refund_recorded.connect(count_refund)
