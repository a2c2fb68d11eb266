"""Signals the layers to the right subscribe to (the shop flags orders of recalled batches)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

#: Sent inside the recalling transaction with ``session`` and ``batch_ids`` (every batch the recall reached).
batch_recalled = signals.signal("batch-recalled")
