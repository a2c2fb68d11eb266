"""A recall reaches institutions too: every delivery that shipped units of a recalled batch is announced.

Connected to :data:`traceability.signals.batch_recalled` by the delivery pages, so the notices are queued in
the recalling transaction. Each member of the ordering institution is told once per lot.
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
from procurement.supplying.queue import delivery_path

RECALL_KIND = "procurement.recall_notice"
#: Deliveries whose goods left the producer (before shipping, recalled batches are simply not used).
SHIPPED_STATES = (SupplierStatus.SHIPPED, SupplierStatus.RECEIVED, SupplierStatus.SETTLED)


def _lots_told(session: Session, order: SupplierOrder, user_id: int) -> set[str]:
    data = session.scalars(
        select(Notification.data).where(
            Notification.user_id == user_id,
            Notification.kind == RECALL_KIND,
            Notification.link == delivery_path(order),
        )
    )
    return {str(lot) for item in data for lot in (item or {}).get("lots", [])}


def notify_recalled_deliveries(session: Session, batch_ids: list[int]) -> list[SupplierOrder]:
    """Tell the members of each institution whose delivery shipped units of the recalled batches.

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
        users = {m.user_id: m.user for m in order.purchase_order.institution.members}
        for user_id, user in users.items():
            new = [lot for lot in lots if lot not in _lots_told(session, order, user_id)]
            if new:
                _tell(session, user, order, lots, new, reasons)
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
                "them; contact %(producer)s about returning or replacing them.",
                lots=", ".join(lots),
                reason=reasons or _("no reason given"),
                producer=order.producer.name,
            ),
            link=delivery_path(order),
            data={"order": order.number, "lots": new},
        )


def on_batch_recalled(sender: Any, **kwargs: Any) -> None:
    """Receiver of :data:`traceability.signals.batch_recalled`: ``sender`` is the recalling session."""
    notify_recalled_deliveries(sender, list(kwargs.get("batch_ids") or []))
