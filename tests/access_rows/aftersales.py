"""Access rows for after-sales (售后): the buyer's form and steps, the producer's list and answers, the county
reviewer's queue and arbitration; a request opens for its buyer, its producer's members, its county's
reviewers and administrators, and does not exist for anyone else."""

from __future__ import annotations

import io
from typing import Any

from orders.models import OrderStatus
from oversight.aftersales import steps
from oversight.aftersales.models import AftersalesKind, AftersalesRequest
from oversight.aftersales.photos import store_photo
from oversight.aftersales.services import AftersalesInput, Windows, request_aftersales
from tests.access_rows import ADM, PERSONAS, A, C, P, R, World, only
from tests.access_rows.orders import buyer_only, consumer_order
from tests.oversight.support import photo_bytes


def _request(w: World, *, photo: bool = False) -> AftersalesRequest:
    """A fresh request of the consumer persona on a fresh received order of the producer persona."""
    order = consumer_order(w, OrderStatus.RECEIVED)
    keys = [store_photo(io.BytesIO(photo_bytes()), w.factories["upload_dir"])] if photo else []
    data = AftersalesInput(
        kind=AftersalesKind.REFUND, lines={order.lines[0].id: 1}, reason="收到时已经坏了", photo_keys=keys
    )
    return request_aftersales(w.db, w.users[C], order, data, Windows())


def _proposed(w: World) -> AftersalesRequest:
    request = _request(w)
    steps.propose(w.db, w.users[P], request, 100, None, Windows())
    return request


def _escalated(w: World) -> AftersalesRequest:
    request = _proposed(w)
    steps.escalate(w.db, w.users[C], request)
    return request


def parties(ok: int = 200, *, allowed: tuple[str, ...] = (C, P, R, ADM)) -> dict[str, int]:
    """Those who see a request get ``ok`` if allowed to take the step, else 403; others 404; anonymous 302."""
    seeing = (C, P, R, ADM)
    return {p: 302 if p == A else (ok if p in allowed else (403 if p in seeing else 404)) for p in PERSONAS}


def _url(build: Any, suffix: str = "") -> Any:
    return lambda w: f"/aftersales/{build(w).id}{suffix}"


REASON = {"reason": "货物完好，签收时没有提出问题"}

#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "aftersales.new": (
        "GET",
        lambda w: f"/aftersales/orders/{consumer_order(w, OrderStatus.RECEIVED).number}/new",
        {},
        buyer_only(),
    ),
    "aftersales.create": (  # no units chosen: the buyer is told (400), nobody else finds the order
        "POST",
        lambda w: f"/aftersales/orders/{consumer_order(w, OrderStatus.RECEIVED).number}/new",
        {"kind": "refund", "reason": "收到时已经坏了"},
        buyer_only(400),
    ),
    "aftersales.detail": ("GET", _url(_request), {}, parties()),
    "aftersales.photo": ("GET", _url(lambda w: _request(w, photo=True), "/photos/1"), {}, parties()),
    "aftersales.accept": ("POST", _url(_request, "/accept"), {}, parties(302, allowed=(P,))),
    "aftersales.propose": (
        "POST",
        _url(_request, "/propose"),
        {"amount": "1.00"},
        parties(302, allowed=(P,)),
    ),
    "aftersales.refuse": ("POST", _url(_request, "/refuse"), REASON, parties(302, allowed=(P,))),
    "aftersales.take": ("POST", _url(_proposed, "/take"), {}, parties(302, allowed=(C,))),
    "aftersales.escalate": ("POST", _url(_proposed, "/escalate"), {}, parties(302, allowed=(C,))),
    "aftersales.withdraw": ("POST", _url(_request, "/withdraw"), {}, parties(302, allowed=(C,))),
    "aftersales.arbitrate": (
        "POST",
        _url(_escalated, "/arbitrate"),
        {"amount": "0", "reason": "照片不能说明问题"},
        parties(302, allowed=(R, ADM)),
    ),
    "aftersales.producer_list": ("GET", "/aftersales/producer", {}, only((P,))),
    "aftersales.desk": ("GET", "/aftersales/desk", {}, only((R, ADM))),
}
