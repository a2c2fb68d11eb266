"""The producer's workbench asks how many questions wait for an answer (see ``catalog.signals``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.questions.models import Question
from catalog.signals import Urgency, WorkbenchTask, capped_count_of, collect_workbench_tasks
from core.urls import path_for


def workbench_tasks(sender: Session, producer_ids: list[int], **_extra: Any) -> list[WorkbenchTask]:
    """Receiver of ``collect_workbench_tasks``: the producers' shown questions without an answer, one capped
    count over the index on producer, answer and hiding."""
    waiting = select(Question.id).where(
        Question.producer_id.in_(producer_ids), Question.answered_at.is_(None), Question.hidden_at.is_(None)
    )
    count = sender.scalar(select(capped_count_of(waiting)))
    return [
        WorkbenchTask(
            kind="new_questions",
            label=_("New questions"),
            count=int(count or 0),
            href=path_for("questions.index"),
            urgency=Urgency.NEWS,
        )
    ]


def connect() -> None:
    """Connect the receiver (a module-level function: connecting again is harmless)."""
    collect_workbench_tasks.connect(workbench_tasks)
