"""Recording quality samples and their results; a failed result holds the batch and every batch made from it.

Only the reviewers of the batch's county and administrators record samples, never someone who acts for the
producer. The producer's members read their samples. A result is recorded once (at once or later); a re-test
is a new sample, and a passed re-test lets the reviewer release the holds a failed one placed. Every step is
audited; the services flush but never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.producers.models import ProducerMember
from catalog.products.certified import county_reviewers
from core.access import can_review
from core.audit import services as audit
from core.db import utcnow
from core.models import User
from core.notifications.services import tell
from core.pagination import Page, paginate
from core.urls import path_for
from oversight.sampling.errors import (
    NotCountySampler,
    NothingToRelease,
    ResultAlreadyRecorded,
    ResultRequired,
)
from oversight.sampling.models import QualitySample, SampleResult
from oversight.standing.services import refresh as refresh_standing
from traceability.holds.models import BatchHold, HoldReason
from traceability.holds.services import open_holds, place_hold, release_hold
from traceability.models import Batch
from traceability.processing.services import descendants

PER_PAGE = 20

SAMPLE_FAILED = (
    _l("Quality sample of batch %(lot)s failed"),
    _l(
        "The sample of batch %(lot)s of %(product)s tested by %(lab)s failed (%(items)s). The batch and "
        "every "
        "batch made from it are kept off sale; the county office may order a recall."
    ),
)


@dataclass(frozen=True)
class SampleInput:
    """What a reviewer writes down when a sample is taken (``result`` pending unless known at once)."""

    sampled_at: datetime
    place: str
    sampled_by: str
    lab: str
    items: list[str] = field(default_factory=list)
    result: SampleResult = SampleResult.PENDING
    note: str = ""


def may_record(user: User, batch: Batch) -> bool:
    """Reviewers of the batch's county and administrators, never a member of its producer."""
    return can_review(user, batch.producer.county) and not is_member(user, batch.producer)


def may_view(user: User, sample: QualitySample) -> bool:
    """Those who record samples of its batch, and the producer's own members (read only)."""
    return may_record(user, sample.batch) or is_member(user, sample.producer)


def record_sample(
    session: Session, user: User, batch: Batch, data: SampleInput, report_key: str | None = None
) -> QualitySample:
    """Record a sample of ``batch`` (and its result when already known: see :func:`record_result`).

    Raises :class:`NotCountySampler`. Audited. Does not commit.
    """
    if not may_record(user, batch):
        raise NotCountySampler()
    sample = QualitySample(
        batch_id=batch.id,
        producer_id=batch.producer_id,
        county_id=batch.producer.county_id,
        sampled_at=data.sampled_at,
        place=data.place[:200],
        sampled_by=data.sampled_by[:120],
        lab=data.lab[:120],
        items=list(data.items),
        report_key=report_key,
        result=SampleResult.PENDING,
        recorded_by_id=user.id,
    )
    session.add(sample)
    session.flush()
    audit.record(
        session,
        user,
        "sample.record",
        "quality_sample",
        sample.id,
        after={"batch": batch.id, "lab": sample.lab, "items": sample.items, "report": bool(report_key)},
        region_code=batch.producer.county.code,
    )
    if data.result != SampleResult.PENDING:
        record_result(session, user, sample, data.result, data.note)
    return sample


def record_result(
    session: Session, user: User, sample: QualitySample, result: SampleResult, note: str = ""
) -> list[BatchHold]:
    """Record a pending sample's result; returns the holds a failed one placed (on the batch and every batch
    made from it, at once). The trace page's version moves; a failure is told once to the producer's members
    and the county's other reviewers (the holds announce nothing of their own) and counts against its
    standing.

    Raises :class:`NotCountySampler`, :class:`ResultRequired`, :class:`ResultAlreadyRecorded`. Audited. Does
    not commit.
    """
    batch = sample.batch
    if not may_record(user, batch):
        raise NotCountySampler()
    if result == SampleResult.PENDING:
        raise ResultRequired()
    if sample.is_decided:
        raise ResultAlreadyRecorded()
    sample.result = result
    sample.result_at = utcnow()
    sample.result_by_id = user.id
    sample.result_note = (note or "").strip()[:500] or None
    # the trace page shows results: its version (traceability.trace.lookup) reads this column
    batch.findings_version = (batch.findings_version or 0) + 1
    session.flush()
    audit.record(
        session,
        user,
        "sample.result",
        "quality_sample",
        sample.id,
        before={"result": str(SampleResult.PENDING)},
        after={"result": str(result), "batch": batch.id},
        region_code=batch.producer.county.code,
        note=sample.result_note,
    )
    if result != SampleResult.FAILED:
        return []
    holds = _hold_family(session, user, sample)
    _tell_people(session, user, sample)
    refresh_standing(session, sample.producer)
    return holds


