"""Access rows for promotions: the sponsor's list and creation form (administrators and sponsors: the
producer persona's producer; a budget unit is no sponsor), each promotion's page, pause and resume (who
manages it; 404 for everyone else); flash sales (public list and page, buying signed in, creation for
administrators and producers); invitation codes (entered by anyone signed in, made and listed by who
manages the promotion or flash sale)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.clock import shanghai_date
from orders.models import SponsorKind
from promotions.coupons.models import CouponMode
from promotions.coupons.services import create_batch
from promotions.offers.models import Promotion, PromotionStatus
from tests.access_rows import ADM, PERSONAS, SIGNED_IN, A, P, World, everyone, only
from tests.promotions.flash_support import ADDRESS_FORM, make_sale
from tests.promotions.support import make_promotion


def _promotion(w: World, status: PromotionStatus = PromotionStatus.ACTIVE) -> int:
    """A fresh promotion paid by the producer persona's producer, on its own products."""
    return _make(w, status).id


def _batch(w: World, mode: CouponMode) -> int:
    """A fresh batch of coupons of such a promotion (claimed: one code for each persona to claim)."""
    today = shanghai_date()
    batch = create_batch(w.db, w.users[ADM], _make(w), mode, 10, 1, today, today + timedelta(days=5))
    return batch.id


def _make(w: World, status: PromotionStatus = PromotionStatus.ACTIVE) -> Promotion:
    producer = w.objects["producer"]
    return make_promotion(
        w.db,
        sponsor_kind=SponsorKind.PRODUCER,
        sponsor_id=producer.id,
        sponsor_name=producer.name,
        producer_id=producer.id,
        amount_fen=500,
        threshold_fen=5000,
        status=status,
    )


def _flash_sale(w: World) -> int:
    """A flash sale of the producer persona's product, running now (created by an administrator)."""
    return make_sale(w.db, w.users[ADM], w.objects["product"]).id


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
    "coupons.index": ("GET", "/promotions/coupons/", {}, everyone(200)),
    "coupons.claim_code": (
        "POST",
        lambda w: f"/promotions/coupons/{_batch(w, CouponMode.CLAIMED)}/claim",
        {},
        dict.fromkeys(PERSONAS, 302),  # signed in: claimed, back to the list; anonymous: to log in
    ),
    "coupons.new": ("GET", lambda w: f"/promotions/coupons/new/{_promotion(w)}", {}, managers()),
    "coupons.batch": (
        "GET",
        lambda w: f"/promotions/coupons/batches/{_batch(w, CouponMode.DISTRIBUTED)}",
        {},
        managers(),
    ),
    "points.mine": ("GET", "/promotions/points/", {}, only(SIGNED_IN)),
    "points.actions": ("GET", "/promotions/points/actions", {}, only((ADM,))),
    "flash.index": ("GET", "/promotions/flash/", {}, everyone(200)),
    "flash.sale": ("GET", lambda w: f"/promotions/flash/{_flash_sale(w)}", {}, everyone(200)),
    # signed in without points: a fair 409 (not enough points); anonymous: to log in
    "flash.buy_unit": (
        "POST",
        lambda w: f"/promotions/flash/{_flash_sale(w)}/buy",
        ADDRESS_FORM,
        {p: 302 if p == A else 409 for p in PERSONAS},
    ),
    "flash.new": ("GET", "/promotions/flash/new", {}, only((P, ADM))),
    "invitations.enter": ("GET", "/promotions/invitations", {}, only(SIGNED_IN)),
    "invitations.promotion_codes": (
        "GET",
        lambda w: f"/promotions/{_promotion(w)}/invitations",
        {},
        managers(),
    ),
    "invitations.flash_codes": (
        "GET",
        lambda w: f"/promotions/flash/{_flash_sale(w)}/invitations",
        {},
        managers(),
    ),
}
