"""Signals the layers to the right subscribe to (the shop flags orders of recalled batches, and says which
orders hold units of a batch for the recall export)."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from blinker import Namespace

signals = Namespace()

#: Sent inside the recalling transaction with ``session`` and ``batch_ids`` (every batch the recall reached).
batch_recalled = signals.signal("batch-recalled")

#: Sent by the recall export with ``session`` as sender and ``batch_ids`` (a batch and every batch made
#: from it). Each receiver returns a list of :class:`AffectedOrder`: every order of its kind that holds
#: units of those batches, shipped or only allocated (units given back to a batch are not counted).
#: Receivers read only, in the request's language (the export asks in the marketplace's default).
collect_recall_orders = signals.signal("collect-recall-orders")


class AffectedOrder(TypedDict):
    """One order line's units of one affected batch, with what a recall needs to reach the buyer."""

    #: ``order`` (a consumer's) or ``purchase_order`` (an institution's delivery).
    kind: str
    #: The order's number (for a purchase order: the producer's delivery number).
    number: str
    #: The purchase order a delivery belongs to ("" for consumer orders).
    purchase_order: str
    #: The order's state, as the orders pages name it.
    status: str
    lot: str
    product: str
    quantity: int
    #: The product's unit as shown (kg, 斤, piece, box).
    unit: str
    #: Who bought: a consumer's display name or an institution's name.
    buyer: str
    recipient: str
    phone: str
    email: str
    address: str
    seller: str
    placed_on: date
    shipped_on: date | None
