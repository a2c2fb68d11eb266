"""The producer's procurement queue and how supplier orders read on screen (states, decisions, links)."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from catalog.access import producers_of
from core.models import User
from core.pagination import Page, paginate
from core.urls import path_for
from procurement.ordering.models import PurchaseOrder, SupplierOrder, SupplierStatus

#: Supplier orders a producer never sees: not approved yet, or cancelled before approval.
HIDDEN_FROM_PRODUCER = frozenset({SupplierStatus.AWAITING_APPROVAL, SupplierStatus.CANCELLED})


def hidden_from_producer(order: SupplierOrder) -> bool:
    """Whether the producer never saw ``order``: not approved yet, or cancelled with its purchase order
    before approval. A supplier order cancelled after the producer saw it carries its own reason."""
    return order.status in HIDDEN_FROM_PRODUCER and not order.cancel_reason


class SupplierTab(enum.StrEnum):
    """The producer's procurement queue filters."""

    TO_CONFIRM = "to_confirm"
    TO_SHIP = "to_ship"
    SHIPPED = "shipped"
    DONE = "done"


TAB_STATUSES: dict[SupplierTab, tuple[SupplierStatus, ...]] = {
    SupplierTab.TO_CONFIRM: (SupplierStatus.AWAITING_CONFIRMATION,),
    SupplierTab.TO_SHIP: (SupplierStatus.CONFIRMED,),
    SupplierTab.SHIPPED: (SupplierStatus.SHIPPED,),
    SupplierTab.DONE: (SupplierStatus.RECEIVED, SupplierStatus.SETTLED, SupplierStatus.DECLINED),
}


def delivery_path(order: SupplierOrder) -> str:
    """The institution's page of this delivery (usable outside a request, e.g. in notifications)."""
    return path_for("delivery.detail", number=order.number)


def supplier_path(order: SupplierOrder) -> str:
    """The producer's page of this supplier order."""
    return path_for("supplier.detail", number=order.number)


def find_supplier_order(session: Session, number: str) -> SupplierOrder | None:
    """The supplier order numbered ``number``, if any."""
    return session.scalar(select(SupplierOrder).where(SupplierOrder.number == number.strip()))


def _queue_base(user: User) -> Select[Any]:
    ids = [p.id for p in producers_of(user)]
    return select(SupplierOrder).join(SupplierOrder.purchase_order).where(SupplierOrder.producer_id.in_(ids))


def supplier_queue(
    session: Session, user: User, tab: SupplierTab = SupplierTab.TO_CONFIRM, page: int = 1, per_page: int = 20
) -> Page[SupplierOrder]:
    """One page of the supplier orders of the producers ``user`` acts for, filtered by ``tab``.

    Work queues list the earliest delivery date first; shipped and done list the newest first.
    """
    query = _queue_base(user).where(SupplierOrder.status.in_(TAB_STATUSES[tab]))
    if tab in (SupplierTab.TO_CONFIRM, SupplierTab.TO_SHIP):
        query = query.order_by(PurchaseOrder.delivery_date, SupplierOrder.id)
    else:
        query = query.order_by(SupplierOrder.id.desc())
    query = query.options(
        selectinload(SupplierOrder.lines),
        selectinload(SupplierOrder.purchase_order).selectinload(PurchaseOrder.institution),
    )
    return paginate(session, query, page, per_page)


def queue_counts(session: Session, user: User) -> dict[SupplierTab, int]:
    """How many supplier orders each tab holds (one grouped query)."""
    ids = [p.id for p in producers_of(user)]
    rows = session.execute(
        select(SupplierOrder.status, func.count(SupplierOrder.id))
        .where(SupplierOrder.producer_id.in_(ids))
        .group_by(SupplierOrder.status)
    ).all()
    by_status = {SupplierStatus(status): count for status, count in rows}
    return {tab: sum(by_status.get(s, 0) for s in statuses) for tab, statuses in TAB_STATUSES.items()}
