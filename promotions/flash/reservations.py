"""Points + cash flash purchases after the press: the points taken aside at the press are spent when the
order's cash is paid, or come back — with the unit and the buyer's count — when the order is cancelled or its
reservation ends unpaid. Each move is one conditional UPDATE on the purchase's state (``reserved`` →
``paid`` or ``returned``), so however often or concurrently an order is cancelled, its points come back
once. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from orders.models import Order
from promotions.flash.models import FlashBuyer, FlashPurchase, FlashSale, PurchaseState
from promotions.points.models import PointsKind
from promotions.points.services import earn

PURCHASE_TABLE = cast(Table, FlashPurchase.__table__)


def mark_paid(session: Session, orders: Sequence[Order]) -> None:
    """The cash of these orders came: their reserved points are spent (``reserved`` → ``paid``)."""
    ids = [order.id for order in orders]
    reserved = select(FlashPurchase.id).where(
        FlashPurchase.order_id.in_(ids), FlashPurchase.state == PurchaseState.RESERVED
    )
    if not ids or session.scalar(reserved.limit(1)) is None:  # most paid orders are no flash purchase
        return
    session.execute(
        update(FlashPurchase)
        .where(FlashPurchase.order_id.in_(ids), FlashPurchase.state == PurchaseState.RESERVED)
        .values(state=PurchaseState.PAID)
        .execution_options(synchronize_session=False)
    )


def give_back_unpaid(session: Session, orders: Sequence[Order], now: datetime) -> int:
    """These orders were cancelled unpaid: each reserved purchase's points go back to the buyer (valid
    anew), its unit back to the sale and the buyer's count down by one. Returns the purchases given back."""
    ids = sorted(order.id for order in orders)
    reserved = select(FlashPurchase.id).where(
        FlashPurchase.order_id.in_(ids), FlashPurchase.state == PurchaseState.RESERVED
    )
    if not ids or session.scalar(reserved.limit(1)) is None:  # most cancelled orders are no flash purchase
        return 0
    rows = session.execute(
        update(PURCHASE_TABLE)
        .where(PURCHASE_TABLE.c.order_id.in_(ids), PURCHASE_TABLE.c.state == PurchaseState.RESERVED.value)
        .values(state=PurchaseState.RETURNED.value)
        .returning(
            PURCHASE_TABLE.c.id, PURCHASE_TABLE.c.sale_id, PURCHASE_TABLE.c.user_id, PURCHASE_TABLE.c.points
        )
    ).all()
    for purchase_id, sale_id, user_id, points in sorted(rows):
        earn(session, user_id, points, "flash", purchase_id, now, kind=PointsKind.RETURNED)
        session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale_id, FlashSale.sold > 0)
            .values(sold=FlashSale.sold - 1)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(FlashBuyer)
            .where(FlashBuyer.sale_id == sale_id, FlashBuyer.user_id == user_id, FlashBuyer.bought > 0)
            .values(bought=FlashBuyer.bought - 1)
            .execution_options(synchronize_session=False)
        )
    return len(rows)
