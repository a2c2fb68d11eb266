"""Receivers: a refund of a flash sale's order gives the buyer back the points its units cost; a points +
cash order's payment spends its reserved points, its cancellation (or expiry) unpaid gives them back with
the unit — each in the caller's own transaction."""

from __future__ import annotations

from typing import Any

from core.db import utcnow
from orders.models import Order, share
from orders.signals import orders_cancelled
from payments.models import Refund
from payments.signals import orders_paid, refund_recorded
from promotions.flash.reservations import give_back_unpaid, mark_paid
from promotions.flash.services import points_of_order
from promotions.points.models import PointsKind
from promotions.points.services import earn


def return_points_on_refund(sender: Refund, session: Any, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: the points paid for the refunded units go back to the buyer — each
    unit's cumulative share, so refunding every unit returns them all, once per refund."""
    points = points_of_order(session, sender.order_id)
    if not points:
        return
    back = 0
    for refund_line in sender.lines:
        line = refund_line.line
        before = line.refunded_quantity - refund_line.quantity  # the line already counts this refund
        back += share(points, line.quantity, before, refund_line.quantity)
    earn(session, sender.order.buyer_id, back, "refund", sender.id, utcnow(), kind=PointsKind.RETURNED)


def spend_on_paid(sender: Any, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_paid``: the reserved points of points + cash purchases are spent."""
    mark_paid(sender, orders)


def give_back_on_cancel(sender: Any, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_cancelled``: unpaid points + cash purchases give their points and unit back."""
    give_back_unpaid(sender, orders, utcnow())


def connect() -> None:
    """Connect the flash sales' receivers (module-level functions: connecting again is harmless)."""
    refund_recorded.connect(return_points_on_refund)
    orders_paid.connect(spend_on_paid)
    orders_cancelled.connect(give_back_on_cancel)
