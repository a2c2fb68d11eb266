"""Codes and document numbers of generated rows, made as the application makes them."""

from __future__ import annotations

from shop.demo.scale.purchasing import Purchasing
from shop.demo.scale.shopping import day_of, document_number
from shop.demo.scale.vocabulary import RECALL_REASONS
from traceability.batches.services import CODE_ALPHABET


def code(number: int, length: int) -> str:
    """``number`` in :data:`CODE_ALPHABET` (the app's code characters), ``length`` characters."""
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return "".join(reversed(chars))


def lot_code(produced: int, seq: int) -> str:
    """A lot code as ``new_lot_code`` makes them (``261123-7KQ3``), unique per day for ``seq`` < 31**4."""
    return (
        f"{document_number('', produced, 0)[:6]}-{code((seq * 7_919 + 104_729) % len(CODE_ALPHABET) ** 4, 4)}"
    )


def tracking_number(order_id: int) -> str:
    """The waybill of an order's parcel."""
    return f"SF{order_id:012d}"


SHORT_DELIVERY = "部分破损，按实收数量确认"


def recall_reason_of(batch: int) -> str:
    """Why the ``batch``-th batch was recalled (if it was)."""
    return RECALL_REASONS[batch % len(RECALL_REASONS)]


def supplier_number(purchase: Purchasing, supplier: int) -> str:
    """The number of supplier order ``supplier`` (S + the purchase order's day + six digits)."""
    parent = purchase.s_purchase[supplier]
    first = purchase.first_supplier[parent]
    return document_number(
        "S", day_of(purchase.submitted[parent]), purchase.seq[parent] * 4 + supplier - first
    )
