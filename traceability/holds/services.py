"""Holding a batch off sale and releasing it: each hold a row, each change audited, people told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import ProducerMember
from catalog.products.certified import county_reviewers
from core.access import can_review
from core.audit import services as audit
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import User
from core.notifications.services import tell
from core.urls import path_for
from traceability.batches.rules import ensure_clean_text
from traceability.errors import HoldNotOpen, ReleaseReasonRequired
from traceability.holds.models import BatchHold, HoldReason
from traceability.models import Batch

HOLD_REASON_LABELS = {
    HoldReason.COLD_CHAIN: _l("Cold chain"),
    HoldReason.QUALITY_SAMPLING: _l("Quality sampling"),
}

HOLD_PLACED = (
    _l("Batch %(lot)s is on hold"),
    _l(
        "Batch %(lot)s of %(product)s is kept off sale: %(summary)s "
        "The county office checks it and releases it."
    ),
)
HOLD_RELEASED = (
    _l("Batch %(lot)s released"),
    _l("The county office released batch %(lot)s of %(product)s: %(reason)s"),
)


def open_holds(session: Session, batch: Batch) -> list[BatchHold]:
    """The batch's open holds, oldest first (through the batch's index)."""
    query = (
        select(BatchHold)
        .where(BatchHold.batch_id == batch.id, BatchHold.closed_at.is_(None))
        .order_by(BatchHold.opened_at, BatchHold.id)
    )
    return list(session.scalars(query))


def hold_history(session: Session, batch: Batch, limit: int = 20) -> list[BatchHold]:
    """The batch's newest holds, open or closed."""
    query = select(BatchHold).where(BatchHold.batch_id == batch.id).order_by(BatchHold.id.desc()).limit(limit)
    return list(session.scalars(query))


def _people(session: Session, batch: Batch) -> list[User]:
    """Who hears of a hold: the producer's members and the reviewers of its county (each once)."""
    members = session.scalars(
        select(User)
        .join(ProducerMember, ProducerMember.user_id == User.id)
        .where(ProducerMember.producer_id == batch.producer_id, User.is_active.is_(True))
    )
    found = {user.id: user for user in (*members, *county_reviewers(session, batch.producer.county))}
    return list(found.values())


def place_hold(
    session: Session,
    batch: Batch,
    reason: HoldReason,
    *,
    occurred_at: datetime,
    place: str,
    summary: str,
    details: dict[str, Any] | None = None,
    by: User | None = None,
    announce: bool = True,
) -> BatchHold:
    """Open a hold on ``batch`` (``by`` ``None``: the system): it is off sale until every hold is released.

    Audited; the producer's members and the county's reviewers are notified — unless ``announce`` is False,
    for a caller that tells them once itself about what caused its holds (a failed quality sample holds the
    batch and every batch made from it: one notice, not one per batch plus its own). Does not commit.
    """
    hold = BatchHold(
        batch_id=batch.id,
        reason=reason,
        occurred_at=occurred_at,
        place=place[:200],
        summary=summary[:500],
        details=details or {},
        opened_by_id=by.id if by is not None else None,
    )
    session.add(hold)
    batch.is_on_hold = True
    session.flush()
    audit.record(
        session,
        by,
        "batch.hold",
        "batch",
        batch.id,
        after={
            "hold": hold.id,
            "reason": str(reason),
            "occurred_at": occurred_at.isoformat(),
            "place": place,
        },
        region_code=batch.producer.county.code,
        note=summary,
    )
    if not announce:
        return hold
    link = path_for("batches.detail", batch_id=batch.id)
    params = {"lot": batch.lot_code, "product": batch.product.name, "summary": summary}
    for user in _people(session, batch):
        tell(session, user, "batch_hold", HOLD_PLACED, link, **params)
    return hold


def can_release(user: User, batch: Batch) -> bool:
    """Reviewers of the batch's county (and admins) release holds; producers cannot release their own."""
    return can_review(user, batch.producer.county)


def release_hold(session: Session, user: User, hold: BatchHold, reason: str) -> BatchHold:
    """Close ``hold`` with ``reason``; the batch sells again once no other hold is open. Audited; the
    producer's members and the county's other reviewers are told. Raises :class:`PermissionDenied`,
    :class:`HoldNotOpen`, :class:`ReleaseReasonRequired`, :class:`ControlCharacterInText`. Does not commit."""
    batch = hold.batch
    if not can_release(user, batch):
        raise PermissionDenied()
    if not hold.is_open:
        raise HoldNotOpen()
    reason = (reason or "").strip()
    if not reason:
        raise ReleaseReasonRequired()
    ensure_clean_text(paragraphs=[reason])
    hold.closed_at = utcnow()
    hold.closed_by_id = user.id
    hold.close_reason = reason[:500]
    session.flush()
    batch.is_on_hold = bool(open_holds(session, batch))
    session.flush()
    audit.record(
        session,
        user,
        "batch.release",
        "batch",
        batch.id,
        before={"hold": hold.id, "open": True},
        after={"hold": hold.id, "open": False, "on_hold": batch.is_on_hold},
        region_code=batch.producer.county.code,
        note=reason,
    )
    link = path_for("batches.detail", batch_id=batch.id)
    params = {"lot": batch.lot_code, "product": batch.product.name, "reason": reason}
    for user_told in _people(session, batch):
        if user_told.id == user.id:  # the reviewer who released it knows
            continue
        tell(session, user_told, "batch_hold_released", HOLD_RELEASED, link, **params)
    return hold
