"""The county office handles complaints: acknowledge, then decide with an outcome and a reason.

- Only the reviewers of the producer's county and administrators see and handle a complaint, never someone
  who acts for the producer it is about (a reviewer who is also a member of that producer included).
- ``acknowledge`` moves ``received → acknowledged``; ``decide`` moves either to ``decided`` (deciding a
  received complaint acknowledges it at the same moment). A decision is final.
- ``recall`` records the outcome; the recall itself is the traceability package's recall of the lot
  (the desk links to it). ``suspension`` records the outcome only.
- A decision that upholds the complaint (any outcome but ``unfounded``) earns a signed-in reporter the points
  the platform set for that assistance action (:mod:`promotions.points.actions`, once per complaint).
- Both steps lock the row first (two reviewers at once: one wins, the other is told it moved on), are audited
  and tell the reporter when signed in (anonymous reporters read it through their follow link). A decision
  is also told to each active member of the producer, with its kind, outcome and reason: never who reported
  it or their contact.

Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.access import is_member
from core.access import can_review
from core.audit.services import AuditEntry, record
from core.db import utcnow
from core.i18n import in_language_of
from core.models import User
from core.notifications.services import notify
from core.pagination import Page, paginate
from core.transactions import claim_write_lock
from core.urls import path_for
from oversight.complaints.errors import (
    AlreadyAcknowledged,
    AlreadyDecided,
    NotCountyReviewer,
    OutcomeReasonRequired,
)
from oversight.complaints.labels import complaint_kind_label, complaint_outcome_label
from oversight.complaints.models import Complaint, ComplaintOutcome, ComplaintStatus
from promotions.points.actions import award
from promotions.points.models import AssistanceAction

ACKNOWLEDGED_KIND = "complaint.acknowledged"
DECIDED_KIND = "complaint.decided"
PRODUCER_DECIDED_KIND = "complaint.decided_about_you"
REASON_MAX = 1000
#: The desk's tabs.
TABS = ("open", "escalated", "decided")


def may_handle(user: User, complaint: Complaint) -> bool:
    """Whether ``user`` sees and handles ``complaint``: its county's reviewer or an administrator, never
    someone who acts for the producer it is about."""
    return can_review(user, complaint.county) and not is_member(user, complaint.producer)


def _lock(session: Session, complaint: Complaint) -> Complaint:
    """Lock the complaint's row for this transaction and read it again."""
    claim_write_lock(session)
    session.execute(select(Complaint.id).where(Complaint.id == complaint.id).with_for_update())
    session.refresh(complaint)
    return complaint


def _audit(
    session: Session, actor: User, action: str, complaint: Complaint, before: dict[str, object]
) -> None:
    record(
        session,
        actor,
        f"complaint.{action}",
        "complaint",
        complaint.id,
        before=before,
        after=complaint.audit_view(),
        region_code=complaint.county.code,
        note=complaint.decision_reason if action == "decide" else None,
    )


def _tell_reporter(session: Session, complaint: Complaint, kind: str) -> None:
    reporter = complaint.reporter
    if reporter is None or not reporter.is_active:
        return
    with in_language_of(reporter):
        if kind == ACKNOWLEDGED_KIND:
            subject = _("Complaint %(reference)s acknowledged", reference=complaint.reference)
            body = _(
                "The county office has taken up your complaint and will decide it by %(date)s.",
                date=complaint.decide_due_on.isoformat(),
            )
        else:
            subject = _("Complaint %(reference)s decided", reference=complaint.reference)
            body = _(
                "The county office decided your complaint: %(outcome)s. %(reason)s",
                outcome=outcome_words(complaint.outcome),
                reason=complaint.decision_reason or "",
            )
        notify(
            session,
            reporter,
            kind,
            subject,
            body,
            link=path_for("complaints.mine_detail", complaint_id=complaint.id),
            data={"complaint": complaint.id},
        )


def _tell_producer(session: Session, complaint: Complaint) -> None:
    """Tell each active member of the producer how a complaint about them was decided, in their language:
    the kind, the product or order it was about, the outcome and the reason; nothing about the reporter."""
    about = complaint.product.name if complaint.product is not None else complaint.producer.name
    for member in complaint.producer.members:
        if not member.user.is_active:
            continue
        with in_language_of(member.user):
            notify(
                session,
                member.user,
                PRODUCER_DECIDED_KIND,
                _("A complaint about %(about)s was decided", about=about),
                _(
                    "The county office decided complaint %(reference)s (%(kind)s): %(outcome)s. %(reason)s",
                    reference=complaint.reference,
                    kind=complaint_kind_label(complaint.kind),
                    outcome=outcome_words(complaint.outcome),
                    reason=complaint.decision_reason or "",
                ),
                link=path_for("producer.dashboard"),
                data={"complaint": complaint.id},
            )


