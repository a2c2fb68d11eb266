"""The producer's workbench asks what waits in the order queue (see ``catalog.signals``), without the catalog
importing orders: orders to ship, cash collected on delivery to confirm, and ratings of the last week."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.signals import Urgency, WorkbenchTask, capped_count_of
from core.db import utcnow
from core.urls import path_for
from orders.fulfilment.services import QueueTab, cash_to_confirm, to_ship
from orders.models import Order, Rating

#: Ratings this recent count as new on the workbench.
NEW_RATING_DAYS = 7


def workbench_tasks(sender: Session, producer_ids: list[int], **_extra: Any) -> list[WorkbenchTask]:
    """Receiver of ``collect_workbench_tasks``: the order queue's cards, counted in one statement over the
    producers' own orders (by ``producer_id``) and ratings, each count capped."""
    orders = select(Order.id).join(Order.checkout).where(Order.producer_id.in_(producer_ids))
    since = utcnow() - timedelta(days=NEW_RATING_DAYS)
    ratings = select(Rating.id).where(Rating.producer_id.in_(producer_ids), Rating.created_at >= since)
    shipping, cash, rated = sender.execute(
        select(
            capped_count_of(orders.where(to_ship())),
            capped_count_of(orders.where(cash_to_confirm())),
            capped_count_of(ratings),
        )
    ).one()
    queue = "producer_orders.index"
    return [
        WorkbenchTask(
            kind="orders_to_ship",
            label=_("To ship"),
            count=int(shipping or 0),
            href=path_for(queue, status=QueueTab.TO_SHIP.value),
            urgency=Urgency.DEADLINE,
        ),
        WorkbenchTask(
            kind="cash_to_confirm",
            label=_("Cash to confirm"),
            count=int(cash or 0),
            href=path_for(queue, status=QueueTab.TO_CONFIRM.value),
            urgency=Urgency.MONEY,
        ),
        WorkbenchTask(
            kind="new_ratings",
            label=_("New ratings"),
            count=int(rated or 0),
            # where the producer reads and answers them
            href=path_for("producer_ratings.index"),
            urgency=Urgency.NEWS,
        ),
    ]
