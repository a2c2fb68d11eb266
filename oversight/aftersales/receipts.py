"""An institution's receipt with a shortfall or rejected goods opens an after-sales request by itself.

When an institution confirms receipt of a delivery (procurement sends ``supplier_order_received``, received
in :mod:`oversight.aftersales.receivers`), every line that received fewer units than could be received (the
confirmed quantity less units of recalled lots, which are never received) is a claim: the units not
received times the line's price. The request names the delivery, the institution's member who confirmed
receipt is its buyer, and it is ``rejected`` when some of those units arrived and were refused at inspection
(the receipt's rejected quantity), else ``shortfall``; its text names both per line, with the inspection
note. It then goes through the same steps as a consumer's request (the
producer answers, the buyer takes a proposal or escalates, the county reviewer arbitrates, answers not given
in time lapse) and ends in :func:`oversight.aftersales.services.settle_receipt`: the institution pays only
the units it received, so the disputed money is held back from the producer by construction and an agreed
amount needs no transfer back; what is not agreed is owed to the producer after all
(:mod:`oversight.aftersales.concessions`: procurement adds it to the amount due or asks for a balance).

At most one request per delivery, ever: an existing one is returned, and a unique index backs it.
Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.i18n import format_fen
from oversight.aftersales.models import (
    AftersalesKind,
    AftersalesLine,
    AftersalesRequest,
    AftersalesStatus,
    ReceiptReason,
)
from oversight.aftersales.services import REASON_MAX, REQUESTED, Windows, audit, tell_producer
from procurement.ordering.models import SupplierLine, SupplierOrder


def missing_quantity(line: SupplierLine) -> int:
    """Units of the line that could have been received and were not (short or refused)."""
    return max(line.receivable_quantity - (line.received_quantity or 0), 0)


def receipt_request(session: Session, order: SupplierOrder) -> AftersalesRequest | None:
    """The delivery's request, if its receipt opened one."""
    return session.scalar(select(AftersalesRequest).where(AftersalesRequest.supplier_order_id == order.id))


def rejected_quantity(line: SupplierLine) -> int:
    """Units of the line refused at inspection (never more than those not received)."""
    return min(line.rejected_quantity or 0, missing_quantity(line))


def _reason(short: list[tuple[SupplierLine, int]]) -> str:
    """The request's text: each line not received in full, short and refused units (短缺/拒收) and the
    inspection note."""
    parts = []
    for line, missing in short:
        refused = rejected_quantity(line)
        counts = [f"短缺 shortfall × {missing - refused}"] if missing > refused else []
        counts += [f"拒收 rejected × {refused}"] if refused else []
        note = f": {line.inspection_note}" if line.inspection_note else ""
        parts.append(f"{line.product_name} — {', '.join(counts)}{note}")
    return "\n".join(parts)[:REASON_MAX]


def open_for_receipt(
    session: Session, order: SupplierOrder, windows: Windows, *, now: datetime | None = None
) -> AftersalesRequest | None:
    """Open the request for a received delivery with missing or refused units; None when nothing is missing.

    Idempotent: a delivery that already has a request gets it back, never a second one. The producer's
    members are told and have the answer days; audited as the institution member who confirmed receipt.
    Does not commit.
    """
    existing = receipt_request(session, order)
    if existing is not None:
        return existing
    short = [(line, missing_quantity(line)) for line in order.lines if missing_quantity(line) > 0]
    buyer_id = order.received_by_id or order.purchase_order.buyer_id
    if not short or buyer_id is None:
        return None
    rejected = any(rejected_quantity(line) for line, _missing in short)
    moment = now or order.received_at or utcnow()
    request = AftersalesRequest(
        supplier_order=order,
        buyer_id=buyer_id,
        producer_id=order.producer_id,
        county_id=order.producer.county_id,
        kind=AftersalesKind.REFUND,
        reason_code=ReceiptReason.REJECTED if rejected else ReceiptReason.SHORTFALL,
        status=AftersalesStatus.REQUESTED,
        reason=_reason(short),
        photo_keys=[],
        claimed_fen=sum(line.unit_price_fen * missing for line, missing in short),
        created_at=moment,
        next_due_at=moment + timedelta(days=windows.answer_days),
    )
    for line, missing in short:
        request.lines.append(AftersalesLine(supplier_line_id=line.id, quantity=missing))
    session.add(request)
    session.flush()
    audit(session, request.buyer, "request", request, note=request.reason)
    tell_producer(
        session,
        request,
        REQUESTED,
        reference=request.reference,
        number=order.number,
        amount=format_fen(request.claimed_fen),
        days=windows.answer_days,
    )
    return request
