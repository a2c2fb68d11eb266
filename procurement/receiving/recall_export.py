"""Answers the recall export's question "which institutions' deliveries hold units of these batches?"
(:data:`traceability.signals.collect_recall_orders`), connected in ``procurement.init_app``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalog.labels import label
from core.clock import shanghai_date
from procurement.ordering.labels import supplier_status_label
from procurement.ordering.models import PurchaseOrder, SupplierAllocation, SupplierLine, SupplierOrder
from traceability.signals import AffectedOrder


def affected_deliveries(sender: Any, **kwargs: Any) -> list[AffectedOrder]:
    """Receiver: every delivery line's units drawn from the batches ``batch_ids`` (a delivery draws from
    batches when it ships), with the institution's contact for the delivery. ``sender`` is the session.
    Read-only; one query."""
    session: Session = sender
    batch_ids = list(kwargs.get("batch_ids") or [])
    if not batch_ids:
        return []
    delivery = joinedload(SupplierAllocation.line).joinedload(SupplierLine.order)
    allocations = session.scalars(
        select(SupplierAllocation)
        .join(SupplierLine, SupplierAllocation.line_id == SupplierLine.id)
        .join(SupplierOrder, SupplierLine.order_id == SupplierOrder.id)
        .where(SupplierAllocation.batch_id.in_(batch_ids))
        .options(
            joinedload(SupplierAllocation.batch),
            delivery.joinedload(SupplierOrder.producer),
            delivery.joinedload(SupplierOrder.purchase_order).joinedload(PurchaseOrder.institution),
            delivery.joinedload(SupplierOrder.purchase_order).joinedload(PurchaseOrder.buyer),
        )
        .order_by(SupplierOrder.number, SupplierAllocation.id)
    )
    rows = []
    for allocation in allocations:
        line = allocation.line
        order = line.order
        purchase = order.purchase_order
        rows.append(
            AffectedOrder(
                kind="purchase_order",
                number=order.number,
                purchase_order=purchase.number,
                status=supplier_status_label(order.status),
                lot=allocation.batch.lot_code,
                product=line.product_name,
                quantity=allocation.quantity,
                unit=label("unit", line.unit),
                buyer=purchase.institution.name,
                recipient=purchase.recipient,
                phone=purchase.mobile,
                email=purchase.buyer.email,
                address=f"{purchase.province}{purchase.city}{purchase.district}{purchase.address_detail}",
                seller=order.producer.name,
                placed_on=shanghai_date(purchase.submitted_at),
                shipped_on=shanghai_date(order.shipped_at) if order.shipped_at else None,
            )
        )
    return rows
