"""Access rows for the institution's ordering pages (grid, upload, review) and purchase-order pages.

Only buyers of a verified institution order; members of the institution (any role) see its purchase orders,
and to everyone else a purchase order does not exist (404).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from core.clock import shanghai_date
from orders.addresses import Address
from procurement.ordering.models import FundingSource, PurchaseOrder
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from tests.access_rows import ADM, PERSONAS, A, I, World, only

ADDRESS = Address("王食堂", "13912345678", "370000", "临沂市", "兰山区", "北京路 1 号机关食堂")


def purchase_of_institution(w: World, *, approval: bool = False) -> PurchaseOrder:
    """A fresh purchase order of the institution persona's institution (one line of the world's product).

    With ``approval`` the institution requires approval, so the order waits for an approver.
    """
    buyer = w.users[I]
    institution = buyer.institution_memberships[0].institution
    institution.requires_approval = approval
    return submit_purchase_order(
        w.db,
        buyer,
        institution,
        [PurchaseLineInput(w.objects["product"].id, 2)],
        Delivery(ADDRESS, shanghai_date() + timedelta(days=5)),
        FundingSource.BUDGET,
        secrets.token_urlsafe(16),
    )


def _path(suffix: str = "", **kwargs: Any) -> Any:
    """A path builder for ``/procurement/orders/<number><suffix>`` of a fresh purchase order."""
    return lambda w: f"/procurement/orders/{purchase_of_institution(w, **kwargs).number}{suffix}"


def _members_only(ok: int, others: int = 404, admin: int | None = None) -> dict[str, int]:
    """``ok`` for the institution persona, a log-in redirect for anonymous, ``others`` for the rest (admins
    see purchase orders, to cancel stuck ones: ``admin`` when given)."""
    got = {p: ok if p == I else (302 if p == A else others) for p in PERSONAS}
    if admin is not None:
        got[ADM] = admin
    return got


def _supplier_cancel_path(w: World) -> str:
    """The cancel form target of a fresh supplier order waiting for its producer's answer."""
    order = purchase_of_institution(w).supplier_orders[0]
    return f"/procurement/orders/{order.purchase_order.number}/suppliers/{order.number}/cancel"


ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "procurement.grid": ("GET", "/procurement/", {}, only((I,))),
    "procurement.upload": ("GET", "/procurement/upload", {}, only((I,))),
    "procurement.review": ("POST", "/procurement/review", {"action": "check"}, only((I,))),
    "purchase_orders.orders": ("GET", "/procurement/orders", {}, only((I,))),
    "purchase_orders.order_detail": ("GET", _path(), {}, _members_only(200, admin=200)),
    "purchase_orders.order_pdf": ("GET", _path(".pdf"), {}, _members_only(200, admin=200)),
    # Neither the buyer nor an admin is an approver: 403 for them, the order stays hidden from everyone else.
    "purchase_orders.approve": ("POST", _path("/approve", approval=True), {}, _members_only(403, admin=403)),
    "purchase_orders.reject": (
        "POST",
        _path("/reject", approval=True),
        {"reason": "超预算"},
        _members_only(403, admin=403),
    ),
    # the buyer withdraws; an admin cancels with a reason
    "purchase_orders.cancel": (
        "POST",
        _path("/cancel", approval=True),
        {"reason": "长期无人审批"},
        _members_only(302, admin=302),
    ),
    # before the producer answers, the buyer (or an approver, or an admin) may cancel one supplier order
    "purchase_orders.cancel_supplier": (
        "POST",
        _supplier_cancel_path,
        {"reason": "生产者一直未答复"},
        _members_only(302, admin=302),
    ),
}
