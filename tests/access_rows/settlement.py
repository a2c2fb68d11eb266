"""Access rows for settlement: payee accounts (producer members; the county's reviewer)."""

from __future__ import annotations

from typing import Any

from settlement.payees.models import PayeeStatus
from tests.access_rows import ADM, P, R, World, only
from tests.settlement.support import give_payee


def _own(w: World) -> int:
    """The producer persona's producer (疏勒县, the reviewer persona's county)."""
    return int(w.objects["producer"].id)


def _pending(w: World) -> int:
    """A fresh pending version of the producer persona's payee account."""
    return give_payee(w.db, w.objects["producer"], status=PayeeStatus.PENDING).id


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "payees.producer_account": ("GET", lambda w: f"/settlement/producers/{_own(w)}/payee", {}, only((P,))),
    # a change waits for review: the member takes it back; nobody else may
    "payees.withdraw": (
        "POST",
        lambda w: (_pending(w), f"/settlement/producers/{_own(w)}/payee/withdraw")[1],
        {},
        only((P,), ok=302),
    ),
    "payees.queue": ("GET", "/settlement/payees/", {}, only((R, ADM))),
    "payees.review": ("GET", lambda w: f"/settlement/payees/{_pending(w)}", {}, only((R, ADM))),
    "payees.verify": (
        "POST",
        lambda w: f"/settlement/payees/{_pending(w)}/verify",
        {},
        only((R, ADM), ok=302),
    ),
    "payees.reject": (
        "POST",
        lambda w: f"/settlement/payees/{_pending(w)}/reject",
        {"reason": "户名与营业执照不符"},
        only((R, ADM), ok=302),
    ),
}
