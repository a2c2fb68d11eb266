"""Reactions of the EPCIS interface to the rest of traceability (connected in ``traceability.init_app``)."""

from __future__ import annotations

from typing import Any

from traceability.interop.subscriptions import queue_recall_deliveries


def on_batch_recalled(sender: Any, **kwargs: Any) -> None:
    """Receiver of :data:`traceability.signals.batch_recalled` (``sender``: the recalling session): owe every
    ``RecalledLots`` subscriber serving a recalled lot the recall, in the recall's own transaction."""
    queue_recall_deliveries(sender, list(kwargs["batch_ids"]))
