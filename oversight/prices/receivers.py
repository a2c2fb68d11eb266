"""Reactions to the catalog and procurement: a price change is kept and checked; procurement's question "any
objections to these line prices?" is answered from the reference prices; the producer's workbench shows
their active price alerts.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from catalog.signals import (
    Urgency,
    WorkbenchTask,
    capped_count_of,
    collect_workbench_tasks,
    price_changed,
)
from core.db import utcnow
from core.models import User
from core.urls import path_for
from oversight.prices.alerts import Thresholds, check_product, objections
from oversight.prices.history import record_change
from oversight.prices.models import ACTIVE_STATUSES, PriceAlert
from procurement.signals import collect_price_objections


def keep_price(
    sender: Session, product: Product, old_fen: int | None, new_fen: int, user: User | None, **_extra: Any
) -> None:
    """Receiver of ``price_changed``: record the change and check the product's alerts, in the changing
    transaction (with the configured thresholds; the defaults outside an application context)."""
    now = utcnow()
    record_change(sender, product, old_fen, new_fen, user, now)
    thresholds = Thresholds.from_config(current_app.config if has_app_context() else {})
    check_product(sender, product, thresholds, user, now)


def answer_objections(sender: Session, lines: list[tuple[Product, int]], **_extra: Any) -> dict[int, int]:
    """Receiver of ``collect_price_objections``: the lines priced above their product's reference."""
    return objections(sender, lines)


def workbench_tasks(sender: Session, producer_ids: list[int], **_extra: Any) -> list[WorkbenchTask]:
    """Receiver of ``collect_workbench_tasks``: the producers' active price alerts, counted (capped) along
    the producer index; one alert leads to its page, several to the producer's list."""
    query = (
        select(PriceAlert.id)
        .where(PriceAlert.producer_id.in_(producer_ids), PriceAlert.status.in_(ACTIVE_STATUSES))
        .order_by(PriceAlert.id.desc())
    )
    count, first = sender.execute(select(capped_count_of(query), query.limit(1).scalar_subquery())).one()
    if not count:
        return []
    href = path_for("prices.detail", alert_id=first) if count == 1 else path_for("prices.mine")
    return [
        WorkbenchTask(
            kind="price_alerts",
            label=_("Price alerts"),
            count=int(count),
            href=href,
            urgency=Urgency.DEADLINE,
        )
    ]


def connect() -> None:
    """Connect the receivers (from ``oversight.init_app``)."""
    price_changed.connect(keep_price)
    collect_price_objections.connect(answer_objections)
    collect_workbench_tasks.connect(workbench_tasks)
