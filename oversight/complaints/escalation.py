"""Escalation: a complaint past the deadline of the step it waits for goes to the administrators.

Run by ``flask --app shop oversight escalate`` (cron, every few minutes). Each complaint is escalated once:
a conditional UPDATE (``escalated_at IS NULL``) marks it, and only the run whose UPDATE changed the row
audits it and tells the administrators, so two runs at once (two machines' cron), or a run repeated, never
escalate or notify twice. The command is also a singleton (``core.jobs.single_run``).

Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.audit.services import record
from core.db import utcnow
from core.i18n import in_language_of
from core.notifications.services import notify
from core.urls import path_for
from oversight.complaints.models import Complaint
from oversight.complaints.services import administrators

ESCALATED_KIND = "complaint.escalated"
#: Complaints handled per run at most (the next run takes the rest).
BATCH = 500


def escalate_overdue(session: Session, *, now: datetime | None = None, limit: int = BATCH) -> list[Complaint]:
    """Mark open complaints past their deadline as escalated; the ones this call marked.

    Audited (no actor: the platform did it); every active administrator is told of each. Does not commit.
    """
    moment = now or utcnow()
    due = (
        select(Complaint.id)
        .where(Complaint.next_due_at <= moment, Complaint.escalated_at.is_(None))
        .order_by(Complaint.next_due_at, Complaint.id)
        .limit(limit)
    )
    escalated: list[Complaint] = []
    admins = administrators(session)
    for complaint_id in list(session.scalars(due)):
        changed = session.execute(
            update(Complaint)
            .where(
                Complaint.id == complaint_id,
                Complaint.escalated_at.is_(None),
                Complaint.next_due_at <= moment,
            )
            .values(escalated_at=moment)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another run (or a decision) got there first
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:  # pragma: no cover (the UPDATE just matched it)
            continue
        session.refresh(complaint)
        escalated.append(complaint)
        record(
            session,
            None,
            "complaint.escalate",
            "complaint",
            complaint.id,
            after=complaint.audit_view(),
            region_code=complaint.county.code,
        )
        for admin in admins:
            with in_language_of(admin):
                notify(
                    session,
                    admin,
                    ESCALATED_KIND,
                    _("Complaint %(reference)s is late", reference=complaint.reference),
                    _(
                        "The complaint about %(producer)s (%(county)s) was not acknowledged in time.",
                        producer=complaint.producer.name,
                        county=complaint.county.name,
                    )
                    if complaint.acknowledged_at is None
                    else _(
                        "The complaint about %(producer)s (%(county)s) was not decided in time.",
                        producer=complaint.producer.name,
                        county=complaint.county.name,
                    ),
                    link=path_for("complaint_desk.detail", complaint_id=complaint.id),
                    data={"complaint": complaint.id},
                )
    session.flush()
    return escalated
