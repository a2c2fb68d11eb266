"""Access rows for the producer's procurement pages and the institution's delivery pages.

Each row builds a fresh supplier order of the producer persona's producer, ordered by the institution
persona's institution, and moves it through the real services to the state the page needs. Only the
parties act: members of the producer on /producer/procurement, members of the institution on
/procurement/deliveries (the invoice file also to the producer); reviewers and admins are not parties.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.clock import shanghai_date
from orders.addresses import Address
from procurement.institutions.models import Institution, InstitutionMember, InstitutionRole
from procurement.ordering.models import FundingSource, SupplierOrder
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from procurement.receiving.services import ReceiptLineInput, confirm_receipt
from procurement.supplying.services import (
    AllocationInput,
    LineDecisionInput,
    decide_lines,
    ship_supplier_order,
)
from settlement.payees.services import in_force
from tests.access_rows import PERSONAS, A, I, P, World, only
from tests.access_rows.orders import new_batch
from tests.settlement.support import give_payee

ADDRESS = Address("王食堂", "13912345678", "370000", "临沂市", "兰山区", "北京路 1 号机关食堂")
STEPS = ("awaiting_confirmation", "confirmed", "shipped", "received", "paid")


def _institution(w: World) -> Institution:
    membership = w.users[I].institution_memberships[0]
    institution: Institution = membership.institution
    # other rows (settings forms, fuzzers) may have changed these: orders here go straight to producers
    institution.requires_approval, institution.spending_limit_fen = False, None
    return institution


def supplier_order(w: World, state: str) -> SupplierOrder:
    """A fresh supplier order of 5 units of the world's product, moved on to ``state`` (see STEPS)."""
    buyer, producer_user = w.users[I], w.users[P]
    purchase = submit_purchase_order(
        w.db,
        buyer,
        _institution(w),
        [PurchaseLineInput(w.objects["product"].id, 5)],
        Delivery(ADDRESS, shanghai_date() + timedelta(days=7)),
        FundingSource.BUDGET,
        secrets.token_urlsafe(16),
    )
    order = purchase.supplier_orders[0]
    line = order.lines[0]
    reached = STEPS[1 : STEPS.index(state) + 1]
    if "confirmed" in reached:
        decide_lines(w.db, producer_user, order, [LineDecisionInput(line.id, "confirmed")])
    if "shipped" in reached:
        batch = new_batch(w.db, w.objects["product"], by=producer_user)
        ship_supplier_order(
            w.db, producer_user, order, [AllocationInput(line.id, batch.id, 5)], "顺丰", "SF1"
        )
    if "received" in reached:
        confirm_receipt(w.db, buyer, order, [ReceiptLineInput(line.id, 5)])
    if "paid" in reached:
        order.invoice_key, order.invoice_mimetype = secrets.token_hex(16), "application/pdf"
        order.transfer_reference = "HX0001"
    w.db.flush()
    return order


def producer_url(state: str, suffix: str = "") -> Callable[[World], str]:
    """A builder for a producer page of a fresh supplier order in ``state``."""
    return lambda w: f"/producer/procurement/{supplier_order(w, state).number}{suffix}"


def delivery_url(state: str, suffix: str = "", *, finance: bool = False) -> Callable[[World], str]:
    """A builder for an institution page of a fresh delivery in ``state`` (the persona also in finance)."""

    def build(w: World) -> str:
        order = supplier_order(w, state)
        if finance and InstitutionRole.FINANCE not in _institution(w).roles_of(w.users[I]):
            _institution(w).members.append(InstitutionMember(user=w.users[I], role=InstitutionRole.FINANCE))
            w.db.flush()
        if finance:
            order.invoice_key, order.invoice_mimetype = secrets.token_hex(16), "application/pdf"
            if in_force(w.db, order.producer_id) is None:  # institutions pay only into a verified account
                give_payee(w.db, order.producer)
            w.db.flush()
        return f"/procurement/deliveries/{order.number}{suffix}"

    return build


def with_balance(build: Callable[[World], str], *, recorded: bool) -> Callable[[World], str]:
    """``build``'s page of a paid delivery whose after-sales left one unit's price owed as a balance (its
    transfer ``recorded`` or not)."""

    def balance_build(w: World) -> str:
        url = build(w)
        number = url.split("/")[3]
        order = w.db.scalars(select(SupplierOrder).where(SupplierOrder.number == number)).one()
        line = order.lines[0]
        line.conceded_fen, line.conceded_quantity = line.unit_price_fen, 1
        order.balance_fen = line.unit_price_fen
        order.balance_reference = "HX0002" if recorded else None
        w.db.flush()
        return url

    return balance_build


def parties(ok: int, *allowed: str) -> dict[str, int]:
    """``ok`` for the allowed personas, log-in for anonymous, 403 for the rest."""
    return {p: ok if p in allowed else (302 if p == A else 403) for p in PERSONAS}


SHIP = {"carrier": "顺丰速运", "tracking_number": "SF1234567890"}

ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "supplier.index": ("GET", "/producer/procurement/", {}, only((P,))),
    "supplier.detail": ("GET", producer_url("awaiting_confirmation"), {}, only((P,))),
    # no lines in the form: members reach the form check (400), everyone else is refused first
    "supplier.decide": ("POST", producer_url("awaiting_confirmation", "/decisions"), {}, only((P,), ok=400)),
    "supplier.ship_form": ("GET", producer_url("confirmed", "/ship"), {}, only((P,))),
    "supplier.ship": ("POST", producer_url("confirmed", "/ship"), SHIP, only((P,), ok=400)),
    "supplier.packing_list_page": ("GET", producer_url("shipped", "/packing-list"), {}, only((P,))),
    "supplier.packing_list_pdf": ("GET", producer_url("confirmed", "/packing-list.pdf"), {}, only((P,))),
    "supplier.confirm_payment": ("POST", producer_url("paid", "/payment"), {}, only((P,), ok=302)),
    "supplier.confirm_balance": (
        "POST",
        with_balance(producer_url("paid", "/balance"), recorded=True),
        {},
        only((P,), ok=302),
    ),
    # a producer that confirmed but cannot ship cancels with a reason (admins cancel on the purchase order)
    "supplier.cancel": (
        "POST",
        producer_url("confirmed", "/cancel"),
        {"reason": "冷库故障"},
        only((P,), ok=302),
    ),
    "delivery.detail": ("GET", delivery_url("shipped"), {}, only((I,))),
    # no lines in the form: the buyer reaches the form check (400)
    "delivery.receipt": ("POST", delivery_url("shipped", "/receipt"), {}, only((I,), ok=400)),
    # no file attached: members reach the file check (400)
    "delivery.upload_invoice": ("POST", delivery_url("received", "/invoice"), {}, only((I,), ok=400)),
    # no invoice uploaded yet: both parties reach the file check (404), everyone else is refused first
    "delivery.invoice": ("GET", delivery_url("received", "/invoice"), {}, parties(404, P, I)),
    "delivery.transfer": (
        "POST",
        delivery_url("received", "/transfer", finance=True),
        {"reference": "HX20261124001"},
        only((I,), ok=302),
    ),
    "delivery.balance_transfer": (
        "POST",
        with_balance(delivery_url("paid", "/balance", finance=True), recorded=False),
        {"balance-reference": "HX20261230002"},
        only((I,), ok=302),
    ),
}
