"""Signals through which layers to the right add to what the catalog shows (without being imported)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypedDict

from blinker import Namespace
from sqlalchemy.orm import Session

from catalog.products.models import Product

signals = Namespace()

#: Sent with ``session`` as sender and ``products``; each receiver returns ``{product_id: [StockEntry, ...]}``
#: for the batches of those products that buyers can take units from (traceability answers it).
collect_stock = signals.signal("collect-stock")


class StockEntry(TypedDict):
    """One batch in stock, as the product page and the API list it."""

    code: str
    trace_url: str
    available: int
    best_before: date


def stock_by_product(session: Session, products: Sequence[Product]) -> dict[int, list[StockEntry]]:
    """The batches in stock of each product, earliest best-before first, from every receiver."""
    merged: dict[int, list[StockEntry]] = {p.id: [] for p in products}
    if not products:
        return merged
    for _receiver, result in collect_stock.send(session, products=list(products)):
        answer: dict[int, list[Any]] = result or {}
        for product_id, entries in answer.items():
            merged.setdefault(product_id, []).extend(entries)
    for entries in merged.values():
        entries.sort(key=lambda e: (e["best_before"], e["code"]))
    return merged
