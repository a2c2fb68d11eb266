"""Receivers: once orders are paid (:data:`payments.signals.orders_paid`, whichever way they were paid),
their producers are told there is something to ship."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from orders.models import Order
from orders.notices import tell_paid_orders
from payments.signals import orders_paid


def tell_producers(sender: Session, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_paid``: tell each order's producer it waits to be shipped."""
    tell_paid_orders(sender, orders)


def connect() -> None:
    """Connect the receivers (module-level functions: connecting again is harmless)."""
    orders_paid.connect(tell_producers)
