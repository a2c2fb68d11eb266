"""A paid order tells its producer there is something to ship, however it was paid; a sale handed over at a
counter tells nobody."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.notifications.models import Notification
from orders.models import Checkout, PaymentMethod
from orders.notices import PAID_KIND
from tests.commerce import Shop
from traceability.models import Batch


def told(db: Session, user: User) -> list[Notification]:
    """``user``'s paid-order messages, oldest first."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.kind == PAID_KIND)
    return list(db.scalars(query.order_by(Notification.id)))


def test_each_producer_of_a_paid_checkout_is_told_once_with_its_own_order(
    db: Session,
    shop: Shop,
    make_checkout: Callable[..., Checkout],
    confirm_transfer: Any,
) -> None:
    batches: list[tuple[Batch, int]] = [(shop.batch_a, 2), (shop.batch_b, 1)]
    checkout = make_checkout(shop.buyer, batches, method=PaymentMethod.BANK_TRANSFER)
    assert told(db, shop.owner_a) == []  # not before the money is in
    assert confirm_transfer(checkout).status_code == 302
    db.expire_all()
    orders = {order.producer_id: order for order in checkout.orders}
    [tomatoes] = told(db, shop.owner_a)
    [pork] = told(db, shop.owner_b)
    mine = orders[shop.producer_a.id]
    assert tomatoes.subject == f"New order {mine.number} to ship"  # the shop's people read English
    assert tomatoes.link == f"/producer/orders/{mine.number}" and "¥25.00" in tomatoes.body
    assert pork.data["order_id"] == orders[shop.producer_b.id].id
    assert told(db, shop.buyer) == []
