"""Points for assistance actions tied to an order (a staff member's purchase, the order's first rating) are
taken back once when the order is refunded in whole — its refunds cover its total —, never below zero;
a partial refund keeps them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from orders.fulfilment.services import confirm_receipt, rate_order_line, ship_order
from orders.models import Order
from payments.refunds import refund_order
from payments.signals import refund_recorded
from procurement.institutions.models import Institution, StaffLink
from promotions.points.actions import configure
from promotions.points.models import AssistanceAction, PointsEntry, PointsKind
from promotions.points.services import balance_of, spend
from tests.commerce import Shop
from tests.promotions.support import pay, place


def _entries(db: Session, user: User, kind: PointsKind) -> list[tuple[str, int, int]]:
    rows = db.execute(
        select(PointsEntry.source, PointsEntry.source_id, PointsEntry.points)
        .where(PointsEntry.user_id == user.id, PointsEntry.kind == kind)
        .order_by(PointsEntry.id)
    )
    return [(source, int(source_id), int(points)) for source, source_id, points in rows]


def _ledger_sum(db: Session, user: User) -> int:
    total = db.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == user.id)
    )
    return int(total or 0)


def _rewarded_order(db: Session, shop: Shop, admin: User, institution: Institution, quantity: int) -> Order:
    """A staff member's order of 城口老腊肉 (¥68 a unit), paid, received and rated: both actions earned."""
    configure(db, admin, AssistanceAction.STAFF_PURCHASE, 50, True)
    configure(db, admin, AssistanceAction.FIRST_RATING, 20, True)
    db.add(StaffLink(user_id=shop.buyer.id, institution_id=institution.id))
    db.flush()
    checkout = place(db, shop.buyer, {shop.product_b.id: quantity})
    pay(db, admin, checkout)
    order = checkout.orders[0]
    ship_order(db, shop.owner_b, order, "顺丰", "SF1234567890")
    confirm_receipt(db, shop.buyer, order)
    rate_order_line(db, shop.buyer, order.lines[0], 5, 5, "香")
    assert _entries(db, shop.buyer, PointsKind.AWARDED) == [
        ("staff_purchase", order.id, 50),
        ("first_rating", order.id, 20),
    ]
    return order


def test_a_whole_refund_takes_back_both_awards_exactly_once(
    db: Session, shop: Shop, make_admin: Callable[[], User], make_institution: Callable[..., Institution]
) -> None:
    admin = make_admin()
    order = _rewarded_order(db, shop, admin, make_institution(), 2)
    earned = order.subtotal_fen // 100
    assert balance_of(db, shop.buyer.id) == earned + 70
    refund = refund_order(db, admin, order, None, "不要了")
    assert order.refunded_fen >= order.total_fen
    taken = _entries(db, shop.buyer, PointsKind.CLAWED_BACK)
    assert ("staff_purchase", order.id, -50) in taken and ("first_rating", order.id, -20) in taken
    assert balance_of(db, shop.buyer.id) == 0 == _ledger_sum(db, shop.buyer)
    # the signal delivered again takes nothing more
    refund_recorded.send(refund, session=db)
    assert _entries(db, shop.buyer, PointsKind.CLAWED_BACK) == taken
    assert balance_of(db, shop.buyer.id) == 0


def test_a_partial_refund_keeps_the_awards(
    db: Session, shop: Shop, make_admin: Callable[[], User], make_institution: Callable[..., Institution]
) -> None:
    admin = make_admin()
    order = _rewarded_order(db, shop, admin, make_institution(), 2)
    before = balance_of(db, shop.buyer.id)
    refund = refund_order(db, admin, order, {order.lines[0].id: 1}, "坏了一块")  # ¥68 of ¥136 back
    assert order.refunded_fen < order.total_fen
    assert _entries(db, shop.buyer, PointsKind.CLAWED_BACK) == [("refund", refund.id, -68)]
    assert balance_of(db, shop.buyer.id) == before - 68  # only the refunded goods' points


def test_points_already_spent_are_taken_back_as_far_as_the_balance_goes(
    db: Session, shop: Shop, make_admin: Callable[[], User], make_institution: Callable[..., Institution]
) -> None:
    """The buyer spent most points before the refund: the refunded goods' points are taken back first,
    then what remains of the awards; the balance stops at zero and nothing is owed."""
    admin = make_admin()
    order = _rewarded_order(db, shop, admin, make_institution(), 1)  # 68 earned + 70 awarded
    spend(db, shop.buyer.id, 60, "flash", 1, utcnow())  # 78 left
    refund = refund_order(db, admin, order, None, "不要了")
    # the goods' 68 points first, then the staff purchase's 50 as far as the 10 left go, the rating's 20: none
    assert _entries(db, shop.buyer, PointsKind.CLAWED_BACK) == [
        ("refund", refund.id, -68),
        ("staff_purchase", order.id, -10),
    ]
    assert balance_of(db, shop.buyer.id) == 0 == _ledger_sum(db, shop.buyer)