def outcome_words(outcome: ComplaintOutcome | None) -> str:
    """An outcome in the current language (for notifications)."""
    return complaint_outcome_label(outcome) if outcome is not None else ""


def acknowledge(
    session: Session, reviewer: User, complaint: Complaint, *, now: datetime | None = None
) -> Complaint:
    """The county office acknowledges a received complaint: the decision is due next.

    Raises :class:`NotCountyReviewer` and :class:`AlreadyAcknowledged`. Audited; the reporter is told.
    Does not commit.
    """
    if not may_handle(reviewer, complaint):
        raise NotCountyReviewer()
    complaint = _lock(session, complaint)
    if complaint.status is not ComplaintStatus.RECEIVED:
        raise AlreadyAcknowledged()
    before = complaint.audit_view()
    complaint.status = ComplaintStatus.ACKNOWLEDGED
    complaint.acknowledged_at, complaint.acknowledged_by_id = now or utcnow(), reviewer.id
    complaint.next_due_at = complaint.decide_due_at
    session.flush()
    _audit(session, reviewer, "acknowledge", complaint, before)
    _tell_reporter(session, complaint, ACKNOWLEDGED_KIND)
    return complaint


def decide(
    session: Session,
    reviewer: User,
    complaint: Complaint,
    outcome: ComplaintOutcome,
    reason: str | None,
    *,
    now: datetime | None = None,
) -> Complaint:
    """The county office decides a complaint with an outcome and the reason the reporter reads.

    Deciding a received complaint acknowledges it at the same moment. Raises :class:`NotCountyReviewer`,
    :class:`OutcomeReasonRequired` and :class:`AlreadyDecided`. Audited; the reporter and the producer's
    members are told; an upheld complaint earns a signed-in reporter its action's points. Does not commit.
    """
    if not may_handle(reviewer, complaint):
        raise NotCountyReviewer()
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise OutcomeReasonRequired(max=REASON_MAX)
    complaint = _lock(session, complaint)
    if complaint.status is ComplaintStatus.DECIDED:
        raise AlreadyDecided()
    before = complaint.audit_view()
    moment = now or utcnow()
    if complaint.acknowledged_at is None:
        complaint.acknowledged_at, complaint.acknowledged_by_id = moment, reviewer.id
    complaint.status = ComplaintStatus.DECIDED
    complaint.outcome, complaint.decision_reason = outcome, reason
    complaint.decided_at, complaint.decided_by_id = moment, reviewer.id
    complaint.handled_on_time = (
        complaint.acknowledged_at < complaint.acknowledge_due_at and moment < complaint.decide_due_at
    )
    complaint.next_due_at = None
    session.flush()
    _audit(session, reviewer, "decide", complaint, before)
    _tell_reporter(session, complaint, DECIDED_KIND)
    _tell_producer(session, complaint)
    if outcome is not ComplaintOutcome.UNFOUNDED and complaint.reporter_id is not None:
        award(session, AssistanceAction.COMPLAINT_UPHELD, complaint.reporter_id, complaint.id, moment)
    return complaint


def desk_query(county_ids: list[int] | None, tab: str) -> Select[Complaint]:
    """The desk's complaints: open ones by their next deadline (escalated ones only on that tab), decided
    ones newest decision first; ``county_ids`` None means every county (administrators)."""
    query = select(Complaint)
    if county_ids is not None:
        query = query.where(Complaint.county_id.in_(county_ids))
    if tab == "decided":
        return query.where(Complaint.next_due_at.is_(None)).order_by(
            Complaint.decided_at.desc(), Complaint.id.desc()
        )
    query = query.where(Complaint.next_due_at.is_not(None))
    if tab == "escalated":
        query = query.where(Complaint.escalated_at.is_not(None))
    return query.order_by(Complaint.next_due_at, Complaint.id)


def desk_page(session: Session, county_ids: list[int] | None, tab: str, page: int) -> Page[Complaint]:
    """One page of :func:`desk_query`."""
    return paginate(session, desk_query(county_ids, tab if tab in TABS else "open"), page)


def history(session: Session, complaint: Complaint) -> list[AuditEntry]:
    """The complaint's audit entries, newest first."""
    query = select(AuditEntry).where(
        AuditEntry.subject_type == "complaint", AuditEntry.subject_id == complaint.id
    )
    return list(session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))
