"""Submitting purchase orders: tiers and minimums, splitting per producer, idempotency, maker–checker."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import InvalidTransition
from core.notifications.models import Notification
from procurement.ordering.approval import approve_purchase_order, reject_purchase_order
from procurement.ordering.errors import (
    BelowMinimum,
    InstitutionNotVerified,
    NotApprover,
    NotBuyer,
    ProductNotOrderable,
    RejectionReasonRequired,
    SelfApproval,
)
from procurement.ordering.models import PurchaseOrder, PurchaseStatus, SupplierStatus
from tests.procurement.conftest import ProcurementWorld


def test_submit_splits_per_producer_and_applies_tiers(pw: ProcurementWorld, submit: Callable) -> None:
    purchase = submit({pw.tomatoes: 120, pw.pork: 10})
    assert purchase.status is PurchaseStatus.APPROVED
    by_producer = {order.producer_id: order for order in purchase.supplier_orders}
    assert set(by_producer) == {pw.shule.id, pw.chengkou.id}
    tomato_line = by_producer[pw.shule.id].lines[0]
    assert (tomato_line.requested_quantity, tomato_line.unit_price_fen) == (120, 500)  # tier from 100 kg
    assert by_producer[pw.chengkou.id].lines[0].unit_price_fen == 9800
    assert purchase.total_fen == 120 * 500 + 10 * 9800
    assert all(order.status is SupplierStatus.AWAITING_CONFIRMATION for order in purchase.supplier_orders)


def test_producers_are_told(db: Session, pw: ProcurementWorld, submit: Callable) -> None:
    submit({pw.tomatoes: 50, pw.pork: 1})
    kinds = db.scalars(select(Notification.kind).where(Notification.user_id == pw.shule_owner.id)).all()
    assert kinds == ["procurement.order_received"]


def test_below_minimum_is_refused(pw: ProcurementWorld, submit: Callable) -> None:
    with pytest.raises(BelowMinimum) as caught:
        submit({pw.tomatoes: 49})
    assert "50" in str(caught.value)


def test_uncertified_product_cannot_be_ordered(
    pw: ProcurementWorld, submit: Callable, make_product: Callable
) -> None:
    plain = make_product(pw.shule, name="未认定产品")
    with pytest.raises(ProductNotOrderable):
        submit({plain: 10})


def test_unverified_institution_cannot_order(
    pw: ProcurementWorld, submit: Callable, make_institution: Callable, make_user: Callable
) -> None:
    buyer = make_user()
    pending = make_institution(buyer, verified=False)
    with pytest.raises(InstitutionNotVerified):
        submit({pw.pork: 1}, buyer=buyer, institution=pending)


def test_only_buyers_submit(pw: ProcurementWorld, submit: Callable) -> None:
    with pytest.raises(NotBuyer):
        submit({pw.pork: 1}, buyer=pw.finance)


def test_repeated_submit_returns_the_same_purchase_order(
    db: Session, pw: ProcurementWorld, submit: Callable
) -> None:
    key = secrets.token_urlsafe(16)
    first = submit({pw.pork: 2}, key=key)
    second = submit({pw.pork: 2}, key=key)
    assert first.id == second.id
    assert db.scalar(select(func.count(PurchaseOrder.id))) == 1


def test_above_spending_limit_waits_for_another_approver(
    db: Session, pw: ProcurementWorld, submit: Callable
) -> None:
    pw.institution.spending_limit_fen = 50_000
    purchase = submit({pw.pork: 10})  # 980.00 yuan > 500.00
    assert purchase.status is PurchaseStatus.AWAITING_APPROVAL
    assert all(order.status is SupplierStatus.AWAITING_APPROVAL for order in purchase.supplier_orders)
    with pytest.raises(NotApprover):
        approve_purchase_order(db, pw.buyer, purchase)
    approve_purchase_order(db, pw.approver, purchase, "同意")
    assert purchase.status is PurchaseStatus.APPROVED and purchase.approver_id == pw.approver.id
    assert all(order.status is SupplierStatus.AWAITING_CONFIRMATION for order in purchase.supplier_orders)
    with pytest.raises(InvalidTransition):
        approve_purchase_order(db, pw.approver, purchase)


def test_within_limit_goes_straight_to_producers(pw: ProcurementWorld, submit: Callable) -> None:
    pw.institution.spending_limit_fen = 100_000
    assert submit({pw.pork: 10}).status is PurchaseStatus.APPROVED


def test_buyer_who_is_also_approver_cannot_approve_own_order(
    db: Session, pw: ProcurementWorld, submit: Callable
) -> None:
    from procurement.institutions.models import InstitutionMember, InstitutionRole

    pw.institution.requires_approval = True
    pw.institution.members.append(InstitutionMember(user=pw.buyer, role=InstitutionRole.APPROVER))
    db.flush()
    purchase = submit({pw.pork: 1})
    with pytest.raises(SelfApproval):
        approve_purchase_order(db, pw.buyer, purchase)


def test_rejection_needs_a_reason_and_cancels_supplier_orders(
    db: Session, pw: ProcurementWorld, submit: Callable
) -> None:
    pw.institution.requires_approval = True
    purchase = submit({pw.pork: 1, pw.tomatoes: 60})
    with pytest.raises(RejectionReasonRequired):
        reject_purchase_order(db, pw.approver, purchase, "  ")
    reject_purchase_order(db, pw.approver, purchase, "超出本月预算")
    assert purchase.status is PurchaseStatus.REJECTED
    assert {order.status for order in purchase.supplier_orders} == {SupplierStatus.CANCELLED}
