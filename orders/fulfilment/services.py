"""Fulfilment: producer queue and packing list, shipping, receipt, completion, ratings, recall notices.

Services take the session and the acting user, raise named domain errors, flush but never commit. Shipping
records a shipping event on every batch the order drew from, so each unit's QR trail reaches the buyer's
district (never the buyer's name or phone: the trace page is public).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.access import is_member, producers_of
from core.db import utcnow
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.i18n import in_language_of
from core.models import User
from core.notifications.services import notify
from core.pagination import Page, paginate
from core.urls import path_for
from orders.channel import Channel
from orders.collection import Collector, methods_collected_by
from orders.models import (
    Checkout,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Rating,
)
from orders.notices import tell_new_rating
from orders.reviews import services as reviews
from orders.signals import rating_recorded
from traceability.batches.services import record_event
from traceability.errors import BatchRecalled
from traceability.models import Batch, EventKind

MAX_SHIPPING_FIELD = 60
MAX_COMMENT = 500
SHIPPED_KIND = "order_shipped"


class OrderNotFound(NotFound):
    """The order does not exist, or is not the acting buyer's (never reveal other people's orders)."""

    message = _l("No such order.")


class NotOrderProducer(PermissionDenied):
    """Only members of the order's producer fulfil it."""

    message = _l("Only members of the producer of this order can do this.")


class ShippingDetailsInvalid(DomainError):
    """Shipping needs a carrier and a tracking number."""

    message = _l("Enter the carrier and the tracking number (up to 60 characters each).")


class ShipsWithItsGroup(DomainError):
    """A community group-buying order travels in its round's one delivery to the leader's pick-up point."""

    status = 409
    message = _l(
        "This order belongs to a community group order: ship it with the group's one delivery to the pick-up"
        " point."
    )


class RatingNotAllowed(DomainError):
    """Ratings come after the buyer has received the goods."""

    status = 409
    message = _l("You can rate an order only after you have confirmed receipt.")


class AlreadyRated(DomainError):
    """Each order line is rated once."""

    status = 409
    message = _l("You have already rated this product for this order.")


class InvalidRating(DomainError):
    """Stars go from 1 to 5; comments are short."""

    message = _l("Give 1 to 5 stars and keep the comment under 500 characters.")


class QueueTab(enum.StrEnum):
    """The producer's order queue filters."""

    TO_CONFIRM = "to_confirm"  # cash collected on delivery, to confirm (the platform confirms transfers)
    TO_SHIP = "to_ship"
    SHIPPED = "shipped"
    ALL = "all"


@dataclass(frozen=True)
class PackingLine:
    """One line of a packing list: what to pack and which lots it comes from."""

    line: OrderLine
    quantity: int
    lots: list[tuple[Batch, int]]


def order_path(order: Order) -> str:
    """The buyer's page of ``order`` as a path (usable outside a request, e.g. in notifications)."""
    return path_for("orders.detail", number=order.number)


def find_order(session: Session, number: str) -> Order | None:
    """The order numbered ``number``, as typed or read over the phone (with or without the spaces)."""
    digits = "".join(number.split())
    grouped = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    candidates = list(dict.fromkeys([number, digits, grouped]))
    return session.scalars(select(Order).where(Order.number.in_(candidates))).first()


def buyer_order(session: Session, buyer: User, number: str) -> Order:
    """The buyer's own order numbered ``number``; raises :class:`OrderNotFound` for anyone else's."""
    order = find_order(session, number)
    if order is None or not buyer.is_authenticated or order.buyer_id != buyer.id:
        raise OrderNotFound()
    return order


def buyer_orders(session: Session, buyer: User, page: int = 1, per_page: int = 20) -> Page[Order]:
    """One page of the buyer's orders, newest first."""
    query = select(Order).where(Order.buyer_id == buyer.id).order_by(Order.placed_at.desc(), Order.id.desc())
    return paginate(session, query, page, per_page)


def ensure_order_member(user: User, order: Order) -> None:
    """Raise :class:`NotOrderProducer` unless ``user`` acts for the order's producer."""
    if not (user.is_authenticated and is_member(user, order.producer)):
        raise NotOrderProducer()


def _queue_base(user: User) -> Select[Any]:
    ids = [p.id for p in producers_of(user)]
    return select(Order).join(Order.checkout).where(Order.producer_id.in_(ids))


