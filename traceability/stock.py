"""Answers the catalog's question "which batches of these products are in stock?" (see catalog.signals)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.products.models import Product
from catalog.signals import StockEntry
from core.clock import shanghai_date
from traceability.batches.inventory import is_sellable
from traceability.links import trace_url
from traceability.models import Batch, BatchStatus


def stock_for_products(session: Session, products: list[Product], **_: Any) -> dict[int, list[StockEntry]]:
    """Sellable batches of ``products`` (one query), keyed by product id."""
    today = shanghai_date()
    batches = session.scalars(
        select(Batch)
        .where(
            Batch.product_id.in_([p.id for p in products]),
            Batch.status == BatchStatus.ACTIVE,
            Batch.is_on_hold.is_(False),
            Batch.quantity_available > 0,
            Batch.best_before >= today,
        )
        # each batch's product is one of ``products`` (held by the caller): read from the session, not again
        .options(selectinload(Batch.compliance))
        .order_by(Batch.best_before, Batch.id)
    )
    base = current_app.config["PUBLIC_BASE_URL"]
    found: dict[int, list[StockEntry]] = {}
    for batch in batches:
        if is_sellable(batch, today):
            found.setdefault(batch.product_id, []).append(
                StockEntry(
                    code=batch.lot_code,
                    trace_url=trace_url(base, batch),
                    available=batch.quantity_available,
                    best_before=batch.best_before,
                )
            )
    return found
