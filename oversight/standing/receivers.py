"""Reactions to the catalog: a restricted or suspended producer lists nothing new, and its workbench shows
the county office's decision (``catalog.signals``), without the catalog importing oversight."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.signals import Urgency, WorkbenchTask, check_new_listing, collect_workbench_tasks
from core.urls import path_for
from oversight.standing.models import ProducerStanding, StandingLevel
from oversight.standing.services import restriction_reason


def refuse_new_listing(sender: Session, producer_id: int, **_extra: Any) -> str | None:
    """Receiver of ``check_new_listing``: the county office's reason when it restricted or suspended the
    producer, else ``None`` (one indexed row)."""
    return restriction_reason(sender, producer_id)


def workbench_tasks(sender: Session, producer_ids: list[int], **_extra: Any) -> list[WorkbenchTask]:
    """Receiver of ``collect_workbench_tasks``: a card while the county office warned, restricted or
    suspended one of the producers (their standing rows only)."""
    rows = sender.execute(
        select(ProducerStanding.producer_id, ProducerStanding.level)
        .where(
            ProducerStanding.producer_id.in_(producer_ids),
            ProducerStanding.level != StandingLevel.GOOD,
        )
        .order_by(ProducerStanding.producer_id)
    ).all()
    if not rows:
        return []
    worst = max((StandingLevel(level) for _id, level in rows), key=lambda level: level.rank)
    return [
        WorkbenchTask(
            kind="standing",
            label=_("Standing decision"),
            count=len(rows),
            href=path_for("standing.producer_page", producer_id=rows[0][0]),
            urgency=Urgency.DEADLINE if worst.rank >= StandingLevel.RESTRICTED.rank else Urgency.NEWS,
        )
    ]


def connect() -> None:
    """Connect the receivers (from ``oversight.init_app``)."""
    check_new_listing.connect(refuse_new_listing)
    collect_workbench_tasks.connect(workbench_tasks)
