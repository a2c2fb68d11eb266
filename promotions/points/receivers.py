"""Receivers: paid orders earn points, refunds take them back, in the payment's own transaction; the
assistance actions the platform rewards (an order's first rating, a staff member's purchase) earn theirs,
taken back when their order is refunded in whole."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.db import utcnow
from orders.models import Order, Rating
from orders.signals import rating_recorded
from payments.models import Refund
from payments.signals import orders_paid, refund_recorded
from promotions.points.actions import award, take_back_order_awards
from promotions.points.models import AssistanceAction
from promotions.points.services import FEN_PER_POINT, claw_back, earn


def earn_on_paid(sender: Session, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_paid``: each order earns a point per whole yuan paid for its goods (once), and a
    staff member's personal purchase counted toward their institution earns that action's points."""
    now = utcnow()
    for order in orders:
        earn(sender, order.buyer_id, order.subtotal_fen // FEN_PER_POINT, "order", order.id, now)
        if order.staff_institution_id is not None:  # a staff member bought for their institution's count
            award(sender, AssistanceAction.STAFF_PURCHASE, order.buyer_id, order.id, now)


def award_first_rating(sender: Session, rating: Rating, order: Order, **_extra: Any) -> None:
    """Receiver of ``rating_recorded``: the first rating of a received order earns its action's points
    (once per order: later ratings of its other lines find the award there)."""
    award(sender, AssistanceAction.FIRST_RATING, rating.user_id, order.id)


def refunded_in_whole(order: Order) -> bool:
    """Whether the order's refunds cover its total (an order paid in points alone, total 0: every unit)."""
    if order.total_fen > 0:
        return order.refunded_fen >= order.total_fen
    return all(line.refunded_quantity == line.quantity for line in order.lines)


def claw_back_on_refund(sender: Refund, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: take back the points of the goods' money given back (never more
    than earned, never below zero); once the order is refunded in whole, also the points its assistance
    actions earned (a staff purchase, a first rating), once — a partial refund keeps them."""
    now = utcnow()
    goods = sum(line.goods_fen if line.goods_fen is not None else 0 for line in sender.lines)
    claw_back(session, sender.order.buyer_id, goods // FEN_PER_POINT, sender.id, now)
    if refunded_in_whole(sender.order):
        take_back_order_awards(session, sender.order_id, now)


def connect() -> None:
    """Connect the points' receivers (module-level functions: connecting again is harmless)."""
    orders_paid.connect(earn_on_paid)
    refund_recorded.connect(claw_back_on_refund)
    rating_recorded.connect(award_first_rating)
