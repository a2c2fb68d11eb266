"""Access rows for promotions: the sponsor's list and creation form (administrators and sponsors: the
producer persona's producer; a budget unit is no sponsor), each promotion's page, pause and resume (who
manages it; 404 for everyone else)."""

from __future__ import annotations

from typing import Any

from orders.models import SponsorKind
from promotions.offers.models import PromotionStatus
from tests.access_rows import ADM, PERSONAS, A, P, World, only
from tests.promotions.support import make_promotion


def _promotion(w: World, status: PromotionStatus = PromotionStatus.ACTIVE) -> int:
    """A fresh promotion paid by the producer persona's producer, on its own products."""
    producer = w.objects["producer"]
    promotion = make_promotion(
        w.db,
        sponsor_kind=SponsorKind.PRODUCER,
        sponsor_id=producer.id,
        sponsor_name=producer.name,
        producer_id=producer.id,
        amount_fen=500,
        threshold_fen=5000,
        status=status,
    )
    return promotion.id


def managers(ok: int = 200) -> dict[str, int]:
    """``ok`` for the producer persona and administrators, log-in for anonymous, 404 for the others."""
    return {p: ok if p in (P, ADM) else (302 if p == A else 404) for p in PERSONAS}


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "promotions.index": ("GET", "/promotions/", {}, only((P, ADM))),
    "promotions.new": ("GET", "/promotions/new", {}, only((P, ADM))),
    "promotions.detail": (
        "GET",
        lambda w: f"/promotions/{_promotion(w)}?product={w.objects['product'].id}&quantity=3",
        {},
        managers(),
    ),
    "promotions.pause": ("POST", lambda w: f"/promotions/{_promotion(w)}/pause", {}, managers(302)),
    "promotions.resume": (
        "POST",
        lambda w: f"/promotions/{_promotion(w, PromotionStatus.PAUSED)}/resume",
        {},
        managers(302),
    ),
}
