"""Access rows for the public trace pages, QR images and the daily digest: open to everyone, no login."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.clock import shanghai_date
from tests.access_rows import World, everyone
from traceability.batches.services import BatchData, create_batch
from traceability.models import Batch
from traceability.serials import create_serials

GTIN = "06901234567892"


def _batch(w: World) -> Batch:
    """One batch of the world's product (given a GTIN), made once and shared by every persona's request."""
    if "trace_batch" not in w.objects:
        product = w.objects["product"]
        product.gtin = GTIN
        county = product.producer.county
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        today = shanghai_date()
        data = BatchData(
            quantity=50, produced_on=today, best_before=today + timedelta(days=20), origin=origin
        )
        w.objects["trace_batch"] = create_batch(w.db, w.users["producer"], product, data)
    batch: Batch = w.objects["trace_batch"]
    return batch


def _serial(w: World) -> str:
    """A fresh serial of the shared batch (one per persona, so no label looks copied)."""
    batch = _batch(w)
    return create_serials(w.db, w.users["producer"], batch, 1)[0].serial


def _lot(w: World) -> str:
    return _batch(w).lot_code


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "trace.short": ("GET", lambda w: f"/t/{_lot(w)}", {}, everyone(200)),
    "trace.short_serial": ("GET", lambda w: f"/t/{_lot(w)}/{_serial(w)}", {}, everyone(200)),
    "trace.digital_link": ("GET", lambda w: f"/01/{GTIN}/10/{_lot(w)}", {}, everyone(200)),
    "trace.digital_link_serial": (
        "GET",
        lambda w: f"/01/{GTIN}/10/{_lot(w)}/21/{_serial(w)}",
        {},
        everyone(200),
    ),
    "trace.short_qr": ("GET", lambda w: f"/t/{_lot(w)}/qr.png", {}, everyone(200)),
    "trace.short_serial_qr": ("GET", lambda w: f"/t/{_lot(w)}/{_serial(w)}/qr.png", {}, everyone(200)),
    "trace.digital_link_qr": ("GET", lambda w: f"/01/{GTIN}/10/{_lot(w)}/qr.png", {}, everyone(200)),
    "trace.digital_link_serial_qr": (
        "GET",
        lambda w: f"/01/{GTIN}/10/{_lot(w)}/21/{_serial(w)}/qr.png",
        {},
        everyone(200),
    ),
    "trace.digest": ("GET", "/digest", {}, everyone(200)),
    # the GS1 resolver: its description, and Digital Links with the keys out of order (301 to GS1's order)
    "resolver.describe": ("GET", "/.well-known/gs1resolver", {}, everyone(200)),
    "resolver.reordered": ("GET", lambda w: f"/01/{GTIN}/21/{_serial(w)}/10/{_lot(w)}", {}, everyone(301)),
    "trace.digest_json": ("GET", "/digest.json", {}, everyone(200)),
}
