"""Keeping a producer's standing and deciding on it.

- ``refresh`` assesses the producer now (:mod:`oversight.standing.assessment`) and stores score, reasons
  and recommendation on its standing row; ``refresh_all`` does it for every approved or suspended producer
  in id order, a batch at a time (``flask --app shop oversight standing``, nightly).
- ``decide`` is the county reviewer's decision: good, warned, restricted (no new listings) or suspended, with
  the reason the producer reads. Suspending suspends the producer in the catalog (its products leave the
  shop); any other level reinstates a producer this desk had suspended. Audited; the producer's members are
  told in their language.

Functions flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.producers.models import Producer, ProducerStatus
from catalog.producers.services import decide_producer
from core.access import can_review
from core.audit.services import record
from core.db import utcnow
from core.i18n import in_language_of
from core.models import User
from core.notifications.services import notify
from core.pagination import Page, paginate
from core.transactions import claim_write_lock
from core.urls import path_for
from oversight.standing.assessment import assess
from oversight.standing.errors import NotCountyReviewer, ProducerNotApproved, StandingReasonRequired
from oversight.standing.labels import standing_level_label
from oversight.standing.models import ProducerStanding, StandingLevel

REASON_MAX = 500
DECIDED_KIND = "standing.decided"
#: Producers whose standing is kept.
ASSESSED = (ProducerStatus.APPROVED, ProducerStatus.SUSPENDED)


def may_decide(user: User, producer: Producer) -> bool:
    """Whether ``user`` decides ``producer``'s standing: its county's reviewer or an administrator, never
    someone who acts for it."""
    return can_review(user, producer.county) and not is_member(user, producer)


def standing_of(session: Session, producer_id: int) -> ProducerStanding | None:
    """The producer's standing row, if it was ever assessed."""
    return session.scalar(select(ProducerStanding).where(ProducerStanding.producer_id == producer_id))


def refresh(session: Session, producer: Producer, *, now: datetime | None = None) -> ProducerStanding:
    """Assess ``producer`` now and store the score, reasons and recommendation (the decided level stays).
    Does not commit."""
    moment = now or utcnow()
    assessment = assess(session, producer, moment)
    standing = standing_of(session, producer.id)
    if standing is None:
        standing = ProducerStanding(producer=producer, level=StandingLevel.GOOD)
        session.add(standing)
    standing.county_id = producer.county_id
    standing.score = assessment.score
    standing.reasons = [reason.as_json() for reason in assessment.reasons]
    standing.recommended = assessment.recommended
    standing.assessed_at = moment
    session.flush()
    return standing


def producers_to_assess(session: Session, after_id: int, limit: int) -> Sequence[Producer]:
    """The next ``limit`` approved or suspended producers with an id above ``after_id``."""
    query = (
        select(Producer)
        .where(Producer.id > after_id, Producer.status.in_(ASSESSED))
        .order_by(Producer.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def decide(
    session: Session,
    reviewer: User,
    producer: Producer,
    level: StandingLevel,
    reason: str | None,
) -> ProducerStanding:
    """The county reviewer decides the producer's standing, with the reason its members read.

    Raises :class:`NotCountyReviewer`, :class:`ProducerNotApproved` and :class:`StandingReasonRequired` (any
    level but good needs one). Suspending suspends the producer in the catalog; leaving suspension reinstates
    it. Audited; the producer's members are told. Does not commit.
    """
    if not may_decide(reviewer, producer):
        raise NotCountyReviewer()
    reason = (reason or "").strip() or None
    if (level is not StandingLevel.GOOD and reason is None) or (
        reason is not None and len(reason) > REASON_MAX
    ):
        raise StandingReasonRequired(max=REASON_MAX)
    claim_write_lock(session)
    session.refresh(producer)
    if producer.status not in ASSESSED:
        raise ProducerNotApproved()
    standing = standing_of(session, producer.id) or refresh(session, producer)
    before = {"level": standing.level.value, "reason": standing.level_reason}
    if level is StandingLevel.SUSPENDED and producer.status is ProducerStatus.APPROVED:
        decide_producer(session, reviewer, producer, "suspend", reason)
    elif (
        level is not StandingLevel.SUSPENDED
        and standing.level is StandingLevel.SUSPENDED
        and producer.status is ProducerStatus.SUSPENDED
    ):
        decide_producer(session, reviewer, producer, "reinstate", reason)
    standing.level, standing.level_reason = level, reason
    standing.decided_at, standing.decided_by_id = utcnow(), reviewer.id
    session.flush()
    record(
        session,
        reviewer,
        f"standing.{level.value}",
        "producer",
        producer.id,
        before=before,
        after={"level": level.value, "reason": reason, "score": standing.score},
        region_code=producer.county.code,
        note=reason,
    )
    _tell_members(session, producer, standing)
    return standing


def _tell_members(session: Session, producer: Producer, standing: ProducerStanding) -> None:
    """Tell each active member of the producer the decided level and reason, in their language."""
    for member in producer.members:
        if not member.user.is_active:
            continue
        with in_language_of(member.user):
            notify(
                session,
                member.user,
                DECIDED_KIND,
                _(
                    "Standing of %(producer)s: %(level)s",
                    producer=producer.name,
                    level=standing_level_label(standing.level),
                ),
                _(
                    "The county office decided the standing of %(producer)s: %(level)s. %(reason)s",
                    producer=producer.name,
                    level=standing_level_label(standing.level),
                    reason=standing.level_reason or "",
                ),
                link=path_for("standing.producer_page", producer_id=producer.id),
                data={"producer": producer.id},
            )


def restriction_reason(session: Session, producer_id: int) -> str | None:
    """Why the producer may not list new products (restricted or suspended by its county office), or
    ``None``."""
    row = session.execute(
        select(ProducerStanding.level, ProducerStanding.level_reason).where(
            ProducerStanding.producer_id == producer_id
        )
    ).first()
    if row is None or row[0] not in (StandingLevel.RESTRICTED, StandingLevel.SUSPENDED):
        return None
    return str(row[1] or standing_level_label(row[0]))


def desk_query(county_ids: list[int] | None) -> Select[ProducerStanding]:
    """Standings of the given counties (``None``: all), lowest score first."""
    query = select(ProducerStanding).order_by(ProducerStanding.score, ProducerStanding.id)
    if county_ids is not None:
        query = query.where(ProducerStanding.county_id.in_(county_ids))
    return query


def desk_page(session: Session, county_ids: list[int] | None, page: int) -> Page[ProducerStanding]:
    """One page of the desk."""
    return paginate(session, desk_query(county_ids), page)
