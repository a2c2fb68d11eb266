"""Benefit to households: a producer's members report each month what it paid to linked households (counts and
fen, never names, with evidence); the reviewer of its county verifies or rejects; a verified report that
changes is no longer verified; every step is audited and told to the other side."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.audit.services import AuditEntry
from core.clock import shanghai_date
from core.models import Region, User
from core.notifications.models import Notification
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
from settlement.benefit.evidence import StoredEvidence, store_evidence
from settlement.benefit.figures import verified_benefit
from settlement.benefit.models import (
    BenefitLine,
    BenefitMode,
    BenefitReport,
    BenefitStatus,
    HouseholdCategory,
)
from settlement.benefit.services import (
    BenefitInput,
    Payment,
    field_name,
    reject_report,
    submit_report,
    verify_report,
)
from tests.conftest import row_count
from tests.settlement.support import MINIMAL_PDF

Client = Callable[[User | None], FlaskClient]
LIFTED, MONITORED = HouseholdCategory.LIFTED, HouseholdCategory.MONITORED


@dataclass
class Benefit:
    """A Shule cooperative bringing along 40 lifted and 6 monitored households, its owner, the county's
    reviewer, a Chengkou reviewer, an administrator, and where uploads go."""

    producer: Producer
    owner: User
    reviewer: User
    other_reviewer: User
    admin: User
    upload_dir: Path


@pytest.fixture()
def be(
    app: Flask,
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    region: Callable[[str], Region],
) -> Benefit:
    owner = make_user(name="疏勒社长")
    owner.locale = "en"
    producer = make_producer(owner, name="疏勒县绿源蔬菜种植农民专业合作社")
    producer.lifted_households, producer.monitored_households = 40, 6
    reviewer = make_user(name="疏勒审核员", counties=[region("653122")])
    reviewer.locale = "en"
    other = make_user(name="城口审核员", counties=[region("500229")])
    admin = make_user(name="管理员", is_admin=True)
    db.flush()
    return Benefit(producer, owner, reviewer, other, admin, Path(app.config["UPLOAD_DIR"]))


def month_input(month: int = 1, year: int | None = None, **cells: tuple[int, int]) -> BenefitInput:
    """A report of ``month``: ``wages_lifted=(households, fen)`` and so on (default: 12 lifted households
    paid ¥3,600 in wages)."""
    names = {f"{m.name.lower()}_{c.value}": (m, c) for m in BenefitMode for c in HouseholdCategory}
    payments = {
        names[key]: Payment(*value) for key, value in (cells or {"wages_lifted": (12, 360_000)}).items()
    }
    return BenefitInput(year=year or shanghai_date().year, month=month, payments=payments)


def evidence(be: Benefit) -> StoredEvidence:
    return store_evidence(io.BytesIO(MINIMAL_PDF), be.upload_dir)


def audit_actions(db: Session, report: BenefitReport) -> list[str]:
    query = select(AuditEntry.action).where(
        AuditEntry.subject_type == "benefit_report", AuditEntry.subject_id == report.id
    )
    return list(db.scalars(query.order_by(AuditEntry.id)))


def test_a_member_submits_and_the_county_reviewer_verifies(db: Session, be: Benefit) -> None:
    report = submit_report(
        db,
        be.owner,
        be.producer,
        month_input(1, wages_lifted=(12, 360_000), dividend_monitored=(5, 100_000)),
        evidence(be),
    )
    assert report.status is BenefitStatus.SUBMITTED and report.revision == 1
    assert report.amount_fen == 460_000 and report.county_id == be.producer.county_id
    told = db.scalars(select(Notification).where(Notification.kind == "benefit.submitted")).all()
    assert [n.user_id for n in told] == [be.reviewer.id]  # the county's reviewer, not Chengkou's
    assert verified_benefit(db, be.producer.id, shanghai_date().year) is None  # not public before review

    verify_report(db, be.reviewer, report)
    assert report.status is BenefitStatus.VERIFIED and report.decided_by_id == be.reviewer.id
    figures = verified_benefit(db, be.producer.id, shanghai_date().year)
    assert figures is not None and figures.amount_fen == 460_000
    assert (figures.lifted_households, figures.monitored_households) == (12, 5)
    assert figures.verified_by.value == "county_reviewer"
    [decided] = db.scalars(select(Notification).where(Notification.kind == "benefit.decided"))
    assert decided.user_id == be.owner.id and "verified" in decided.body
    assert audit_actions(db, report) == ["benefit.submit", "benefit.verify"]


def test_households_are_the_largest_monthly_count_and_amounts_add_up(db: Session, be: Benefit) -> None:
    for month, cells in (
        (1, {"wages_lifted": (12, 360_000), "dividend_lifted": (30, 300_000)}),
        (2, {"wages_lifted": (14, 420_000), "land_rent_monitored": (2, 80_000)}),
    ):
        verify_report(
            db,
            be.reviewer,
            submit_report(db, be.owner, be.producer, month_input(month, **cells), evidence(be)),
        )
    figures = verified_benefit(db, be.producer.id, shanghai_date().year)
    assert figures is not None
    assert figures.amount_fen == 1_160_000
    # the same households are paid every month and in several ways: the largest count, not the sum
    assert (figures.lifted_households, figures.monitored_households, figures.households) == (30, 2, 32)
    assert verified_benefit(db, be.producer.id, shanghai_date().year - 1) is None


def test_other_counties_reviewers_and_the_producers_own_members_cannot_decide(
    db: Session, be: Benefit, region: Callable[[str], Region]
) -> None:
    report = submit_report(db, be.owner, be.producer, month_input(), evidence(be))
    with pytest.raises(NotCountyReviewer):
        verify_report(db, be.other_reviewer, report)
    with pytest.raises(NotCountyReviewer):
        verify_report(db, be.owner, report)
    be.owner.reviewer_counties = [region("653122")]  # a member who is also the county's reviewer
    db.flush()
    with pytest.raises(NotCountyReviewer):
        reject_report(db, be.owner, report, "自己审核自己")
    with pytest.raises(NotProducerMember):
        submit_report(db, be.reviewer, be.producer, month_input(2), evidence(be))
    assert report.status is BenefitStatus.SUBMITTED
    verify_report(db, be.admin, report)  # an administrator may decide
    assert report.verifier_role is not None and report.verifier_role.value == "administrator"
    with pytest.raises(NotSubmitted):
        reject_report(db, be.reviewer, report, "晚了")


def test_a_rejection_needs_a_reason_and_tells_the_producer(db: Session, be: Benefit) -> None:
    report = submit_report(db, be.owner, be.producer, month_input(), evidence(be))
    with pytest.raises(ReasonRequired):
        reject_report(db, be.reviewer, report, "   ")
    reject_report(db, be.reviewer, report, "银行回单金额与报告不符")
    assert report.status is BenefitStatus.REJECTED and report.decision_reason == "银行回单金额与报告不符"
    [told] = db.scalars(select(Notification).where(Notification.kind == "benefit.decided"))
    assert told.user_id == be.owner.id and "银行回单金额与报告不符" in told.body
    assert verified_benefit(db, be.producer.id, shanghai_date().year) is None
    again = submit_report(db, be.owner, be.producer, month_input(), None)  # corrected, evidence kept
    assert again is report and report.status is BenefitStatus.SUBMITTED and report.revision == 2
    assert report.decision_reason is None
    assert audit_actions(db, report) == ["benefit.submit", "benefit.reject", "benefit.resubmit"]


def test_changing_a_verified_report_unverifies_it_and_is_audited(db: Session, be: Benefit) -> None:
    report = submit_report(db, be.owner, be.producer, month_input(1), evidence(be))
    verify_report(db, be.reviewer, report)
    assert verified_benefit(db, be.producer.id, shanghai_date().year) is not None

    changed = submit_report(db, be.owner, be.producer, month_input(1, wages_lifted=(13, 390_000)), None)
    assert changed.id == report.id and changed.status is BenefitStatus.SUBMITTED
    assert [(ln.households, ln.amount_fen) for ln in changed.lines] == [(13, 390_000)]
    assert verified_benefit(db, be.producer.id, shanghai_date().year) is None  # off the public pages at once
    [entry] = db.scalars(
        select(AuditEntry).where(AuditEntry.subject_id == report.id, AuditEntry.action == "benefit.unverify")
    )
    assert entry.actor_id == be.owner.id
    assert entry.before is not None and entry.before["status"] == "verified"
    assert entry.after is not None and entry.after["status"] == "submitted"
    assert entry.after["lines"] == [
        {"mode": "priority_employment", "category": "lifted", "households": 13, "amount_fen": 390_000}
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (month_input(1, year=2020), PeriodInvalid),
        (month_input(12, year=shanghai_date().year + 1), PeriodInvalid),
        (month_input(1, wages_lifted=(0, 0)), NothingPaid),
        (month_input(1, wages_lifted=(3, 0)), HouseholdsWithoutAmount),
        (month_input(1, wages_lifted=(0, 100)), HouseholdsWithoutAmount),
        (month_input(1, wages_lifted=(-1, -100)), HouseholdsWithoutAmount),
        (month_input(1, wages_lifted=(41, 100)), TooManyHouseholds),
        (month_input(1, purchase_monitored=(7, 100)), TooManyHouseholds),
    ],
)
def test_refused_input_writes_nothing(db: Session, be: Benefit, data: BenefitInput, error: type) -> None:
    before = row_count(db, "settlement_benefit_report"), row_count(db, "settlement_benefit_line")
    with pytest.raises(error):
        submit_report(db, be.owner, be.producer, data, evidence(be))
    assert (row_count(db, "settlement_benefit_report"), row_count(db, "settlement_benefit_line")) == before


def test_a_first_report_needs_evidence(db: Session, be: Benefit) -> None:
    with pytest.raises(EvidenceMissing):
        submit_report(db, be.owner, be.producer, month_input(), None)


def test_no_field_can_hold_a_households_name() -> None:
    """Households are counted by category: neither table has a column for a name, an ID number or free text
    from the producer."""
    columns = {c.key for model in (BenefitReport, BenefitLine) for c in inspect(model).columns}
    text_columns = {
        c.key
        for model in (BenefitReport, BenefitLine)
        for c in inspect(model).columns
        if issubclass(c.type.python_type, str)
    }
    assert not {
        name for name in columns if any(word in name for word in ("name", "person", "id_card", "note"))
    }
    # the only text: states, enum values, the evidence file's key and type, and the reviewer's reason
    assert text_columns == {
        "status",
        "evidence_key",
        "evidence_mimetype",
        "verifier_role",
        "decision_reason",
        "mode",
        "category",
    }


def form_data(month: int, year: int | None = None, **cells: tuple[str, str]) -> dict[str, object]:
    data: dict[str, object] = {"year": str(year or shanghai_date().year), "month": str(month)}
    for key, (households, amount) in cells.items():
        mode, category = key.rsplit("_", 1)
        data[field_name(BenefitMode[mode.upper()], HouseholdCategory(category), "households")] = households
        data[field_name(BenefitMode[mode.upper()], HouseholdCategory(category), "amount")] = amount
    return data


def test_pages_submit_verify_and_refuse_with_clear_messages(
    db: Session, be: Benefit, as_user: Client, make_user: Callable[..., User]
) -> None:
    url = f"/settlement/producers/{be.producer.id}/benefit/report"
    owner = as_user(be.owner)
    assert owner.get(url).status_code == 200
    assert as_user(make_user()).get(url).status_code == 403
    assert as_user(be.reviewer).get(url).status_code == 403

    be.owner.locale = "zh_CN"
    db.flush()
    too_many = owner.post(
        url,
        data={**form_data(1, wages_lifted=("41", "100")), "evidence": (io.BytesIO(MINIMAL_PDF), "回单.pdf")},
        content_type="multipart/form-data",
    )
    assert too_many.status_code == 400
    page = too_many.get_data(as_text=True)
    assert "户数超过了该生产主体登记的" in page
    no_file = owner.post(
        url, data=form_data(1, wages_lifted=("12", "3600")), content_type="multipart/form-data"
    )
    assert no_file.status_code == 400 and "请上传证明材料" in no_file.get_data(as_text=True)
    not_pdf = owner.post(
        url,
        data={**form_data(1, wages_lifted=("12", "3600")), "evidence": (io.BytesIO(b"hello"), "list.pdf")},
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 400
    bad_amount = owner.post(
        url,
        data={**form_data(1, wages_lifted=("12", "abc")), "evidence": (io.BytesIO(MINIMAL_PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert bad_amount.status_code == 400
    assert row_count(db, "settlement_benefit_report") == 0  # nothing half-written

    sent = owner.post(
        url,
        data={
            **form_data(1, wages_lifted=("12", "3,600.00"), dividend_monitored=("5", "1000")),
            "evidence": (io.BytesIO(MINIMAL_PDF), "回单.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    report = db.scalars(select(BenefitReport).where(BenefitReport.producer_id == be.producer.id)).one()
    assert report.amount_fen == 460_000 and report.status is BenefitStatus.SUBMITTED

    listing = owner.get(f"/settlement/producers/{be.producer.id}/benefit").get_data(as_text=True)
    assert "¥4,600.00" in listing
    download = owner.get(f"/settlement/benefit/{report.id}/evidence")
    assert download.data == MINIMAL_PDF and download.headers["Cache-Control"] == "private, no-store"
    download.close()
    reviewer = as_user(be.reviewer)
    assert be.producer.name in reviewer.get("/settlement/benefit/").get_data(as_text=True)
    assert be.producer.name not in as_user(be.other_reviewer).get("/settlement/benefit/").get_data(
        as_text=True
    )
    download = reviewer.get(f"/settlement/benefit/{report.id}/evidence")
    assert download.status_code == 200
    download.close()
    assert as_user(be.other_reviewer).get(f"/settlement/benefit/{report.id}").status_code == 403
    assert as_user(be.other_reviewer).get(f"/settlement/benefit/{report.id}/evidence").status_code == 403
    assert as_user(be.other_reviewer).post(f"/settlement/benefit/{report.id}/verify").status_code == 403
    assert as_user(be.owner).post(f"/settlement/benefit/{report.id}/verify").status_code == 403
    assert reviewer.post(f"/settlement/benefit/{report.id}/reject", data={}).status_code == 400
    assert reviewer.get("/settlement/benefit/999999").status_code == 404
    assert reviewer.post(f"/settlement/benefit/{report.id}/verify").status_code == 302
    assert reviewer.post(f"/settlement/benefit/{report.id}/verify").status_code == 409
    db.expire_all()
    assert report.status is BenefitStatus.VERIFIED