def _hold_family(session: Session, user: User, sample: QualitySample) -> list[BatchHold]:
    """Hold the sampled batch and every batch made from it (recalled ones are off sale already)."""
    batch = sample.batch
    summary = str(
        _l("Quality sample failed (%(lab)s: %(items)s).", lab=sample.lab, items="、".join(sample.items))
    )
    details = {"sample": sample.id, "sampled_batch": batch.id}
    return [
        place_hold(
            session,
            reached,
            HoldReason.QUALITY_SAMPLING,
            occurred_at=sample.sampled_at,
            place=sample.place,
            summary=summary,
            details=details,
            by=user,
            announce=False,  # the sample's own notice says it (see _tell_people)
        )
        for reached in (batch, *descendants(session, batch))
        if not reached.is_recalled
    ]


def _tell_people(session: Session, user: User, sample: QualitySample) -> None:
    """Tell the producer's active members and the county's other reviewers of the failed result, once each
    and in their language: the holds it placed announce nothing themselves, so a failed sample is one
    notice per person however many batches it held."""
    batch = sample.batch
    members = session.scalars(
        select(User)
        .join(ProducerMember, ProducerMember.user_id == User.id)
        .where(ProducerMember.producer_id == sample.producer_id, User.is_active.is_(True))
    )
    people = {person.id: person for person in (*members, *county_reviewers(session, sample.producer.county))}
    people.pop(user.id, None)  # who recorded the result knows it
    link = path_for("sampling.detail", sample_id=sample.id)
    params = {
        "lot": batch.lot_code,
        "product": batch.product.name,
        "lab": sample.lab,
        "items": "、".join(sample.items),
    }
    for person in people.values():
        tell(session, person, "quality_sample_failed", SAMPLE_FAILED, link, **params)


def sampling_holds(session: Session, sample: QualitySample) -> list[BatchHold]:
    """The open holds that failed samples of ``sample``'s batch placed (on it and on the batches made from
    it)."""
    batch = sample.batch
    return [
        hold
        for reached in (batch, *descendants(session, batch))
        if reached.is_on_hold
        for hold in open_holds(session, reached)
        if hold.reason == HoldReason.QUALITY_SAMPLING
        and (hold.details or {}).get("sampled_batch") == batch.id
    ]


def release_after_retest(session: Session, user: User, sample: QualitySample, reason: str) -> list[BatchHold]:
    """After a passed re-test, release the sampling holds of the batch (and of the batches made from it).

    Raises :class:`NotCountySampler`, :class:`NothingToRelease` (not passed, or nothing open) and whatever
    :func:`release_hold` raises (no reason). Audited by each release. Does not commit.
    """
    if not may_record(user, sample.batch):
        raise NotCountySampler()
    holds = sampling_holds(session, sample) if sample.result == SampleResult.PASSED else []
    if not holds:
        raise NothingToRelease()
    return [release_hold(session, user, hold, reason) for hold in holds]


def _listed(query: Select[Any]) -> Select[Any]:
    """Newest first."""
    return query.order_by(QualitySample.id.desc())


def reviewer_page(session: Session, county_ids: Sequence[int] | None, page: int) -> Page[QualitySample]:
    """Samples of the counties (``None``: every county, for administrators), newest first, one page."""
    query = select(QualitySample)
    if county_ids is not None:
        query = query.where(QualitySample.county_id.in_(list(county_ids) or [-1]))
    return paginate(session, _listed(query), page, PER_PAGE)


def producer_page(session: Session, producer_ids: Sequence[int], page: int) -> Page[QualitySample]:
    """Samples of the producers (a member's), newest first, one page."""
    query = select(QualitySample).where(QualitySample.producer_id.in_(list(producer_ids) or [-1]))
    return paginate(session, _listed(query), page, PER_PAGE)


def batch_history(session: Session, batch: Batch, limit: int = 10) -> list[QualitySample]:
    """The batch's newest samples (its index)."""
    query = select(QualitySample).where(QualitySample.batch_id == batch.id)
    return list(session.scalars(query.order_by(QualitySample.id.desc()).limit(limit)))
