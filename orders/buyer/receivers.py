"""Receivers: orders that drew from a recalled batch are flagged and remedied in the recalling transaction."""

from __future__ import annotations

from typing import Any

from orders import recall


def on_batch_recalled(sender: Any, **kwargs: Any) -> None:
    """Receiver of :data:`traceability.signals.batch_recalled`: ``sender`` is the recalling session."""
    recall.flag_recalled_orders(sender, list(kwargs.get("batch_ids") or []))
