"""Releasing expired reservations: unpaid orders past ``reserved_until`` give their units back.

Runs from cron (``flask --app shop release-reservations``, every minute), so stock comes back without anyone
acting, and on access for the products a request needs: the cart and checkout pages release what holds the
cart's products, and adding to the cart or placing an order that finds a product short releases what holds
that product and tries again. Paid orders are never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.i18n import format_fen, in_language_of
from core.notifications.services import notify
from core.numbers import readable_number
from core.transactions import claim_write_lock
from core.urls import path_for
from orders.cancellation import give_back
from orders.models import (
    Checkout,
    Order,
    OrderLine,
    OrderStatus,
)
from orders.signals import orders_cancelled


def _expired_orders(session: Session, now: datetime, product_ids: Sequence[int] | None) -> list[int]:
    """Ids of unpaid orders whose checkout's reservation ended before ``now`` (holding one of
    ``product_ids``, when given)."""
    query = (
        select(Order.id)
        .join(Order.checkout)
        .where(Order.status == OrderStatus.PENDING_PAYMENT, Checkout.reserved_until < now)
        .order_by(Order.id)
    )
    if product_ids is not None:
        holding = select(OrderLine.order_id).where(OrderLine.product_id.in_(product_ids))
        query = query.where(Order.id.in_(holding))
    return list(session.scalars(query))


def _notify_released(session: Session, checkout: Checkout, orders: list[Order]) -> None:
    """Tell the buyer that the unpaid orders were cancelled (in the buyer's language)."""
    buyer = checkout.buyer
    with in_language_of(buyer):
        subject = _("Order cancelled: %(number)s", number=readable_number(checkout.number))
        lines = [
            _(
                "Order %(number)s from %(producer)s (%(total)s) was not paid in time and has been cancelled; "
                "the reserved goods went back on sale.",
                number=readable_number(order.number),
                producer=order.producer.name,
                total=format_fen(order.total_fen),
            )
            for order in orders
        ]
        lines.append(_("You are welcome to order again."))
    notify(
        session,
        buyer,
        "order_cancelled",
        subject,
        "\n".join(lines),
        link=path_for("payments.pay", number=checkout.number),
        data={"checkout": checkout.number, "orders": [order.number for order in orders]},
    )


def release_expired(
    session: Session, now: datetime | None = None, product_ids: Sequence[int] | None = None
) -> int:
    """Cancel every unpaid order whose reservation ended before ``now`` and return its units to the batches
    (only the orders holding one of ``product_ids``, when given).

    Each allocation's ``returned_quantity`` records what went back; buyers are notified once per checkout.
    Orders are locked first (PostgreSQL) and re-checked, so an order paid meanwhile is left alone. Returns
    the number of orders cancelled. Does not commit.
    """
    now = now or utcnow()
    expired = _expired_orders(session, now, product_ids)
    if not expired:
        return 0
    claim_write_lock(session)
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.id.in_(expired), Order.status == OrderStatus.PENDING_PAYMENT)
            .order_by(Order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    by_checkout: dict[int, list[Order]] = defaultdict(list)
    allocations = [a for order in orders for line in order.lines for a in line.allocations]
    give_back(session, allocations)
    for order in orders:
        with in_language_of(order.buyer):
            order.cancel(_("Not paid before the reservation ended."))
        by_checkout[order.checkout_id].append(order)
    session.flush()
    orders_cancelled.send(session, orders=orders)
    for checkout_orders in by_checkout.values():
        _notify_released(session, checkout_orders[0].checkout, checkout_orders)
    return len(orders)
