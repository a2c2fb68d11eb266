"""Receivers: paid orders earn points, refunds take them back, in the payment's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.db import utcnow
from orders.models import Order
from payments.models import Refund
from payments.signals import orders_paid, refund_recorded
from promotions.points.services import FEN_PER_POINT, claw_back, earn


def earn_on_paid(sender: Session, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_paid``: each order earns a point per whole yuan paid for its goods (once)."""
    now = utcnow()
    for order in orders:
        earn(sender, order.buyer_id, order.subtotal_fen // FEN_PER_POINT, "order", order.id, now)


def claw_back_on_refund(sender: Refund, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: take back the points of the goods' money given back (never more
    than earned, never below zero)."""
    goods = sum(line.goods_fen if line.goods_fen is not None else 0 for line in sender.lines)
    claw_back(session, sender.order.buyer_id, goods // FEN_PER_POINT, sender.id, utcnow())


def connect() -> None:
    """Connect the points' receivers (module-level functions: connecting again is harmless)."""
    orders_paid.connect(earn_on_paid)
    refund_recorded.connect(claw_back_on_refund)
