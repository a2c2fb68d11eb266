"""Deadlines are working days (the State Council's calendar) after the Asia/Shanghai day of receipt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import SHANGHAI
from oversight.complaints.deadlines import (
    add_working_days,
    due_after,
    end_of_day,
    is_working_day,
    month_key,
)
from oversight.complaints.models import Complaint
from oversight.complaints.services import Deadlines
from tests.commerce import Shop
from tests.oversight.support import give_complaint


def shanghai(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 12, 4), 1, date(2026, 12, 7)),  # Friday + 1 → Monday
        (date(2026, 12, 5), 1, date(2026, 12, 7)),  # Saturday + 1 → Monday
        (date(2026, 12, 6), 1, date(2026, 12, 7)),  # Sunday + 1 → Monday
        (date(2026, 12, 7), 1, date(2026, 12, 8)),  # Monday + 1 → Tuesday
        (date(2026, 12, 4), 7, date(2026, 12, 15)),  # Friday + 7 → the Tuesday after next
        (date(2026, 12, 9), 7, date(2026, 12, 18)),  # Wednesday + 7 → next Friday
        (date(2026, 12, 4), 0, date(2026, 12, 4)),
    ],
)
def test_working_days_skip_weekends(start: date, count: int, expected: date) -> None:
    assert add_working_days(start, count) == expected


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # National Day: 1–7 October off, the 8th a Thursday
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Saturday 10 October is worked in lieu
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday before the Spring Festival is worked
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # Spring Festival: 15–23 February off
        (date(2026, 4, 30), 1, date(2026, 5, 6)),  # Labour Day: 1–5 May off
    ],
)
def test_working_days_follow_the_state_councils_calendar(start: date, count: int, expected: date) -> None:
    assert add_working_days(start, count) == expected


def test_a_year_not_yet_published_counts_monday_to_friday() -> None:
    assert is_working_day(date(2099, 1, 2))  # a Friday
    assert not is_working_day(date(2099, 1, 3))  # a Saturday


def test_receipt_late_on_friday_in_shanghai_counts_from_friday() -> None:
    # 23:30 on Friday in Shanghai is still Friday there (15:30 UTC)
    received = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)
    assert due_after(received, 1) == end_of_day(date(2026, 12, 7))
    assert end_of_day(date(2026, 12, 7)) == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    # 00:30 on Saturday in Shanghai is Friday 16:30 UTC: the day is Saturday, still Monday
    assert due_after(datetime(2026, 12, 4, 16, 30, tzinfo=UTC), 1) == end_of_day(date(2026, 12, 7))
    assert month_key(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == 202612  # December 1st in Shanghai


def test_a_complaint_received_over_a_weekend_is_due_on_working_days(db: Session, shop: Shop) -> None:
    complaint, _token = give_complaint(db, shop.product_a, now=shanghai(2026, 12, 5, 10))  # Saturday
    assert complaint.acknowledge_due_on == date(2026, 12, 7)  # Monday
    assert complaint.decide_due_on == date(2026, 12, 15)  # 7 working days: Tuesday the week after
    assert complaint.next_due_at == complaint.acknowledge_due_at
    assert complaint.received_month == 202612


def test_deadlines_are_settings(
    app: Flask, client: FlaskClient, db: Session, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "COMPLAINT_ACKNOWLEDGE_WORKING_DAYS", 2)
    monkeypatch.setitem(app.config, "COMPLAINT_DECIDE_WORKING_DAYS", 10)
    response = client.post(
        "/oversight/complaints/new",
        data={
            "kind": "price",
            "lot": shop.batch_a.lot_code,
            "description": "标价比其他平台高出一倍以上。",
            "contact": "13912345678",
        },
    )
    assert response.status_code == 302
    complaint = db.scalars(select(Complaint)).one()
    received = complaint.received_at.astimezone(SHANGHAI).date()
    assert complaint.acknowledge_due_on == add_working_days(received, 2)
    assert complaint.decide_due_on == add_working_days(received, 10)


def test_explicit_deadlines_in_the_service(db: Session, shop: Shop) -> None:
    make: Callable[..., tuple[Complaint, str]] = give_complaint
    complaint, _token = make(db, shop.product_a, now=shanghai(2026, 12, 7), deadlines=Deadlines(3, 5))
    assert (complaint.acknowledge_due_on, complaint.decide_due_on) == (date(2026, 12, 10), date(2026, 12, 14))
