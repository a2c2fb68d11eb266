"""Access rows for settlement: payee accounts (producer members; the county's reviewer), statements (producer
members, administrators), payouts (administrators)."""

from __future__ import annotations

from typing import Any

from core.clock import shanghai_date
from settlement.payees.models import PayeeStatus
from settlement.payees.services import in_force
from settlement.payouts.models import Payout, PayoutStatus
from settlement.statements.models import Statement
from settlement.statements.services import month_label, next_month, running_month
from tests.access_rows import ADM, P, R, World, only
from tests.settlement.support import give_payee


def _own(w: World) -> int:
    """The producer persona's producer (疏勒县, the reviewer persona's county)."""
    return int(w.objects["producer"].id)


def _pending(w: World) -> int:
    """A fresh pending version of the producer persona's payee account."""
    return give_payee(w.db, w.objects["producer"], status=PayeeStatus.PENDING).id


def _last_month() -> Any:
    running = running_month()
    return running.replace(year=running.year - (running.month == 1), month=(running.month - 2) % 12 + 1)


def _statement(w: World) -> Statement:
    """A closed statement of last month for the producer persona's producer (¥100.00 net), once per world,
    with a verified payee account."""
    if "statement" not in w.objects:
        producer = w.objects["producer"]
        give_payee(w.db, producer)
        month = _last_month()
        statement = Statement(
            producer_id=producer.id,
            month=month,
            period_start=month,
            period_end=next_month(month),
            sales_fen=10_000,
            shipping_fen=0,
            refunds_fen=0,
            refunded_goods_fen=0,
            fee_basis_points=0,
            fees_fen=0,
            net_fen=10_000,
            cumulative_net_fen=10_000,
            held_at_close_fen=0,
            cash_collected_fen=0,
            procurement_received_fen=0,
        )
        w.db.add(statement)
        w.db.flush()
        w.objects["statement"] = statement
    statement: Statement = w.objects["statement"]
    return statement


def _proposed(w: World) -> int:
    """A fresh ¥1.00 payout of that statement, proposed by another administrator."""
    statement = _statement(w)
    maker = w.objects.get("maker") or w.factories["make_user"](is_admin=True)
    w.objects["maker"] = maker
    payout = Payout(
        producer_id=statement.producer_id,
        statement_id=statement.id,
        payee_account_id=_payee_id(w),
        amount_fen=100,
        status=PayoutStatus.PROPOSED,
        proposed_by_id=maker.id,
    )
    w.db.add(payout)
    w.db.flush()
    return payout.id


def _payee_id(w: World) -> int:
    """The producer persona's verified payee account."""
    account = in_force(w.db, _own(w))
    assert account is not None
    return account.id


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
    "statements.index": ("GET", lambda w: f"/settlement/producers/{_own(w)}/statements", {}, only((P, ADM))),
    # the running month, read live
    "statements.detail": (
        "GET",
        lambda w: f"/settlement/producers/{_own(w)}/statements/{month_label(running_month())}",
        {},
        only((P, ADM)),
    ),
    "statements.export": (
        "GET",
        lambda w: (
            f"/settlement/producers/{_own(w)}/statements/{month_label(_statement(w).month)}/export.xlsx"
        ),
        {},
        only((P, ADM)),
    ),
    "statements.admin_index": ("GET", "/settlement/statements/", {}, only((ADM,))),
    "payouts.propose": (
        "POST",
        lambda w: f"/settlement/statements/{_statement(w).id}/payouts",
        {"amount": "10.00"},
        only((ADM,), ok=302),
    ),
    "payouts.approve": (
        "POST",
        lambda w: f"/settlement/payouts/{_proposed(w)}/approve",
        {"bank_reference": "ABC-ACCESS-1", "paid_on": shanghai_date().isoformat()},
        only((ADM,), ok=302),
    ),
    "payouts.cancel": (
        "POST",
        lambda w: f"/settlement/payouts/{_proposed(w)}/cancel",
        {"reason": "金额有误"},
        only((ADM,), ok=302),
    ),
}
