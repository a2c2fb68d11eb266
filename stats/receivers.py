"""Receivers: sales, refunds and procurement receipts enter the sales ledger where they happen.

Payments and procurement sit to the left of statistics, so they announce what happened through blinker
signals; these receivers write the ledger. Signals are synchronous: the entries are flushed in the sender's
session and committed (or rolled back) with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.db import db_session
from orders.models import Order
from payments.models import Refund
from payments.signals import orders_paid, refund_recorded
from procurement.ordering.models import SupplierOrder
from procurement.signals import supplier_concession_paid, supplier_order_received
from stats.ledger import (
    record_concession_paid,
    record_orders_paid,
    record_refund,
    record_supplier_order_received,
)


def count_sales(sender: Session, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_paid``: write the ``+`` entries of the orders just paid, same transaction."""
    record_orders_paid(sender, orders)


def count_refund(sender: Refund, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: write the ``−`` entries of the refund, same transaction."""
    record_refund(session, sender)


def count_receipt(sender: Any, session: Session | None = None, **extra: Any) -> None:
    """Receiver of ``supplier_order_received``: write the received lines to the ledger, same transaction."""
    order = sender if isinstance(sender, SupplierOrder) else extra.get("supplier_order") or extra.get("order")
    if not isinstance(order, SupplierOrder):
        raise TypeError("supplier_order_received needs the received SupplierOrder")
    record_supplier_order_received(session if session is not None else db_session, order)


def count_concession(sender: SupplierOrder, session: Session, **_extra: Any) -> None:
    """Receiver of ``supplier_concession_paid``: count the conceded units just paid, same transaction."""
    record_concession_paid(session, sender)


def connect() -> None:
    """Connect the ledger's receivers (module-level functions: connecting again is harmless)."""
    orders_paid.connect(count_sales)
    refund_recorded.connect(count_refund)
    supplier_order_received.connect(count_receipt)
    supplier_concession_paid.connect(count_concession)
