"""Signals payments send so that other features (the sales ledger) can react in the same transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent after consumer orders were marked paid, before the request commits.
#: Receivers get ``sender=Session`` and ``orders=`` (a list of :class:`orders.models.Order`).
orders_paid = _signals.signal("orders-paid")

#: Sent after a refund and its lines were flushed, before the request commits.
#: Receivers get ``sender=Refund`` and ``session=``.
refund_recorded = _signals.signal("refund-recorded")
