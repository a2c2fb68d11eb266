"""Escalation: complaints past a deadline go to the administrators once, however often the job runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit.services import AuditEntry
from core.db import utcnow
from core.models import User
from core.notifications.models import Notification
from oversight.complaints import review
from oversight.complaints.escalation import escalate_overdue
from oversight.complaints.models import Complaint, ComplaintOutcome
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.support import give_complaint


def escalation_notices(db: Session) -> list[tuple[int, int | None]]:
    query = select(Notification.user_id, Notification.data).where(Notification.kind == "complaint.escalated")
    return sorted((user_id, (data or {}).get("complaint")) for user_id, data in db.execute(query))


def test_late_complaints_escalate_once_and_notify_each_admin_once(
    db: Session, shop: Shop, office: Office, make_user: Callable[..., User]
) -> None:
    second_admin = make_user(is_admin=True)
    long_ago = utcnow() - timedelta(days=30)
    not_acknowledged, _t = give_complaint(db, shop.product_a, now=long_ago)
    not_decided, _t = give_complaint(db, shop.product_b, now=long_ago)
    review.acknowledge(db, office.chengkou, not_decided, now=long_ago + timedelta(hours=1))
    decided, _t = give_complaint(db, shop.product_a, now=long_ago)
    review.decide(db, office.shule, decided, ComplaintOutcome.UNFOUNDED, "不属实", now=long_ago)
    fresh, _t = give_complaint(db, shop.product_a)

    first = escalate_overdue(db)
    assert sorted(c.id for c in first) == sorted([not_acknowledged.id, not_decided.id])
    assert escalate_overdue(db) == []  # run again: nothing new
    for complaint in (decided, fresh):
        db.refresh(complaint)
        assert complaint.escalated_at is None
    expected = sorted(
        (admin.id, complaint.id)
        for admin in (office.admin, second_admin)
        for complaint in (not_acknowledged, not_decided)
    )
    assert escalation_notices(db) == expected
    audited = db.scalar(select(func.count()).where(AuditEntry.action == "complaint.escalate"))
    assert audited == 2


def test_a_deadline_passing_later_escalates_at_that_moment(db: Session, shop: Shop, office: Office) -> None:
    complaint, _t = give_complaint(db, shop.product_a)
    assert escalate_overdue(db, now=complaint.acknowledge_due_at - timedelta(seconds=1)) == []
    review.acknowledge(db, office.shule, complaint, now=complaint.acknowledge_due_at - timedelta(seconds=1))
    assert escalate_overdue(db, now=complaint.acknowledge_due_at + timedelta(days=1)) == []  # decide not due
    escalated = escalate_overdue(db, now=complaint.decide_due_at)
    assert [c.id for c in escalated] == [complaint.id]
    assert complaint.is_escalated and complaint.is_overdue(complaint.decide_due_at)


def test_the_command_run_twice_escalates_once(app: Flask, db: Session, shop: Shop, office: Office) -> None:
    complaint, _t = give_complaint(db, shop.product_a, now=utcnow() - timedelta(days=30))
    db.commit()  # the command's session is another one on the test's connection
    runner = app.test_cli_runner()
    outputs = [runner.invoke(args=["oversight", "escalate"]).output for _ in range(2)]
    assert outputs == ["1 complaints escalated\n", "0 complaints escalated\n"]
    db.expire_all()
    escalated = db.get(Complaint, complaint.id)
    assert escalated is not None and escalated.escalated_at is not None
    assert escalation_notices(db) == [(office.admin.id, complaint.id)]