def producer_queue(
    session: Session, user: User, tab: QueueTab = QueueTab.TO_SHIP, page: int = 1, per_page: int = 20
) -> Page[Order]:
    """One page of the orders of the producers ``user`` acts for, filtered by ``tab``.

    Work queues list the oldest first (first in, first out); shipped and all list the newest first.
    """
    query = _queue_base(user)
    if tab is QueueTab.TO_CONFIRM:
        query = query.where(cash_to_confirm()).order_by(Order.placed_at, Order.id)
    elif tab is QueueTab.TO_SHIP:
        query = query.where(to_ship()).order_by(Order.paid_at, Order.placed_at, Order.id)
    elif tab is QueueTab.SHIPPED:
        query = query.where(Order.status == OrderStatus.SHIPPED).order_by(
            Order.shipped_at.desc(), Order.id.desc()
        )
    else:
        query = query.order_by(Order.placed_at.desc(), Order.id.desc())
    return paginate(session, query, page, per_page)


def cash_to_confirm() -> ColumnElement[bool]:
    """Money the producer collects itself and has not confirmed yet: cash on delivery shipped but not
    confirmed collected. (Bank transfers reach the platform's account; the platform confirms them.)"""
    return and_(
        Order.status.in_([OrderStatus.SHIPPED, OrderStatus.RECEIVED]),
        Checkout.method.in_(methods_collected_by(Collector.PRODUCER)),
        Order.paid_at.is_(None),
    )


def to_ship() -> ColumnElement[bool]:
    """Paid orders, and cash-on-delivery orders not shipped yet."""
    return or_(
        Order.status == OrderStatus.PAID,
        and_(Order.status == OrderStatus.PENDING_PAYMENT, Checkout.method == PaymentMethod.CASH_ON_DELIVERY),
    )


def queue_counts(session: Session, user: User) -> dict[QueueTab, int]:
    """How many orders each queue tab holds (one grouped query)."""
    ids = [p.id for p in producers_of(user)]
    row = session.execute(
        select(
            func.count(Order.id),
            func.count(case((cash_to_confirm(), 1))),
            func.count(case((to_ship(), 1))),
            func.count(case((Order.status == OrderStatus.SHIPPED, 1))),
        )
        .join(Order.checkout)
        .where(Order.producer_id.in_(ids))
    ).one()
    return {
        QueueTab.ALL: row[0],
        QueueTab.TO_CONFIRM: row[1],
        QueueTab.TO_SHIP: row[2],
        QueueTab.SHIPPED: row[3],
    }


def packing_list(order: Order) -> list[PackingLine]:
    """What to pack for ``order``: each line's quantity still owed and the lots it was drawn from.

    Units given back to their batch (refunded before shipping) are left out; so are lines with none left.
    """
    packing = []
    for line in order.lines:
        lots = [
            (a.batch, a.quantity - a.returned_quantity)
            for a in line.allocations
            if a.quantity > a.returned_quantity
        ]
        if lots:
            packing.append(PackingLine(line=line, quantity=sum(q for _b, q in lots), lots=lots))
    return packing


def drawn_batches(order: Order) -> dict[Batch, int]:
    """Every batch the order still holds units of, with how many."""
    drawn: dict[Batch, int] = {}
    for item in packing_list(order):
        for batch, quantity in item.lots:
            drawn[batch] = drawn.get(batch, 0) + quantity
    return drawn


