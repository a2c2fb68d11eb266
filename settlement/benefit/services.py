"""Benefit to households: a producer's members report, month by month, what the producer paid to the
households it brings along; the reviewer of its county checks the evidence and verifies or rejects the report.

- A report is one month of one producer: households and fen for each linkage mode and household category
  (:class:`BenefitInput`), with an evidence file. There is no field for a name: households are counted.
- Numbers are whole and never negative; households and amount go together; households of a category never
  exceed what the producer records as brought along (``Producer.lifted_households`` /
  ``monitored_households``).
- Submitting a month that already has a report changes that report: it is **submitted again** (revision + 1),
  whatever its state — a verified report that changes is no longer verified until the reviewer checks it
  again, and leaves the public figures at once.
- Verifying or rejecting (with a reason) is for the reviewer of the producer's county or an administrator,
  never someone who acts for the producer (the same check as payee accounts).
- Every step is written to the audit log and told to the other side: the county's reviewers when a report is
  submitted, the producer's members when it is decided. A change of what the public sees (a report entering or
  leaving ``verified``) raises the catalog's version, so cached public pages show it at once.

Functions flush, never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.access import is_member
from catalog.producers.models import Producer
from catalog.public import CATALOG
from core import versions
from core.access import can_review
from core.audit.services import AuditEntry, record
from core.clock import shanghai_date
from core.db import utcnow
from core.i18n import in_language_of
from core.models import User
from core.notifications.services import notify
from core.pagination import Page, paginate
from core.urls import path_for
from settlement.benefit.errors import (
    EvidenceMissing,
    HouseholdsWithoutAmount,
    NotCountyReviewer,
    NothingPaid,
    NotProducerMember,
    NotSubmitted,
    PeriodInvalid,
    ReasonRequired,
    TooManyHouseholds,
)
from settlement.benefit.evidence import StoredEvidence
from settlement.benefit.models import (
    BenefitLine,
    BenefitMode,
    BenefitReport,
    BenefitStatus,
    HouseholdCategory,
    VerifierRole,
)
from settlement.locks import lock_producer
from settlement.payees.services import county_reviewers

#: The first year a report may cover: the consolidation period began in 2021.
FIRST_YEAR = 2021
SUBMITTED_KIND = "benefit.submitted"
DECIDED_KIND = "benefit.decided"
#: Every cell of a report, in the order forms and tables show them.
CELLS = tuple((mode, category) for mode in BenefitMode for category in HouseholdCategory)

Cell = tuple[BenefitMode, HouseholdCategory]


@dataclass(frozen=True)
class Payment:
    """One cell of a report: households paid and the amount, in fen."""

    households: int = 0
    amount_fen: int = 0


@dataclass(frozen=True, kw_only=True)
class BenefitInput:
    """One month's report: a :class:`Payment` per (mode, category); missing cells are zero."""

    year: int
    month: int
    payments: Mapping[Cell, Payment] = field(default_factory=dict)


def field_name(mode: BenefitMode, category: HouseholdCategory, what: str) -> str:
    """The form field of one cell's ``households`` or ``amount``."""
    return f"{mode.value}__{category.value}__{what}"


def recorded_households(producer: Producer, category: HouseholdCategory) -> int:
    """How many households of ``category`` the producer records as brought along."""
    if category is HouseholdCategory.LIFTED:
        return producer.lifted_households
    return producer.monitored_households


def check_input(producer: Producer, data: BenefitInput) -> dict[Cell, Payment]:
    """The non-empty cells of ``data``, checked; raises a :class:`BenefitFieldError` naming the field.

    :class:`PeriodInvalid` (before :data:`FIRST_YEAR` or after the current Asia/Shanghai month),
    :class:`HouseholdsWithoutAmount`, :class:`TooManyHouseholds`, :class:`NothingPaid`.
    """
    today = shanghai_date()
    if not (1 <= data.month <= 12 and data.year >= FIRST_YEAR) or (data.year, data.month) > (
        today.year,
        today.month,
    ):
        raise PeriodInvalid(first=f"{FIRST_YEAR}-01")
    cells: dict[Cell, Payment] = {}
    for mode, category in CELLS:
        payment = data.payments.get((mode, category)) or Payment()
        if (
            payment.households < 0
            or payment.amount_fen < 0
            or (payment.households > 0) != (payment.amount_fen > 0)
        ):
            raise HouseholdsWithoutAmount(field=field_name(mode, category, "households"))
        recorded = recorded_households(producer, category)
        if payment.households > recorded:
            raise TooManyHouseholds(
                field=field_name(mode, category, "households"),
                recorded=recorded,
                category=_("lifted") if category is HouseholdCategory.LIFTED else _("monitored"),
            )
        if payment.households:
            cells[(mode, category)] = payment
    if not cells:
        raise NothingPaid()
    return cells


