"""Points for assistance actions: the platform sets which actions earn points and how many; each earns once
per subject (an order), through the signals of the packages where it happens — an order's first rating after
receipt (orders), a staff member's purchase counted toward their institution (payments); switched off, or
never set, an action earns nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import PermissionDenied
from core.models import User
from orders.fulfilment.services import confirm_receipt, rate_order_line, ship_order
from orders.models import Order
from procurement.institutions.models import Institution, StaffLink
from promotions.points.actions import InvalidActionPoints, award, configure
from promotions.points.models import AssistanceAction, PointsEntry, PointsKind
from promotions.points.services import balance_of
from tests.commerce import Shop
from tests.promotions.support import pay, place

Client = Callable[[User | None], FlaskClient]


def _awarded(db: Session, user: User) -> list[tuple[str, int, int]]:
    rows = db.execute(
        select(PointsEntry.source, PointsEntry.source_id, PointsEntry.points).where(
            PointsEntry.user_id == user.id, PointsEntry.kind == PointsKind.AWARDED
        )
    )
    return [(source, int(source_id), int(points)) for source, source_id, points in rows]


def _received(db: Session, shop: Shop, admin: User, items: dict[int, int]) -> Order:
    checkout = place(db, shop.buyer, items)
    pay(db, admin, checkout)
    order = checkout.orders[0]
    owner = shop.owner_a if order.producer_id == shop.producer_a.id else shop.owner_b
    ship_order(db, owner, order, "顺丰", "SF1234567890")
    confirm_receipt(db, shop.buyer, order)
    return order


def test_the_first_rating_of_a_received_order_earns_once(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    configure(db, admin, AssistanceAction.FIRST_RATING, 20, True)
    order = _received(db, shop, admin, {shop.product_a.id: 1})
    before = balance_of(db, shop.buyer.id)
    rate_order_line(db, shop.buyer, order.lines[0], 5, 5, "好吃")
    assert _awarded(db, shop.buyer) == [("first_rating", order.id, 20)]
    assert balance_of(db, shop.buyer.id) == before + 20
    # the signal delivered again (or another line rated): the unique key decides, nothing more
    assert award(db, AssistanceAction.FIRST_RATING, shop.buyer.id, order.id) == 0
    assert balance_of(db, shop.buyer.id) == before + 20


def test_an_action_switched_off_or_never_set_earns_nothing(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    order = _received(db, shop, admin, {shop.product_a.id: 1})
    assert award(db, AssistanceAction.STAFF_PURCHASE, shop.buyer.id, order.id) == 0  # never set
    configure(db, admin, AssistanceAction.FIRST_RATING, 20, False)
    rate_order_line(db, shop.buyer, order.lines[0], 4, 4)
    assert _awarded(db, shop.buyer) == []


def test_a_staff_purchase_earns_when_paid(
    db: Session,
    shop: Shop,
    make_admin: Callable[[], User],
    make_institution: Callable[..., Institution],
) -> None:
    admin = make_admin()
    configure(db, admin, AssistanceAction.STAFF_PURCHASE, 50, True)
    employer = make_institution()
    db.add(StaffLink(user_id=shop.buyer.id, institution_id=employer.id))
    db.flush()
    checkout = place(db, shop.buyer, {shop.product_b.id: 1})
    assert checkout.orders[0].staff_institution_id == employer.id
    assert _awarded(db, shop.buyer) == []  # not before it is paid
    pay(db, admin, checkout)
    assert _awarded(db, shop.buyer) == [("staff_purchase", checkout.orders[0].id, 50)]


def test_only_administrators_configure_and_within_bounds(
    db: Session, shop: Shop, make_admin: Callable[[], User], as_user: Client, english: None
) -> None:
    admin = make_admin()
    with pytest.raises(PermissionDenied):
        configure(db, shop.buyer, AssistanceAction.FIRST_RATING, 20, True)
    with pytest.raises(InvalidActionPoints):
        configure(db, admin, AssistanceAction.FIRST_RATING, -1, True)
    assert as_user(shop.buyer).get("/promotions/points/actions").status_code == 403
    client = as_user(admin)
    assert "First rating of a received order" in client.get("/promotions/points/actions").get_data(
        as_text=True
    )
    bad = client.post("/promotions/points/actions", data={"action": "first_rating", "points": "abc"})
    assert bad.status_code == 400
    unknown = client.post("/promotions/points/actions", data={"action": "complaint", "points": "5"})
    assert unknown.status_code == 400
    saved = client.post(
        "/promotions/points/actions", data={"action": "first_rating", "points": "30", "active": "y"}
    )
    assert saved.status_code == 302
    page = client.get("/promotions/points/actions").get_data(as_text=True)
    assert ">30<" in page
