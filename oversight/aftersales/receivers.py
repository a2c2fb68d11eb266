"""Reactions to the payments and procurement packages: a refund recorded by hand ends the request waiting
for it; an institution's receipt with missing or refused units opens one.

A request agreed on for an order paid by hand waits in ``refund_due`` until whoever collected the money
(a platform administrator for a bank transfer, the producer for cash on delivery) records the refund on the
order's refund page; that refund's ``refund_recorded`` signal ends it here, in the same transaction.
Procurement's ``supplier_order_received`` opens the delivery's request in the receipt's transaction
(:mod:`oversight.aftersales.receipts`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.aftersales.models import AftersalesRequest, AftersalesStatus
from oversight.aftersales.receipts import open_for_receipt
from oversight.aftersales.services import Windows, audit, close
from payments.models import Refund
from payments.signals import refund_recorded
from procurement.ordering.models import SupplierOrder
from procurement.signals import supplier_order_received


def end_refund_due(refund: Refund, *, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: the order's request waiting for a refund by hand ends with it."""
    query = select(AftersalesRequest).where(
        AftersalesRequest.open_order_id == refund.order_id,
        AftersalesRequest.status == AftersalesStatus.REFUND_DUE,
    )
    request = session.scalar(query)
    if request is None:
        return
    request.refund_id = refund.id
    close(request, request.outcome or "accepted")
    session.flush()
    audit(session, refund.created_by, "refunded", request)


def open_receipt_request(order: SupplierOrder, *, session: Session, **_extra: Any) -> None:
    """Receiver of ``supplier_order_received``: a receipt short of what could arrive opens its request."""
    windows = Windows.from_config(current_app.config if has_app_context() else {})
    open_for_receipt(session, order, windows)


def connect() -> None:
    """Connect the receivers (from ``oversight.init_app``)."""
    refund_recorded.connect(end_refund_due)
    supplier_order_received.connect(open_receipt_request)
