"""Access rows for price monitoring: the reviewer's queue and references, an alert's page and actions (its
county's reviewers and administrators act; its producer's members see it and answer what was asked; it does
not exist for anyone else), the producer's own list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import utcnow
from oversight.prices.models import PriceAlert
from oversight.prices.review import ask
from tests.access_rows import ADM, PERSONAS, A, P, R, World, only
from tests.oversight.prices.support import change_price


def _alert(w: World) -> PriceAlert:
    """A fresh alert: a new product of the producer persona (疏勒县) raised by 44 % at once."""
    product = w.factories["make_product"](w.objects["producer"], price_fen=2500)
    change_price(w.db, w.users[P], product, 3600)
    return w.db.scalars(select(PriceAlert).where(PriceAlert.product_id == product.id)).one()


def _asked(w: World) -> PriceAlert:
    alert = _alert(w)
    ask(w.db, w.users[R], alert, "请说明涨价的原因", utcnow())
    return alert


def parties(ok: int = 302, *, allowed: tuple[str, ...] = (R, ADM)) -> dict[str, int]:
    """Those who see an alert get ``ok`` if allowed to act, else 403; others 404; anonymous 302."""
    seeing = (P, R, ADM)
    return {p: 302 if p == A else (ok if p in allowed else (403 if p in seeing else 404)) for p in PERSONAS}


def _url(build: Any, suffix: str = "") -> Any:
    return lambda w: f"/oversight/prices/{build(w).id}{suffix}"


REFERENCE = {"scope": "all", "category": "vegetables", "unit": "kg", "price": "10.00"}

#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "prices.queue": ("GET", "/oversight/prices/", {}, only((R, ADM))),
    "prices.mine": ("GET", "/oversight/prices/mine", {}, only((P,))),
    "prices.detail": ("GET", _url(_alert), {}, parties(200, allowed=(P, R, ADM))),
    "prices.dismiss": ("POST", _url(_alert, "/dismiss"), {"reason": "季节性涨价属实"}, parties()),
    "prices.ask": ("POST", _url(_alert, "/ask"), {"question": "请说明涨价的原因"}, parties()),
    "prices.corrected": ("POST", _url(_alert, "/corrected"), {}, parties()),
    "prices.explain": (
        "POST",
        _url(_asked, "/explain"),
        {"explanation": "运费和包装成本上涨"},
        parties(allowed=(P,)),
    ),
    "prices.reference_list": ("GET", "/oversight/prices/references", {}, only((R, ADM))),
    # platform-wide: administrators only (a reviewer's form does not offer it: 400)
    "prices.set_reference": (
        "POST",
        "/oversight/prices/references",
        REFERENCE,
        {**only((R, ADM)), R: 400, ADM: 302},
    ),
    # no file chosen: told so (400)
    "prices.import_references": (
        "POST",
        "/oversight/prices/references/import",
        {"scope": "all"},
        only((R, ADM), 400),
    ),
}
