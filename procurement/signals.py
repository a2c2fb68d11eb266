"""Signals procurement sends so that other features can react in the same transaction (the sales ledger) or
answer what procurement shows without being imported (settlement: the producer's verified payee account)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

from blinker import Namespace
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product

_signals = Namespace()

#: Sent after an institution confirmed receipt of a supplier order, before the request commits.
#: Receivers get ``sender=SupplierOrder`` and ``session=``; the order's lines carry ``received_quantity``.
supplier_order_received = _signals.signal("supplier-order-received")

#: Sent when the producer confirmed the money for units the institution did not receive but pays for after
#: all (an after-sales request ended with less agreed than claimed) has arrived: with the first transfer, or
#: as the balance. Receivers get ``sender=SupplierOrder`` and ``session=``; the lines carry
#: ``conceded_quantity`` and ``conceded_fen``, the order ``conceded_paid_at`` (the sales ledger counts them).
supplier_concession_paid = _signals.signal("supplier-concession-paid")

#: Sent with ``session`` as sender and ``producer=`` (a :class:`catalog.producers.models.Producer`) when a
#: page or notice needs the account an institution pays that producer into. A receiver returns a
#: :class:`PayeeDetails` for the producer's verified payee account, or None when it has none (the settlement
#: package answers; procurement never reads payee accounts itself). Receivers only read.
collect_payee = _signals.signal("collect-payee")


class PayeeDetails(TypedDict):
    """The producer's verified payee account, as a payment instruction shows it."""

    account_name: str
    bank_name: str
    branch_name: str
    #: Digits only: shown in full to the people who pay (the institution's finance staff and approvers).
    account_number: str
    #: The last four digits only, for everyone else and for notifications.
    masked_number: str
    cnaps_code: str | None
    verified_at: datetime | None


def verified_payee(session: Session, producer: Producer) -> PayeeDetails | None:
    """The producer's verified payee account from the first receiver that knows one, else None."""
    for _receiver, answer in collect_payee.send(session, producer=producer):
        if answer:
            found: PayeeDetails = answer
            return found
    return None


#: Sent with ``session`` as sender and ``lines=`` (a list of ``(product, unit_price_fen)``) before a purchase
#: order is written: "any objections to these line prices?". A receiver returns ``{product_id:
#: reference_fen}`` for the lines priced above the product's reference price, or an empty dict (the oversight
#: package answers from its reference prices, in one query). Receivers only read.
collect_price_objections = _signals.signal("collect-price-objections")


def price_objections(session: Session, lines: Sequence[tuple[Product, int]]) -> dict[int, int]:
    """Product id → the reference price (fen) each objecting receiver gives for lines priced above it; the
    lowest reference wins when several receivers object to the same line."""
    found: dict[int, int] = {}
    if not lines:
        return found
    for _receiver, answer in collect_price_objections.send(session, lines=list(lines)):
        for product_id, reference_fen in (answer or {}).items():
            found[product_id] = min(reference_fen, found.get(product_id, reference_fen))
    return found
