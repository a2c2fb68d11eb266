"""County reviewers decide producers of their own counties only; every decision lands in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers import services as svc
from catalog.producers.models import (
    MemberRole,
    Producer,
    ProducerMember,
    ProducerStatus,
)
from core.audit.services import AuditEntry
from core.errors import InvalidTransition, PermissionDenied
from core.models import Region, User

S = ProducerStatus
LEGAL = [
    (S.PENDING, "approve", S.APPROVED),
    (S.PENDING, "reject", S.REJECTED),
    (S.REJECTED, "approve", S.APPROVED),
    (S.APPROVED, "suspend", S.SUSPENDED),
    (S.SUSPENDED, "reinstate", S.APPROVED),
]
ILLEGAL = [
    (status, action)
    for status, action in product(ProducerStatus, svc.DECISIONS)
    if (status, action) not in {(s, a) for s, a, _ in LEGAL}
] + [(S.PENDING, "delete")]


@pytest.fixture()
def shule_reviewer(make_user: Callable[..., User], region: Callable[[str], Region]) -> User:
    """A reviewer of 疏勒县."""
    return make_user("reviewer.shule@example.com", counties=[region("653122")])


def audit_entries(db: Session, producer: Producer) -> list[AuditEntry]:
    """The audit entries about ``producer``."""
    query = select(AuditEntry).where(
        AuditEntry.subject_type == "producer", AuditEntry.subject_id == producer.id
    )
    return list(db.scalars(query))


@pytest.mark.parametrize(("start", "action", "end"), LEGAL)
def test_every_legal_decision_changes_state_and_is_audited(
    start: ProducerStatus,
    action: str,
    end: ProducerStatus,
    db: Session,
    shule_reviewer: User,
    make_producer: Callable[..., Producer],
) -> None:
    producer = make_producer(status=start)
    producer.status_reason = "旧的理由" if start != S.PENDING else None
    svc.decide_producer(
        db, shule_reviewer, producer, action, "  资料齐全  " if action == "approve" else "执照过期"
    )
    assert producer.status == end
    assert producer.decided_at is not None
    reason = "资料齐全" if action == "approve" else "执照过期"
    assert producer.status_reason == reason
    [entry] = audit_entries(db, producer)
    assert entry.action == f"producer.{action}"
    assert entry.actor_id == shule_reviewer.id
    assert entry.region_code == "653122"
    assert entry.before == {"status": start.value, "reason": producer_reason_before(start)}
    assert entry.after == {"status": end.value, "reason": reason}


def producer_reason_before(start: ProducerStatus) -> str | None:
    """The reason the fixture gives a producer in state ``start``."""
    return None if start == S.PENDING else "旧的理由"


@pytest.mark.parametrize(("start", "action"), ILLEGAL)
def test_illegal_decisions_change_nothing(
    start: ProducerStatus,
    action: str,
    db: Session,
    shule_reviewer: User,
    make_producer: Callable[..., Producer],
) -> None:
    producer = make_producer(status=start)
    with pytest.raises(InvalidTransition):
        svc.decide_producer(db, shule_reviewer, producer, action, "理由")
    assert producer.status == start and producer.decided_at is None
    assert audit_entries(db, producer) == []


@pytest.mark.parametrize(("start", "action"), [(S.PENDING, "reject"), (S.APPROVED, "suspend")])
def test_reject_and_suspend_need_a_reason(
    start: ProducerStatus,
    action: str,
    db: Session,
    shule_reviewer: User,
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    producer = make_producer(status=start)
    response = as_user(shule_reviewer).post(
        f"/review/producers/{producer.id}/decision", data={"action": action, "reason": "   "}
    )
    assert response.status_code == 400
    assert 'id="reason-error"' in response.get_data(as_text=True)
    db.expire_all()
    assert producer.status == start
    assert audit_entries(db, producer) == []


def test_reviewer_of_another_county_is_refused_and_nothing_changes(
    db: Session,
    shule_reviewer: User,
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    chengkou = make_producer(county_code="500229", status=S.PENDING)
    client = as_user(shule_reviewer)
    assert client.get(f"/review/producers/{chengkou.id}").status_code == 403
    response = client.post(f"/review/producers/{chengkou.id}/decision", data={"action": "approve"})
    assert response.status_code == 403
    db.expire_all()
    assert chengkou.status == S.PENDING and chengkou.decided_at is None
    assert audit_entries(db, chengkou) == []
    with pytest.raises(PermissionDenied):
        svc.decide_producer(db, shule_reviewer, chengkou, "approve", None)
    assert audit_entries(db, chengkou) == []


def test_admin_decides_in_any_county(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    admin = make_user(is_admin=True)
    tashkurgan = make_producer(county_code="653131", status=S.PENDING)
    response = as_user(admin).post(
        f"/review/producers/{tashkurgan.id}/decision", data={"action": "reject", "reason": "营业执照模糊"}
    )
    assert response.status_code == 302
    db.expire_all()
    assert tashkurgan.status == S.REJECTED and tashkurgan.status_reason == "营业执照模糊"
    [entry] = audit_entries(db, tashkurgan)
    assert entry.region_code == "653131" and entry.actor_id == admin.id


def test_a_reviewer_may_not_decide_a_producer_they_act_for(
    db: Session, shule_reviewer: User, make_producer: Callable[..., Producer]
) -> None:
    producer = make_producer(status=S.PENDING)
    db.add(ProducerMember(producer=producer, user=shule_reviewer, role=MemberRole.STAFF))
    db.flush()
    with pytest.raises(PermissionDenied):
        svc.decide_producer(db, shule_reviewer, producer, "approve", None)
    assert producer.status == S.PENDING


def test_decision_through_the_page_is_saved_and_shown_in_the_history(
    db: Session,
    shule_reviewer: User,
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    producer = make_producer(status=S.PENDING)
    client = as_user(shule_reviewer)
    response = client.post(
        f"/review/producers/{producer.id}/decision", data={"action": "approve", "reason": ""}
    )
    assert response.status_code == 302
    db.expire_all()
    assert producer.status == S.APPROVED and producer.status_reason is None
    page = client.get(f"/review/producers/{producer.id}").get_data(as_text=True)
    assert "reviewer.shule@example.com" in page
    assert 'value="suspend"' in page and 'value="approve"' not in page


def test_an_impossible_decision_through_the_page_is_a_conflict(
    db: Session,
    shule_reviewer: User,
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    producer = make_producer(status=S.APPROVED)
    response = as_user(shule_reviewer).post(
        f"/review/producers/{producer.id}/decision", data={"action": "reject", "reason": "再次拒绝"}
    )
    assert response.status_code == 409
    db.expire_all()
    assert producer.status == S.APPROVED
    assert audit_entries(db, producer) == []


def test_review_page_shows_the_submitted_facts(
    db: Session,
    shule_reviewer: User,
    make_producer: Callable[..., Producer],
    region: Callable[[str], Region],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    producer = make_producer(status=S.PENDING, name="疏勒县果业有限公司")
    producer.credit_code = "91350100M000100Y43"
    producer.township = region("653122207")
    producer.contact_phone = "13912345678"
    producer.lifted_households, producer.monitored_households = 315, 12
    producer.linkage_modes = ["land_transfer"]
    db.flush()
    page = as_user(shule_reviewer).get(f"/review/producers/{producer.id}").get_data(as_text=True)
    for fact in ("疏勒县果业有限公司", "91350100M000100Y43", "塔尕尔其乡", "13912345678", "315", "327"):
        assert fact in page
    assert 'value="approve"' in page and 'value="reject"' in page


def test_queue_lists_pending_producers_of_the_reviewers_counties(
    shule_reviewer: User,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    make_producer(name="疏勒待审合作社", status=S.PENDING)
    make_producer(name="疏勒已批合作社", status=S.APPROVED)
    make_producer(name="城口待审合作社", county_code="500229", status=S.PENDING)
    client = as_user(shule_reviewer)
    pending = client.get("/review/producers").get_data(as_text=True)
    assert "疏勒待审合作社" in pending
    assert "疏勒已批合作社" not in pending and "城口待审合作社" not in pending
    approved = client.get("/review/producers?status=approved").get_data(as_text=True)
    assert "疏勒已批合作社" in approved and "疏勒待审合作社" not in approved
    everything = client.get("/review/producers?status=all").get_data(as_text=True)
    assert "疏勒已批合作社" in everything and "疏勒待审合作社" in everything
    assert "城口待审合作社" not in client.get("/review/producers?county=500229").get_data(as_text=True)

    admin = as_user(make_user(is_admin=True))
    assert "城口待审合作社" in admin.get("/review/producers").get_data(as_text=True)
    only_chengkou = admin.get("/review/producers?county=500229").get_data(as_text=True)
    assert "城口待审合作社" in only_chengkou and "疏勒待审合作社" not in only_chengkou
