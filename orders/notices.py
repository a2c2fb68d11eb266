"""What the order queue tells producers: an order paid in points to ship, and a new rating of their goods,
in each member's own language, in the inbox (and by e-mail where the member has it on).

Functions flush but never commit: a message exists only if the payment or the rating commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.i18n import in_language_of
from core.notifications.services import notify
from core.urls import path_for
from orders.models import Order, Rating

PAID_KIND = "orders.paid_to_ship"
RATED_KIND = "orders.rated"


def tell_paid_orders(session: Session, orders: list[Order]) -> None:
    """Tell the members of each order's producer that it is paid and waits to be shipped: for orders paid
    without a payment page of their own (a flash sale paid in points at the press; payments tell the
    producers of the orders they take)."""
    for order in orders:
        link = path_for("producer_orders.detail", number=order.number)
        for member in order.producer.members:
            with in_language_of(member.user):
                notify(
                    session,
                    member.user,
                    PAID_KIND,
                    _("New order %(number)s to ship", number=order.number),
                    _(
                        "Order %(number)s is paid. Pack it and ship it from the lots it was allocated.",
                        number=order.number,
                    ),
                    link=link,
                    data={"order_id": order.id},
                )


def tell_new_rating(session: Session, rating: Rating, order: Order) -> None:
    """Tell the members of the rated producer about a new rating (the stars, and that a comment waits for a
    reply when there is one)."""
    link = path_for("producer_ratings.index")
    for member in order.producer.members:
        with in_language_of(member.user):
            body = _(
                "A buyer of order %(number)s gave the product %(product)s and you %(producer)s "
                "out of 5 stars.",
                number=order.number,
                product=rating.product_stars,
                producer=rating.producer_stars,
            )
            if rating.comment:
                body += " " + _("They left a comment: you can reply to it.")
            notify(
                session,
                member.user,
                RATED_KIND,
                _("New rating for order %(number)s", number=order.number),
                body,
                link=link,
                data={"rating_id": rating.id},
            )
