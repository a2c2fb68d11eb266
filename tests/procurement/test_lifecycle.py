"""Every state of a purchase order and of a supplier order has a way out, taken by a named role.

The issue: an approved purchase order to a producer without members could never end — no cancel for the
buyer or approver after approval, no timeout, and an admin could not act. The table in
procurement/ordering/lifecycle.py says who may leave each state; these tests walk it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.audit.services import AuditEntry
from core.db import utcnow
from core.models import User
from core.notifications.models import Notification
from procurement.cli import expire_command
from procurement.ordering.approval import approve_purchase_order
from procurement.ordering.cancellation import (
    CancelNotAllowed,
    SupplierOrderNotCancellable,
    admin_cancel_purchase_order,
    cancel_supplier_order,
    expire_stale,
)
from procurement.ordering.lifecycle import (
    PURCHASE_EXITS,
    SUPPLIER_EXITS,
    Actor,
)
from procurement.ordering.models import (
    SUPPLIER_TRANSITIONS,
    LineDecision,
    PurchaseOrder,
    PurchaseStatus,
    SupplierOrder,
    SupplierStatus,
)
from procurement.receiving.services import ReceiptLineInput, confirm_payment, confirm_receipt, record_transfer
from procurement.supplying.services import (
    AllocationInput,
    LineDecisionInput,
    decide_lines,
    ship_supplier_order,
)
from tests.procurement.conftest import ProcurementWorld

Client = Callable[[User | None], FlaskClient]
FINAL_PURCHASE = {PurchaseStatus.REJECTED, PurchaseStatus.CANCELLED}
FINAL_SUPPLIER = {SupplierStatus.DECLINED, SupplierStatus.SETTLED, SupplierStatus.CANCELLED}


def test_every_state_but_the_final_ones_has_an_exit_for_a_named_role() -> None:
    for table, final in ((PURCHASE_EXITS, FINAL_PURCHASE), (SUPPLIER_EXITS, FINAL_SUPPLIER)):
        for state, exits in table.items():
            if state in final:
                assert exits == (), state
                continue
            people = {actor for exit in exits for actor in exit.actors if actor is not Actor.SYSTEM}
            assert people, f"{state} has no exit a person may take"
    assert set(PURCHASE_EXITS) == set(PurchaseStatus) and set(SUPPLIER_EXITS) == set(SupplierStatus)


def test_the_model_allows_exactly_the_moves_of_the_table() -> None:
    for state, exits in SUPPLIER_EXITS.items():
        assert {exit.target for exit in exits} == SUPPLIER_TRANSITIONS[state], state


@pytest.fixture()
def orphan(make_producer: Callable[..., Producer], make_product: Callable[..., Product]) -> Product:
    """A certified product of a producer that has no members: nobody will ever answer its orders."""
    producer = make_producer(name="城口县无人应答合作社", county_code="500229")
    assert producer.members == []
    return make_product(producer, name="城口蜂蜜", price_fen=8800, certified=True)


def approved(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder], product: Product
) -> PurchaseOrder:
    """A purchase order of ``product`` that needed approval and was approved."""
    pw.institution.requires_approval = True
    purchase = submit({product: 3})
    approve_purchase_order(db, pw.approver, purchase)
    return purchase


def test_the_buyer_cancels_an_approved_order_its_producer_never_answers(
    english: None,
    db: Session,
    pw: ProcurementWorld,
    submit: Callable[..., PurchaseOrder],
    orphan: Product,
    as_user: Client,
) -> None:
    purchase = approved(db, pw, submit, orphan)
    order = purchase.supplier_orders[0]
    assert order.status is SupplierStatus.AWAITING_CONFIRMATION
    page = as_user(pw.buyer).get(f"/procurement/orders/{purchase.number}").get_data(as_text=True)
    assert "Cancel this supplier order" in page

    response = as_user(pw.buyer).post(
        f"/procurement/orders/{purchase.number}/suppliers/{order.number}/cancel",
        data={"reason": "一周无人确认"},
    )

    assert response.status_code == 302
    db.expire_all()
    assert (order.status, purchase.status) == (SupplierStatus.CANCELLED, PurchaseStatus.CANCELLED)
    assert order.cancel_reason == "一周无人确认" and order.cancelled_by_id == pw.buyer.id
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "supplier_order.cancel")).one()
    assert (entry.subject_id, entry.actor_id) == (order.id, pw.buyer.id)
    assert entry.before == {"status": "awaiting_confirmation"} and entry.after == {"status": "cancelled"}
    told = db.scalars(select(Notification.user_id).where(Notification.kind == "procurement.cancelled")).all()
    assert pw.approver.id in told and pw.buyer.id not in told


def test_an_order_nobody_answers_expires_from_cron_and_everyone_is_told(
    english: None,
    app: Flask,
    db: Session,
    pw: ProcurementWorld,
    submit: Callable[..., PurchaseOrder],
    orphan: Product,
) -> None:
    purchase = submit({orphan: 2, pw.pork: 1})
    silent, answered = sorted(purchase.supplier_orders, key=lambda o: o.producer_id != orphan.producer_id)
    purchase.submitted_at = utcnow() - timedelta(days=8)
    line = answered.lines[0]
    decide_lines(db, pw.chengkou_owner, answered, [LineDecisionInput(line.id, LineDecision.CONFIRMED)])
    db.flush()

    result = app.test_cli_runner().invoke(expire_command)

    assert "Expired 0 purchase order(s) and 1 supplier order(s)" in result.output, result.output
    db.expire_all()
    assert silent.status is SupplierStatus.CANCELLED and "7 days" in (silent.cancel_reason or "")
    assert silent.cancelled_by_id is None and answered.status is SupplierStatus.CONFIRMED
    assert purchase.status is PurchaseStatus.APPROVED  # one supplier order goes on
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "supplier_order.expire")).one()
    assert entry.actor_id is None and entry.subject_id == silent.id
    assert db.scalars(select(Notification).where(Notification.user_id == pw.buyer.id)).all()


def test_a_purchase_order_no_approver_decides_expires(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder]
) -> None:
    pw.institution.requires_approval = True
    stale, fresh = submit({pw.pork: 1}), submit({pw.pork: 2})
    stale.submitted_at = utcnow() - timedelta(days=8)
    db.flush()

    assert expire_stale(db, utcnow()) == (1, 0)

    assert stale.status is PurchaseStatus.CANCELLED and fresh.status is PurchaseStatus.AWAITING_APPROVAL
    assert all(o.status is SupplierStatus.CANCELLED for o in stale.supplier_orders)


def confirmed(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder], days: int = 7
) -> SupplierOrder:
    """A pork supplier order confirmed by its producer, for delivery in ``days`` days."""
    order = submit({pw.pork: 4}, days=days).supplier_orders[0]
    decide_lines(db, pw.chengkou_owner, order, [LineDecisionInput(order.lines[0].id, LineDecision.CONFIRMED)])
    return order


def test_a_confirmed_order_that_never_ships_can_be_cancelled_by_the_buyer_once_overdue_and_expires(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder]
) -> None:
    order = confirmed(db, pw, submit)
    with pytest.raises(CancelNotAllowed):  # before the delivery date the producer may still ship
        cancel_supplier_order(db, pw.buyer, order, "不想要了")
    later = utcnow() + timedelta(days=8)
    cancel_supplier_order(db, pw.buyer, order, "过了交货日期仍未发货", now=later)
    assert order.status is SupplierStatus.CANCELLED

    other = confirmed(db, pw, submit, days=2)
    assert expire_stale(db, utcnow() + timedelta(days=10)) == (0, 1)
    assert other.status is SupplierStatus.CANCELLED and "delivery date" in (other.cancel_reason or "")


def test_an_admin_cancels_a_purchase_order_awaiting_approval_with_a_reason(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder], make_user: Callable[..., User]
) -> None:
    pw.institution.requires_approval = True
    purchase = submit({pw.pork: 1})
    admin = make_user(is_admin=True)

    admin_cancel_purchase_order(db, admin, purchase, "审批人已离职")

    assert purchase.status is PurchaseStatus.CANCELLED and purchase.decision_note == "审批人已离职"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "purchase_order.cancel")).one()
    assert entry.actor_id == admin.id


def _shipped(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder], make_batch: Callable[..., Any]
) -> SupplierOrder:
    order = confirmed(db, pw, submit)
    batch = make_batch(pw.pork, quantity=10)
    return ship_supplier_order(
        db, pw.chengkou_owner, order, [AllocationInput(order.lines[0].id, batch.id, 4)], "顺丰", "SF9"
    )


@pytest.mark.parametrize(
    ("state", "who"),
    [
        ("awaiting_confirmation", "approver"),
        ("confirmed", "producer"),
        ("shipped", "admin"),
        ("received", "producer"),
    ],
)
def test_each_open_supplier_state_is_left_by_its_named_role(
    state: str,
    who: str,
    db: Session,
    pw: ProcurementWorld,
    submit: Callable[..., PurchaseOrder],
    make_batch: Callable[..., Any],
    make_user: Callable[..., User],
) -> None:
    if state == "awaiting_confirmation":
        order = submit({pw.pork: 1}).supplier_orders[0]
    elif state == "confirmed":
        order = confirmed(db, pw, submit)
    else:
        order = _shipped(db, pw, submit, make_batch)
    if state == "received":
        confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, 4)])
        order.invoice_key, order.invoice_mimetype = secrets.token_hex(16), "application/pdf"
        record_transfer(db, pw.finance, order, "HX1")
    assert order.status is SupplierStatus(state)
    person = {
        "approver": pw.approver,
        "producer": pw.chengkou_owner,
        "admin": make_user(is_admin=True),
    }[who]

    if state == "received":
        confirm_payment(db, person, order)
    else:
        cancel_supplier_order(db, person, order, "测试出口")

    assert order.status in FINAL_SUPPLIER


def test_final_and_not_yet_approved_supplier_orders_are_not_cancelled_here(
    db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder], make_user: Callable[..., User]
) -> None:
    admin = make_user(is_admin=True)
    pw.institution.requires_approval = True
    waiting = submit({pw.pork: 1}).supplier_orders[0]
    with pytest.raises(SupplierOrderNotCancellable):  # the purchase order is decided or withdrawn instead
        cancel_supplier_order(db, admin, waiting, "试试")
    with pytest.raises(CancelNotAllowed):  # a stranger
        approve_purchase_order(db, pw.approver, waiting.purchase_order)
        cancel_supplier_order(db, make_user(), waiting, "试试")
    cancel_supplier_order(db, admin, waiting, "管理员取消")
    with pytest.raises(SupplierOrderNotCancellable):
        cancel_supplier_order(db, admin, waiting, "再取消一次")


def test_an_admin_finds_a_stuck_order_on_the_institution_page_and_cancels_it(
    english: None,
    db: Session,
    pw: ProcurementWorld,
    submit: Callable[..., PurchaseOrder],
    orphan: Product,
    make_user: Callable[..., User],
    as_user: Client,
) -> None:
    purchase = approved(db, pw, submit, orphan)
    order = purchase.supplier_orders[0]
    admin = as_user(make_user(is_admin=True))
    assert purchase.number in admin.get(f"/institution/admin/{pw.institution.id}").get_data(as_text=True)
    assert "Cancel this supplier order" in admin.get(f"/procurement/orders/{purchase.number}").get_data(
        as_text=True
    )

    response = admin.post(
        f"/procurement/orders/{purchase.number}/suppliers/{order.number}/cancel",
        data={"reason": "生产者无人"},
    )

    assert response.status_code == 302
    db.expire_all()
    assert (order.status, purchase.status) == (SupplierStatus.CANCELLED, PurchaseStatus.CANCELLED)
    told = db.scalars(select(Notification.user_id).where(Notification.kind == "procurement.cancelled")).all()
    assert {pw.buyer.id, pw.approver.id} <= set(told)
