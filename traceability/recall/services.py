"""Recalls: a batch and everything made from it stop selling at once, and the shop hears of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.labels import label
from core.access import can_review
from core.audit import services as audit
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import User
from traceability.batches.rules import ensure_clean_text, recorder
from traceability.batches.services import append_event
from traceability.errors import BatchRecalled, EventNotAllowed
from traceability.models import Batch, BatchStatus, EventKind, RecorderRole, TraceEvent
from traceability.processing.services import ancestors, descendants
from traceability.signals import batch_recalled


def can_recall(user: User, batch: Batch) -> bool:
    """Producers recall their own batches; reviewers those of their counties; admins any."""
    return is_member(user, batch.producer) or can_review(user, batch.producer.county)


def recall_batch(session: Session, user: User, batch: Batch, reason: str) -> list[Batch]:
    """Recall ``batch`` and every batch made from it; returns all batches the recall reached. Does not commit.

    Stock of each drops to zero, each gets a recall event (recorded as the producer, the county office or
    the platform, whoever recalls), the decision is audited, and :data:`traceability.signals.batch_recalled`
    is sent so the shop can reach affected orders. Raises :class:`PermissionDenied`,
    :class:`EventNotAllowed` (no reason), :class:`ControlCharacterInText`, :class:`BatchRecalled` (already).
    """
    if not can_recall(user, batch):
        raise PermissionDenied()
    reason = reason.strip()
    if not reason:
        raise EventNotAllowed()
    ensure_clean_text(paragraphs=[reason])
    if batch.is_recalled:
        raise BatchRecalled(lot=batch.lot_code)
    reached = [batch, *descendants(session, batch)]
    now = utcnow()
    for item in reached:
        if item.is_recalled:
            continue
        before = {"status": str(item.status), "available": item.quantity_available}
        item.status = BatchStatus.RECALLED
        item.recalled_at = now
        item.recall_reason = reason
        item.quantity_available = 0
        session.flush()
        role, actor_name = _recorder(user, item, batch)
        append_event(
            session,
            item,
            EventKind.RECALL,
            actor=user,
            actor_name=actor_name,
            recorded_as=role,
            occurred_at=now,
            place=item.producer.county.path_name(),
            details={"reason": reason, "origin_lot": batch.lot_code},
        )
        audit.record(
            session,
            user,
            "batch.recall",
            "batch",
            item.id,
            before=before,
            after={"status": str(item.status), "available": 0, "origin_lot": batch.lot_code},
            region_code=item.producer.county.code,
            note=reason,
        )
    batch_recalled.send(session, batch_ids=[b.id for b in reached])
    return reached


def _recorder(user: User, item: Batch, origin: Batch) -> tuple[RecorderRole, str]:
    """Who records the recall of ``item``: as for any event on it, else as the recall's ``origin`` allows
    (a batch made by another producer from the recalled one)."""
    try:
        return recorder(user, item.producer)
    except PermissionDenied:
        return recorder(user, origin.producer)


@dataclass(frozen=True)
class RecallRow:
    """One event of a batch touched by the recall (forward or backward through the genealogy)."""

    direction: str
    lot: str
    product: str
    quantity: int
    #: The product's unit as shown (in the current language).
    unit: str
    event: str
    occurred_on: date
    place: str
    sender: str
    receiver: str
    documents: str
    #: The event's position in its batch's chain.
    seq: int


def recall_rows(session: Session, batch: Batch) -> list[RecallRow]:
    """Every event of the batch, its ancestors (backward) and descendants (forward), by lot and time."""
    family = [("this", batch)]
    family += [("backward", b) for b in ancestors(session, batch)]
    family += [("forward", b) for b in descendants(session, batch)]
    ids = {b.id: (direction, b) for direction, b in family}
    events = session.scalars(
        select(TraceEvent)
        .where(TraceEvent.batch_id.in_(list(ids)))
        .order_by(TraceEvent.batch_id, TraceEvent.seq)
    )
    rows = []
    for event in events:
        direction, owner = ids[event.batch_id]
        details = event.details or {}
        documents = [
            f"{key}={details[key]}"
            for key in (
                "compliance_certificate",
                "origin_quarantine_no",
                "slaughter_quarantine_no",
                "waybill",
                "invoice",
            )
            if details.get(key)
        ]
        if owner.compliance is not None and event.seq == 1:
            documents.append(f"compliance_certificate={owner.compliance.number}")
        rows.append(
            RecallRow(
                direction=direction,
                lot=owner.lot_code,
                product=owner.product.name,
                quantity=int(details.get("quantity") or details.get("quantity_used") or owner.quantity),
                unit=label("unit", owner.product.unit),
                event=str(event.kind),
                occurred_on=shanghai_date(event.occurred_at),
                place=event.place,
                sender=str(details.get("from") or event.actor_name),
                receiver=str(details.get("to") or ""),
                documents="; ".join(dict.fromkeys(documents)),
                seq=event.seq,
            )
        )
    rows.sort(key=lambda r: (r.lot, r.occurred_on, r.seq))
    return rows
