"""Reactions to the payments package: a refund recorded by hand ends the request waiting for it.

A request agreed on for an order paid by hand waits in ``refund_due`` until whoever collected the money
(a platform administrator for a bank transfer, the producer for cash on delivery) records the refund on the
order's refund page; that refund's ``refund_recorded`` signal ends it here, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.aftersales.models import AftersalesRequest, AftersalesStatus
from oversight.aftersales.services import audit, close
from payments.models import Refund
from payments.signals import refund_recorded


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


def connect() -> None:
    """Connect the receivers (from ``oversight.init_app``)."""
    refund_recorded.connect(end_refund_due)
