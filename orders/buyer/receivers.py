"""Receivers: orders that drew from a recalled batch are flagged in the recalling transaction."""

from __future__ import annotations

from typing import Any

from orders.fulfilment import services as fulfilment


def on_batch_recalled(sender: Any, **kwargs: Any) -> None:
    """Receiver of :data:`traceability.signals.batch_recalled`: ``sender`` is the recalling session."""
    fulfilment.flag_recalled_orders(sender, list(kwargs.get("batch_ids") or []))
