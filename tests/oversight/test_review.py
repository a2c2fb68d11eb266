"""The county office handles a complaint: who may, acknowledge, decide, and what the reporter sees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import MemberRole, ProducerMember
from core.audit.services import AuditEntry
from core.models import Region, User
from core.notifications.models import Notification
from oversight.complaints import review
from oversight.complaints.errors import AlreadyDecided, NotCountyReviewer, OutcomeReasonRequired
from oversight.complaints.models import Complaint, ComplaintOutcome, ComplaintStatus
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.support import give_complaint

REASON = "经核查，该批次冷链运输中断，已责令生产主体为消费者退款并整改冷链。"


def test_other_county_reviewer_and_the_producer_are_refused(
    as_user: Callable[[User | None], FlaskClient],
    db: Session,
    shop: Shop,
    office: Office,
    make_user: Callable[..., User],
    region: Callable[[str], Region],
) -> None:
    complaint, _token = give_complaint(db, shop.product_a)  # 疏勒县
    # a 疏勒县 reviewer who also acts for the producer complained about
    insider = make_user(counties=[region("653122")])
    db.add(ProducerMember(user=insider, producer=shop.producer_a, role=MemberRole.STAFF))
    db.flush()
    base = f"/oversight/desk/{complaint.id}"
    for user in (office.chengkou, shop.owner_a, insider, shop.buyer):
        client = as_user(user)
        assert client.get(base).status_code == 403
        assert client.post(f"{base}/acknowledge").status_code == 403
        assert client.post(f"{base}/decide", data={"outcome": "unfounded", "reason": "x"}).status_code == 403
    assert complaint.reference not in as_user(office.chengkou).get("/oversight/desk/").get_data(as_text=True)
    assert complaint.reference in as_user(office.shule).get("/oversight/desk/").get_data(as_text=True)
    with pytest.raises(NotCountyReviewer):
        review.decide(db, insider, complaint, ComplaintOutcome.UNFOUNDED, "不属实")
    db.expire_all()
    assert db.get(Complaint, complaint.id).status is ComplaintStatus.RECEIVED  # type: ignore[union-attr]


def test_follow_link_needs_the_token(client: FlaskClient, db: Session, shop: Shop) -> None:
    complaint, token = give_complaint(db, shop.product_a)
    assert client.get(f"/oversight/complaints/follow/{token}").status_code == 200
    assert client.get(f"/oversight/complaints/follow/{token[:-1]}x").status_code == 404
    assert client.get("/oversight/complaints/follow/" + "a" * 300).status_code == 404
    assert client.get(f"/oversight/complaints/follow/{complaint.follow_token_hash}").status_code == 404


def test_only_the_reporter_opens_their_complaint_by_account(
    as_user: Callable[[User | None], FlaskClient], db: Session, shop: Shop, make_user: Callable[..., User]
) -> None:
    complaint, _token = give_complaint(db, shop.product_a, reporter=shop.buyer)
    assert as_user(shop.buyer).get(f"/oversight/complaints/mine/{complaint.id}").status_code == 200
    assert as_user(make_user()).get(f"/oversight/complaints/mine/{complaint.id}").status_code == 403
    assert complaint.reference not in as_user(make_user()).get("/oversight/complaints/mine").get_data(
        as_text=True
    )


def test_reviewer_acknowledges_then_decides_and_the_reporter_follows(
    as_user: Callable[[User | None], FlaskClient], db: Session, shop: Shop, office: Office
) -> None:
    complaint, token = give_complaint(db, shop.product_a, reporter=shop.buyer)
    desk = as_user(office.shule)
    assert desk.post(f"/oversight/desk/{complaint.id}/acknowledge").status_code == 302
    db.expire_all()
    complaint = db.get(Complaint, complaint.id)  # type: ignore[assignment]
    assert (
        complaint.status is ComplaintStatus.ACKNOWLEDGED and complaint.acknowledged_by_id == office.shule.id
    )
    assert complaint.next_due_at == complaint.decide_due_at
    assert desk.post(f"/oversight/desk/{complaint.id}/acknowledge").status_code == 409

    refused = desk.post(f"/oversight/desk/{complaint.id}/decide", data={"outcome": "remedy", "reason": ""})
    assert refused.status_code == 400
    assert (
        desk.post(
            f"/oversight/desk/{complaint.id}/decide", data={"outcome": "remedy", "reason": REASON}
        ).status_code
        == 302
    )
    db.expire_all()
    complaint = db.get(Complaint, complaint.id)  # type: ignore[assignment]
    assert complaint.status is ComplaintStatus.DECIDED and complaint.outcome is ComplaintOutcome.REMEDY
    assert complaint.decision_reason == REASON and complaint.decided_by_id == office.shule.id
    assert complaint.handled_on_time is True and complaint.next_due_at is None
    again = desk.post(f"/oversight/desk/{complaint.id}/decide", data={"outcome": "warning", "reason": "再次"})
    assert again.status_code == 409

    kinds = list(
        db.scalars(
            select(Notification.kind).where(Notification.user_id == shop.buyer.id).order_by(Notification.id)
        )
    )
    assert kinds == ["complaint.acknowledged", "complaint.decided"]
    told = db.scalars(
        select(Notification).where(
            Notification.user_id == shop.owner_a.id, Notification.kind == "complaint.decided_about_you"
        )
    ).all()
    assert len(told) == 1 and complaint.reference in told[0].body and REASON in told[0].body
    assert shop.buyer.email not in told[0].body  # the reporter is never named to the producer
    actions = db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_type == "complaint", AuditEntry.subject_id == complaint.id
        )
    )
    assert sorted(actions) == ["complaint.acknowledge", "complaint.decide", "complaint.receive"]

    page = as_user(None).get(f"/oversight/complaints/follow/{token}").get_data(as_text=True)
    assert "整改补救" in page and REASON in page
    assert office.shule.display_name not in page and office.shule.email not in page


def test_deciding_late_is_not_on_time_and_deciding_a_received_one_acknowledges_it(
    db: Session, shop: Shop, office: Office
) -> None:
    complaint, _token = give_complaint(db, shop.product_a)
    late = complaint.decide_due_at + timedelta(hours=1)
    review.decide(db, office.shule, complaint, ComplaintOutcome.WARNING, "逾期处理", now=late)
    assert complaint.acknowledged_at == late and complaint.handled_on_time is False
    with pytest.raises(AlreadyDecided):
        review.decide(db, office.shule, complaint, ComplaintOutcome.RECALL, "召回")
    other, _token = give_complaint(db, shop.product_a)
    with pytest.raises(OutcomeReasonRequired):
        review.decide(db, office.admin, other, ComplaintOutcome.UNFOUNDED, "  ")


def test_recall_links_to_the_lot_recall_and_suspension_records_only(
    as_user: Callable[[User | None], FlaskClient], db: Session, shop: Shop, office: Office
) -> None:
    complaint, _token = give_complaint(db, shop.product_a)
    complaint.batch_id = shop.batch_a.id
    db.flush()
    review.decide(db, office.shule, complaint, ComplaintOutcome.RECALL, "批次检出问题，需召回")
    page = as_user(office.shule).get(f"/oversight/desk/{complaint.id}").get_data(as_text=True)
    assert f"/producer/batches/{shop.batch_a.id}" in page
    assert not shop.batch_a.is_recalled  # the recall itself is the traceability package's
    suspended, _token = give_complaint(db, shop.product_a)
    review.decide(db, office.admin, suspended, ComplaintOutcome.SUSPENSION, "暂停销售待整改")
    assert suspended.outcome is ComplaintOutcome.SUSPENSION


def test_admin_sees_every_county_and_the_escalated_tab(
    as_user: Callable[[User | None], FlaskClient], db: Session, shop: Shop, office: Office
) -> None:
    first, _token = give_complaint(db, shop.product_a)
    second, _token = give_complaint(db, shop.product_b)
    second.escalated_at = second.received_at
    db.flush()
    admin = as_user(office.admin)
    page = admin.get("/oversight/desk/").get_data(as_text=True)
    assert first.reference in page and second.reference in page
    escalated = admin.get("/oversight/desk/?tab=escalated").get_data(as_text=True)
    assert second.reference in escalated and first.reference not in escalated
