"""Receivers: a payment adds the discounted lines to their sponsors' running totals, a refund takes its lines
back — in the payment's or refund's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from orders.models import Order
from payments.models import Refund
from payments.signals import orders_paid, refund_recorded
from promotions.sponsors.services import count_paid, count_refund


def add_paid(sender: Session, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_paid``: the sales the sponsors' promotions brought grow, same transaction."""
    count_paid(sender, orders)


def take_back_refund(sender: Refund, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: the refunded lines leave their sponsors' totals, same transaction."""
    count_refund(session, sender)


def connect() -> None:
    """Connect the receivers (module-level functions: connecting again is harmless)."""
    orders_paid.connect(add_paid)
    refund_recorded.connect(take_back_refund)