def may_review(user: User, report: BenefitReport) -> bool:
    """Whether ``user`` decides ``report``: its county's reviewer or an administrator, never a member."""
    return can_review(user, report.producer.county) and not is_member(user, report.producer)


def may_read(user: User, report: BenefitReport) -> bool:
    """Whether ``user`` sees the report and its evidence: members, the county's reviewers, administrators."""
    if not user.is_authenticated:
        return False
    return is_member(user, report.producer) or can_review(user, report.producer.county)


def find_report(session: Session, producer_id: int, year: int, month: int) -> BenefitReport | None:
    """The producer's report of one month, or None."""
    query = select(BenefitReport).where(
        BenefitReport.producer_id == producer_id, BenefitReport.year == year, BenefitReport.month == month
    )
    return session.scalars(query.options(selectinload(BenefitReport.lines))).first()


def reports_of(session: Session, producer_id: int) -> list[BenefitReport]:
    """Every report of the producer, newest month first, with their lines."""
    query = select(BenefitReport).where(BenefitReport.producer_id == producer_id)
    query = query.options(selectinload(BenefitReport.lines))
    return list(session.scalars(query.order_by(BenefitReport.year.desc(), BenefitReport.month.desc())))


def _audit(
    session: Session,
    actor: User | None,
    action: str,
    report: BenefitReport,
    before: dict[str, object] | None,
    note: str | None = None,
) -> AuditEntry:
    return record(
        session,
        actor,
        f"benefit.{action}",
        "benefit_report",
        report.id,
        before=before,
        after={**report.audit_view(), "producer_id": report.producer_id},
        region_code=report.producer.county.code,
        note=note,
    )


def _public_figures_changed(session: Session) -> None:
    """Public pages show verified figures: raise the catalog's version their caches read."""
    versions.bump(session, CATALOG)


def submit_report(
    session: Session,
    actor: User,
    producer: Producer,
    data: BenefitInput,
    evidence: StoredEvidence | None,
) -> BenefitReport:
    """A member reports one month's payments to households (or changes that month's report).

    The report is ``submitted`` for the county's review, its lines replaced by ``data``'s; a new ``evidence``
    file replaces the one on file, and a first report needs one. Changing a verified report takes it out
    of the public figures until it is verified again (audited as ``benefit.unverify``). Raises
    :class:`NotProducerMember`, :class:`EvidenceMissing` and the errors of :func:`check_input`. The county's
    reviewers are told; audited. Does not commit.
    """
    if not is_member(actor, producer):
        raise NotProducerMember()
    producer = lock_producer(session, producer.id)
    cells = check_input(producer, data)
    report = find_report(session, producer.id, data.year, data.month)
    if report is None and evidence is None:
        raise EvidenceMissing()
    before = report.audit_view() if report is not None else None
    was_verified = report is not None and report.status is BenefitStatus.VERIFIED
    if report is None:
        report = BenefitReport(producer=producer, year=data.year, month=data.month, revision=1)
        session.add(report)
    else:
        report.revision += 1
        report.lines.clear()
        session.flush()  # the old lines go before the new ones take their (mode, category)
    if evidence is not None:
        report.evidence_key, report.evidence_mimetype = evidence.key, evidence.mimetype
    report.county_id = producer.county_id
    report.status = BenefitStatus.SUBMITTED
    report.submitted_by_id, report.submitted_at = actor.id, utcnow()
    report.decided_by_id = report.decided_at = report.decision_reason = None
    report.verifier_role = None
    report.lines.extend(
        BenefitLine(mode=mode, category=category, households=p.households, amount_fen=p.amount_fen)
        for (mode, category), p in sorted(cells.items(), key=lambda item: CELLS.index(item[0]))
    )
    session.flush()
    action = "unverify" if was_verified else ("resubmit" if before is not None else "submit")
    _audit(session, actor, action, report, before)
    if was_verified:
        _public_figures_changed(session)
    for reviewer in county_reviewers(session, producer):
        with in_language_of(reviewer):
            notify(
                session,
                reviewer,
                SUBMITTED_KIND,
                _(
                    "Benefit report of %(producer)s for %(period)s to verify",
                    producer=producer.name,
                    period=report.period_label,
                ),
                _(
                    "%(producer)s reports paying households in %(period)s. Check the figures against the "
                    "evidence before verifying: only verified figures are shown to the public.",
                    producer=producer.name,
                    period=report.period_label,
                ),
                link=path_for("benefit.review", report_id=report.id),
                data={"benefit_report": report.id},
            )
    return report


