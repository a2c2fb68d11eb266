"""The producer's workbench asks about batches (see ``catalog.signals``): lots near their best-before date
with stock still unsold, and lots recalled lately."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.signals import Urgency, WorkbenchTask, capped_count_of
from core.clock import shanghai_date
from core.db import utcnow
from core.urls import path_for
from traceability.models import Batch, BatchStatus

#: A recall stays on the workbench this long, while orders and deliveries that drew from it are handled.
RECENT_RECALL_DAYS = 30
#: Near best-before, when the help-sell list's setting (``WARNING_EXPIRY_DAYS``) is not configured.
NEAR_BEST_BEFORE_DAYS = 10


def near_best_before(producer_ids: list[int]) -> Select[Any]:
    """Active batches of ``producer_ids`` with units unsold whose best-before date is today or within the
    help-sell list's window (``WARNING_EXPIRY_DAYS``), soonest first (the batch ids)."""
    today = shanghai_date()
    days = int(current_app.config.get("WARNING_EXPIRY_DAYS", NEAR_BEST_BEFORE_DAYS))
    return (
        select(Batch.id)
        .where(
            Batch.producer_id.in_(producer_ids),
            Batch.status == BatchStatus.ACTIVE,
            Batch.quantity_available > 0,
            Batch.best_before >= today,
            Batch.best_before <= today + timedelta(days=days),
        )
        .order_by(Batch.best_before, Batch.id)
    )


def recent_recalls(producer_ids: list[int]) -> Select[Any]:
    """Batches of ``producer_ids`` recalled within ``RECENT_RECALL_DAYS``, newest first (the batch ids)."""
    since = utcnow() - timedelta(days=RECENT_RECALL_DAYS)
    return (
        select(Batch.id)
        .where(
            Batch.producer_id.in_(producer_ids),
            Batch.status == BatchStatus.RECALLED,
            Batch.recalled_at >= since,
        )
        .order_by(Batch.recalled_at.desc(), Batch.id.desc())
    )


def workbench_tasks(sender: Session, producer_ids: list[int], **_extra: Any) -> list[WorkbenchTask]:
    """Receiver of ``collect_workbench_tasks``: the batch cards, counted in one statement (each count capped);
    one batch leads to its own page, several to the batch list."""
    near, recalled = near_best_before(producer_ids), recent_recalls(producer_ids)
    near_count, first_near, recalled_count, first_recalled = sender.execute(
        select(
            capped_count_of(near),
            near.limit(1).scalar_subquery(),
            capped_count_of(recalled),
            recalled.limit(1).scalar_subquery(),
        )
    ).one()

    def batch_page(count: int, batch_id: int | None) -> str:
        if count == 1 and batch_id is not None:
            return path_for("batches.detail", batch_id=batch_id)
        return path_for("batches.index")

    return [
        WorkbenchTask(
            kind="recalls",
            label=_("Recalls"),
            count=int(recalled_count or 0),
            href=batch_page(int(recalled_count or 0), first_recalled),
            urgency=Urgency.SAFETY,
        ),
        WorkbenchTask(
            kind="batches_near_best_before",
            label=_("Sell soon"),
            count=int(near_count or 0),
            href=batch_page(int(near_count or 0), first_near),
            urgency=Urgency.DEADLINE,
        ),
    ]
