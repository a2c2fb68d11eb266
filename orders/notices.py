"""What the order queue tells producers: a paid order to ship, and a new rating of their goods, in each
member's own language, in the inbox (and by e-mail where the member has it on).

Functions flush but never commit: a message exists only if the payment or the rating commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.i18n import format_fen, in_language_of
from core.notifications.services import notify
from core.urls import path_for
from orders.channel import Channel
from orders.models import Order, Rating

PAID_KIND = "orders.paid_to_ship"
RATED_KIND = "orders.rated"
#: Orders handed over where they were sold: nothing to ship, nobody to tell.
HANDED_OVER = frozenset({Channel.COUNTER, Channel.FAIR})


def tell_paid_orders(session: Session, orders: list[Order]) -> None:
    """Tell the members of each order's producer that it is paid and waits to be shipped (orders sold and
    handed over at a counter or fair excepted)."""
    for order in orders:
        if order.channel in HANDED_OVER:
            continue
        link = path_for("producer_orders.detail", number=order.number)
        for member in order.producer.members:
            with in_language_of(member.user):
                notify(
                    session,
                    member.user,
                    PAID_KIND,
                    _("New order %(number)s to ship", number=order.number),
                    _(
                        "Order %(number)s (%(amount)s) is paid. Pack it and ship it from the lots it was "
                        "allocated.",
                        number=order.number,
                        amount=format_fen(order.total_fen),
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
