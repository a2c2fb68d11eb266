"""Administrators read the audit log newest first and narrow it by action, subject, county, actor and date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.audit.services import AuditEntry, record
from core.models import Region, User


@pytest.fixture()
def admin(make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]) -> FlaskClient:
    """A signed-in administrator."""
    return as_user(make_user("root@example.com", is_admin=True))


def entry(
    db: Session,
    actor: User | None,
    action: str,
    at: datetime,
    *,
    subject: str = "producer",
    county: str = "653122",
) -> AuditEntry:
    """An audit entry recorded at ``at`` (UTC) with a status change."""
    made = record(
        db,
        actor,
        action,
        subject,
        7,
        before={"status": "pending", "reason": None},
        after={"status": "approved", "reason": f"{action} 理由"},
        region_code=county,
    )
    made.at = at
    db.flush()
    return made


def rows(page: str) -> list[str]:
    """The actions listed on an audit page, in order."""
    return [chunk.split("</code>")[0] for chunk in page.split("<code>")[1:]]


def test_log_lists_newest_first_with_before_and_after(
    db: Session, make_user: Callable[..., User], admin: FlaskClient
) -> None:
    reviewer = make_user("reviewer.a@example.com")
    entry(db, reviewer, "producer.approve", datetime(2026, 3, 1, 8, tzinfo=UTC))
    entry(db, reviewer, "producer.suspend", datetime(2026, 3, 5, 8, tzinfo=UTC))
    response = admin.get("/admin/audit/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert rows(page) == ["producer.suspend", "producer.approve"]
    assert "reviewer.a@example.com" in page
    # Producer states are shown by their names (zh_CN), before → after; the reason too.
    assert "待审核 → 已通过" in page
    assert "— → producer.approve 理由" in page


def test_filters_by_action_subject_county_and_actor(
    db: Session, make_user: Callable[..., User], admin: FlaskClient
) -> None:
    wang = make_user("wang.reviewer@example.com")
    li = make_user("li.reviewer@example.com")
    moment = datetime(2026, 4, 1, 2, tzinfo=UTC)
    entry(db, wang, "producer.approve", moment)
    entry(db, li, "producer.reject", moment, county="500229")
    entry(db, li, "certification.certify", moment, subject="certification", county="653131")

    assert rows(admin.get("/admin/audit/?action=producer.reject").get_data(as_text=True)) == [
        "producer.reject"
    ]
    assert rows(admin.get("/admin/audit/?subject=certification").get_data(as_text=True)) == [
        "certification.certify"
    ]
    assert rows(admin.get("/admin/audit/?county=653122").get_data(as_text=True)) == ["producer.approve"]
    by_li = rows(admin.get("/admin/audit/?actor=LI.reviewer").get_data(as_text=True))
    assert sorted(by_li) == ["certification.certify", "producer.reject"]
    assert rows(admin.get("/admin/audit/?actor=li.reviewer&county=500229").get_data(as_text=True)) == [
        "producer.reject"
    ]
    assert rows(admin.get("/admin/audit/?actor=nobody%25").get_data(as_text=True)) == []


def test_date_range_counts_asia_shanghai_days(
    db: Session, make_user: Callable[..., User], admin: FlaskClient
) -> None:
    actor = make_user()
    # 16:30 UTC on 1 March is 00:30 on 2 March in Shanghai.
    entry(db, actor, "producer.approve", datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    entry(db, actor, "producer.reject", datetime(2026, 3, 1, 15, 30, tzinfo=UTC))  # 23:30 on 1 March
    on_second = admin.get("/admin/audit/?date_from=2026-03-02&date_to=2026-03-02").get_data(as_text=True)
    assert rows(on_second) == ["producer.approve"]
    on_first = admin.get("/admin/audit/?date_to=2026-03-01").get_data(as_text=True)
    assert rows(on_first) == ["producer.reject"]


def test_invalid_date_is_reported(admin: FlaskClient) -> None:
    response = admin.get("/admin/audit/?date_from=yesterday")
    assert response.status_code == 400
    assert 'id="date_from-error"' in response.get_data(as_text=True)


def test_log_is_paginated(db: Session, make_user: Callable[..., User], admin: FlaskClient) -> None:
    actor = make_user()
    for day in range(1, 26):
        entry(db, actor, f"producer.test{day:02d}", datetime(2026, 5, day, 4, tzinfo=UTC))
    first = rows(admin.get("/admin/audit/").get_data(as_text=True))
    second = rows(admin.get("/admin/audit/?page=2").get_data(as_text=True))
    assert first[0] == "producer.test25" and len(first) == 20
    assert second == [f"producer.test{day:02d}" for day in range(5, 0, -1)]


def test_only_admins_read_the_log(
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    reviewer = make_user(counties=[region("653122")])
    assert as_user(reviewer).get("/admin/audit/").status_code == 403
    assert as_user(None).get("/admin/audit/").status_code == 302
