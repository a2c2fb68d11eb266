"""Access rows for a batch's cold chain (its producer and the county reviewer) and releasing a hold (the
county reviewer only)."""

from __future__ import annotations

from typing import Any

from core.db import utcnow
from tests.access_rows import ADM, P, R, World, only
from tests.access_rows.batches import batch_url, fresh_batch
from traceability.holds.models import HoldReason
from traceability.holds.services import place_hold

VIEWERS = (P, R, ADM)


def _held(w: World) -> str:
    """The release address of a fresh batch's open cold-chain hold (one per persona)."""
    batch = fresh_batch(w)
    hold = place_hold(
        w.db, batch, HoldReason.COLD_CHAIN, occurred_at=utcnow(), place="喀什冷库", summary="9 °C"
    )
    return f"/producer/batches/{batch.id}/holds/{hold.id}/release"


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "cold_chain.page": ("GET", batch_url("/cold-chain"), {}, only(VIEWERS)),
    # no file: the form is refused (400) for those who may upload, before anything is read
    "cold_chain.upload": ("POST", batch_url("/cold-chain"), {"place": "喀什冷库"}, only(VIEWERS, ok=400)),
    "holds.release": ("POST", _held, {"reason": "复检合格"}, only((R, ADM), ok=302)),
}
