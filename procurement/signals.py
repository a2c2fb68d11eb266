"""Signals procurement sends so that other features (the sales ledger) can react in the same transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent after an institution confirmed receipt of a supplier order, before the request commits.
#: Receivers get ``sender=SupplierOrder`` and ``session=``; the order's lines carry ``received_quantity``.
supplier_order_received = _signals.signal("supplier-order-received")
