"""Access rows for the producer's shipping fee rule."""

from __future__ import annotations

from typing import Any

from tests.access_rows import ADM, P, only

ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "shipping.shipping": (
        "GET",
        lambda w: f"/producer/orders/shipping/{w.objects['producer'].id}",
        {},
        only((P, ADM)),
    ),
}