def ship_order(session: Session, user: User, order: Order, carrier: str, tracking_number: str) -> Order:
    """A producer member ships a paid (or cash-on-delivery) order: a shipping event on each batch, buyer told.

    The event names the producer, the destination district (never the recipient's name or phone), the
    carrier, the waybill (tracking number), the order number and the quantity. Raises
    :class:`NotOrderProducer`, :class:`ShipsWithItsGroup` (a group-buying order ships with its round's
    delivery), :class:`ShippingDetailsInvalid`, :class:`InvalidTransition` (not paid), :class:`BatchRecalled`
    (recalled goods never ship). Does not commit.
    """
    ensure_order_member(user, order)
    if order.channel is Channel.GROUP_BUY:
        raise ShipsWithItsGroup()
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not (0 < len(carrier) <= MAX_SHIPPING_FIELD and 0 < len(tracking_number) <= MAX_SHIPPING_FIELD):
        raise ShippingDetailsInvalid()
    if not order.awaits_shipping:
        raise InvalidTransition()
    drawn = drawn_batches(order)
    for batch in drawn:
        if batch.is_recalled:
            raise BatchRecalled(lot=batch.lot_code)
    order.mark_shipped(carrier, tracking_number)
    now = utcnow()
    producer = order.producer
    for batch, quantity in sorted(drawn.items(), key=lambda item: item[0].id):
        details = {
            "from": producer.name,
            "to": f"{order.province}{order.city}{order.district}",
            "carrier": carrier,
            "waybill": tracking_number,
            "order": order.number,
            "quantity": quantity,
        }
        record_event(
            session,
            user,
            batch,
            EventKind.SHIPPING,
            occurred_at=now,
            place=producer.location.path_name(),
            details=details,
        )
    with in_language_of(order.buyer):
        notify(
            session,
            order.buyer,
            SHIPPED_KIND,
            _("Order %(number)s has shipped", number=order.number),
            _(
                "%(producer)s shipped your order with %(carrier)s, tracking number %(tracking)s.",
                producer=producer.name,
                carrier=carrier,
                tracking=tracking_number,
            ),
            link=order_path(order),
            data={"order": order.number},
        )
    session.flush()
    return order


def confirm_receipt(session: Session, buyer: User, order: Order) -> Order:
    """The buyer confirms the goods arrived: shipped → received.

    Raises :class:`OrderNotFound` for anyone but the buyer, :class:`InvalidTransition`. Does not commit.
    """
    if not buyer.is_authenticated or order.buyer_id != buyer.id:
        raise OrderNotFound()
    order.mark_received()
    session.flush()
    return order


def complete_order(session: Session, order: Order) -> Order:
    """Close a received order: received → completed (done automatically when the buyer rates).

    Raises :class:`InvalidTransition`. Does not commit.
    """
    order.mark_completed()
    session.flush()
    return order


def rate_order_line(
    session: Session,
    buyer: User,
    line: OrderLine,
    product_stars: int,
    producer_stars: int,
    comment: str | None = None,
) -> Rating:
    """The buyer rates a product and its producer for one order line, once, after receipt.

    The first rating completes a received order; the rating joins its product's and producer's running
    totals in the same transaction, and :data:`orders.signals.rating_recorded` is sent. Raises
    :class:`OrderNotFound` (not the buyer's), :class:`InvalidRating`, :class:`RatingNotAllowed` (not
    received yet), :class:`AlreadyRated`. Does not commit.
    """
    order = line.order
    if not buyer.is_authenticated or order.buyer_id != buyer.id:
        raise OrderNotFound()
    comment = (comment or "").strip() or None
    stars_ok = all(isinstance(s, int) and 1 <= s <= 5 for s in (product_stars, producer_stars))
    if not stars_ok or (comment is not None and len(comment) > MAX_COMMENT):
        raise InvalidRating()
    if order.received_at is None or order.status not in (OrderStatus.RECEIVED, OrderStatus.COMPLETED):
        raise RatingNotAllowed()
    if session.scalar(select(Rating.id).where(Rating.line_id == line.id)) is not None:
        raise AlreadyRated()
    rating = Rating(
        line_id=line.id,
        product_id=line.product_id,
        producer_id=order.producer_id,
        user_id=buyer.id,
        product_stars=product_stars,
        producer_stars=producer_stars,
        comment=comment,
    )
    try:
        with session.begin_nested():  # two tabs submitting at once: the unique line_id decides
            session.add(rating)
    except IntegrityError:
        raise AlreadyRated() from None
    reviews.count_rating(session, rating)  # the pages' averages, in this transaction
    if order.status is OrderStatus.RECEIVED and order.paid_at is not None:
        complete_order(session, order)
    session.flush()
    tell_new_rating(session, rating, order)
    rating_recorded.send(session, rating=rating, order=order)
    return rating


def ratings_by_line(session: Session, order: Order) -> dict[int, Rating]:
    """The ratings given for the order's lines, by line id."""
    ids = [line.id for line in order.lines]
    return {r.line_id: r for r in session.scalars(select(Rating).where(Rating.line_id.in_(ids)))}


def recalled_lots(order: Order) -> list[Batch]:
    """The recalled batches the order still holds units of, by lot code."""
    return sorted((b for b in drawn_batches(order) if b.is_recalled), key=lambda b: b.lot_code)