def _lock_submitted(session: Session, report: BenefitReport) -> BenefitReport:
    """Lock the producer, reload ``report`` and insist it still waits for a decision."""
    lock_producer(session, report.producer_id)
    session.refresh(report)
    if report.status is not BenefitStatus.SUBMITTED:
        raise NotSubmitted()
    return report


def _tell_producer(session: Session, report: BenefitReport) -> None:
    verified = report.status is BenefitStatus.VERIFIED
    for member in report.producer.members:
        with in_language_of(member.user):
            if verified:
                subject = _("Benefit report for %(period)s verified", period=report.period_label)
                body = _(
                    "The county office verified what %(producer)s paid to households in %(period)s: the "
                    "figures are now shown on its public pages.",
                    producer=report.producer.name,
                    period=report.period_label,
                )
            else:
                subject = _("Benefit report for %(period)s not verified", period=report.period_label)
                body = _(
                    "The county office did not verify the report for %(period)s: %(reason)s. Correct it and "
                    "submit it again.",
                    period=report.period_label,
                    reason=report.decision_reason or "",
                )
            notify(
                session,
                member.user,
                DECIDED_KIND,
                subject,
                body,
                link=path_for("benefit.producer_reports", producer_id=report.producer_id),
                data={"benefit_report": report.id},
            )


def verify_report(session: Session, reviewer: User, report: BenefitReport) -> BenefitReport:
    """The county reviewer verifies a submitted report: its figures count on the public pages from now on.

    Raises :class:`NotCountyReviewer` (another county, or someone acting for the producer) and
    :class:`NotSubmitted`. Audited; the producer's members are told. Does not commit.
    """
    if not may_review(reviewer, report):
        raise NotCountyReviewer()
    report = _lock_submitted(session, report)
    before = report.audit_view()
    report.status = BenefitStatus.VERIFIED
    report.decided_by_id, report.decided_at = reviewer.id, utcnow()
    report.verifier_role = (
        VerifierRole.COUNTY_REVIEWER
        if reviewer.reviews_county(report.producer.county)
        else VerifierRole.ADMINISTRATOR
    )
    report.decision_reason = None
    session.flush()
    _audit(session, reviewer, "verify", report, before)
    _public_figures_changed(session)
    _tell_producer(session, report)
    return report


def reject_report(
    session: Session, reviewer: User, report: BenefitReport, reason: str | None
) -> BenefitReport:
    """The county reviewer rejects a submitted report, with the reason the producer reads.

    Raises :class:`NotCountyReviewer`, :class:`ReasonRequired`, :class:`NotSubmitted`. Audited; the producer's
    members are told. Does not commit.
    """
    if not may_review(reviewer, report):
        raise NotCountyReviewer()
    reason = " ".join((reason or "").split()) or None
    if reason is None:
        raise ReasonRequired()
    report = _lock_submitted(session, report)
    before = report.audit_view()
    report.status = BenefitStatus.REJECTED
    report.decided_by_id, report.decided_at = reviewer.id, utcnow()
    report.decision_reason = reason[:500]
    session.flush()
    _audit(session, reviewer, "reject", report, before, reason)
    _tell_producer(session, report)
    return report


def review_queue(session: Session, page: int, county_ids: list[int]) -> Page[BenefitReport]:
    """Submitted reports of producers in ``county_ids``, oldest submission first (one page)."""
    query = (
        select(BenefitReport)
        .where(BenefitReport.status == BenefitStatus.SUBMITTED, BenefitReport.county_id.in_(county_ids))
        .order_by(BenefitReport.submitted_at, BenefitReport.id)
    )
    return paginate(session, query, page)


def history(session: Session, report: BenefitReport) -> list[AuditEntry]:
    """The audit entries of the report, newest first."""
    query = select(AuditEntry).where(
        AuditEntry.subject_type == "benefit_report", AuditEntry.subject_id == report.id
    )
    return list(session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))
