"""Answers the recall export's question "which consumer orders hold units of these batches?"
(:data:`traceability.signals.collect_recall_orders`), connected in ``orders.init_app``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalog.labels import label
from core.clock import shanghai_date
from orders.labels import order_status_label
from orders.models import Allocation, Order, OrderLine
from traceability.signals import AffectedOrder


def affected_orders(sender: Any, **kwargs: Any) -> list[AffectedOrder]:
    """Receiver: every order line's units of the batches ``batch_ids`` still with the order (shipped, paid or
    only reserved; units given back to a batch are not), with the buyer's contact. ``sender`` is the session.
    Read-only; one query."""
    session: Session = sender
    batch_ids = list(kwargs.get("batch_ids") or [])
    if not batch_ids:
        return []
    allocations = session.scalars(
        select(Allocation)
        .join(OrderLine, Allocation.line_id == OrderLine.id)
        .join(Order, OrderLine.order_id == Order.id)
        .where(Allocation.batch_id.in_(batch_ids), Allocation.quantity > Allocation.returned_quantity)
        .options(
            joinedload(Allocation.batch),
            joinedload(Allocation.line).joinedload(OrderLine.order).joinedload(Order.buyer),
            joinedload(Allocation.line).joinedload(OrderLine.order).joinedload(Order.producer),
        )
        .order_by(Order.number, Allocation.id)
    )
    rows = []
    for allocation in allocations:
        line = allocation.line
        order = line.order
        rows.append(
            AffectedOrder(
                kind="order",
                number=order.number,
                purchase_order="",
                status=order_status_label(order.status),
                lot=allocation.batch.lot_code,
                product=line.product_name,
                quantity=allocation.quantity - allocation.returned_quantity,
                unit=label("unit", line.unit),
                buyer=order.buyer.display_name,
                recipient=order.recipient,
                phone=order.mobile,
                email=order.buyer.email,
                address=f"{order.province}{order.city}{order.district}{order.address_detail}",
                seller=order.producer.name,
                placed_on=shanghai_date(order.placed_at),
                shipped_on=shanghai_date(order.shipped_at) if order.shipped_at else None,
            )
        )
    return rows
