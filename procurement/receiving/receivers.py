"""A recall reaches institutions too: every delivery that shipped units of a recalled batch is announced.

Connected to :data:`traceability.signals.batch_recalled` by the delivery pages, so the notices are queued in
the recalling transaction. Each member of the ordering institution, and of the producer, is told once per
lot: units of a recalled lot cannot be received (so they are never counted) nor paid for, and a delivery
whose every unit was recalled can be cancelled (see :mod:`procurement.ordering.lifecycle`); a replacement
is a new order.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.i18n import in_language_of
from core.notifications.models import Notification
from core.notifications.services import notify
from procurement.ordering.models import (
    SupplierAllocation,
    SupplierLine,
    SupplierOrder,
    SupplierStatus,
)
from procurement.supplying.queue import delivery_path, supplier_path

RECALL_KIND = "procurement.recall_notice"
#: Deliveries whose goods left the producer (before shipping, recalled batches are simply not used).
SHIPPED_STATES = (SupplierStatus.SHIPPED, SupplierStatus.RECEIVED, SupplierStatus.SETTLED)


def _lots_told(session: Session, order: SupplierOrder, user_id: int, link: str) -> set[str]:
    data = session.scalars(
        select(Notification.data).where(
            Notification.user_id == user_id,
            Notification.kind == RECALL_KIND,
            Notification.link == link,
        )
    )
    return {str(lot) for item in data for lot in (item or {}).get("lots", [])}


def notify_recalled_deliveries(session: Session, batch_ids: list[int]) -> list[SupplierOrder]:
    """Tell the members of each institution whose delivery shipped units of the recalled batches, and the
    producer's members.

    Returns the deliveries someone was newly told about. Does not commit.
    """
    if not batch_ids:
        return []
    affected = (
        select(SupplierLine.order_id)
        .join(SupplierAllocation, SupplierAllocation.line_id == SupplierLine.id)
        .where(SupplierAllocation.batch_id.in_(batch_ids))
    )
    orders = session.scalars(
        select(SupplierOrder)
        .where(SupplierOrder.id.in_(affected), SupplierOrder.status.in_(SHIPPED_STATES))
        .order_by(SupplierOrder.id)
    ).all()
    told = []
    for order in orders:
        batches = {a.batch for line in order.lines for a in line.allocations if a.batch.is_recalled}
        lots = sorted(b.lot_code for b in batches)
        reasons = "; ".join(dict.fromkeys(b.recall_reason for b in batches if b.recall_reason))
        institution = {m.user_id: m.user for m in order.purchase_order.institution.members}
        producer = {m.user_id: m.user for m in order.producer.members}
        for people, link, tell in (
            (institution, delivery_path(order), _tell),
            (producer, supplier_path(order), _tell_producer),
        ):
            for user_id, user in people.items():
                new = [lot for lot in lots if lot not in _lots_told(session, order, user_id, link)]
                if new:
                    tell(session, user, order, lots, new, reasons)
                    if order not in told:
                        told.append(order)
    session.flush()
    return told


def _tell(
    session: Session, user: Any, order: SupplierOrder, lots: list[str], new: list[str], reasons: str
) -> None:
    with in_language_of(user):
        notify(
            session,
            user,
            RECALL_KIND,
            _("Recall notice for delivery %(number)s", number=order.number),
            _(
                "Recalled lots in this delivery: %(lots)s (%(reason)s). Stop using these goods and keep "
                "them; contact %(producer)s about returning or replacing them. Units of these lots cannot "
                "be received and are not paid for; a delivery made only of them can be cancelled.",
                lots=", ".join(lots),
                reason=reasons or _("no reason given"),
                producer=order.producer.name,
            ),
            link=delivery_path(order),
            data={"order": order.number, "lots": new},
        )


def _tell_producer(
    session: Session, user: Any, order: SupplierOrder, lots: list[str], new: list[str], reasons: str
) -> None:
    with in_language_of(user):
        notify(
            session,
            user,
            RECALL_KIND,
            _("Recall notice for delivery %(number)s", number=order.number),
            _(
                "You shipped units of the recalled lots %(lots)s (%(reason)s) to %(institution)s. They "
                "cannot be received and are not paid for; arrange their return and, if asked, a "
                "replacement.",
                lots=", ".join(lots),
                reason=reasons or _("no reason given"),
                institution=order.purchase_order.institution.name,
            ),
            link=supplier_path(order),
            data={"order": order.number, "lots": new},
        )


def on_batch_recalled(sender: Any, **kwargs: Any) -> None:
    """Receiver of :data:`traceability.signals.batch_recalled`: ``sender`` is the recalling session."""
    notify_recalled_deliveries(sender, list(kwargs.get("batch_ids") or []))
