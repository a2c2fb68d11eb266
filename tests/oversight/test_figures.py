"""Public figures per county and month: received, handled on time, outcomes; bounded month ranges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.clock import SHANGHAI
from oversight.complaints import review
from oversight.complaints.figures import bounded_range, monthly_figures, parse_month, shift_month
from oversight.complaints.models import ComplaintOutcome
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.support import give_complaint


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=SHANGHAI).astimezone(UTC)


def test_figures_per_county_and_month(client: FlaskClient, db: Session, shop: Shop, office: Office) -> None:
    # 疏勒县, 2026-10: three received; one decided on time (remedy), one decided late (warning), one open
    on_time, _t = give_complaint(db, shop.product_a, now=at(2026, 10, 12))
    review.acknowledge(db, office.shule, on_time, now=at(2026, 10, 12))
    review.decide(db, office.shule, on_time, ComplaintOutcome.REMEDY, "整改", now=at(2026, 10, 14))
    late, _t = give_complaint(db, shop.product_a, now=at(2026, 10, 20))
    review.decide(db, office.shule, late, ComplaintOutcome.WARNING, "警告", now=at(2026, 11, 20))
    give_complaint(db, shop.product_a, now=at(2026, 10, 30))
    # 城口县, 2026-11: one, unfounded on time; and one in 2026-09 (outside the range asked for)
    chengkou, _t = give_complaint(db, shop.product_b, now=at(2026, 11, 2))
    review.decide(db, office.chengkou, chengkou, ComplaintOutcome.UNFOUNDED, "不属实", now=at(2026, 11, 2))
    give_complaint(db, shop.product_b, now=at(2026, 9, 30))

    rows = monthly_figures(db, 202610, 202611)
    got = {(r.county.code, r.label): (r.received, r.decided, r.on_time, dict(r.outcomes)) for r in rows}
    assert got == {
        ("653122", "2026-10"): (
            3,
            2,
            1,
            {ComplaintOutcome.REMEDY: 1, ComplaintOutcome.WARNING: 1},
        ),
        ("500229", "2026-11"): (1, 1, 1, {ComplaintOutcome.UNFOUNDED: 1}),
    }
    only_shule = monthly_figures(db, 202610, 202611, county_id=shop.producer_a.county_id)
    assert [(r.county.code, r.received) for r in only_shule] == [("653122", 3)]

    page = client.get("/oversight/complaints/?month_from=2026-10&month_to=2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026-10" in html and "整改补救: 1" in html and "不属实: 1" in html
    assert "2026-09" not in html.split('id="complaint-figures"')[1]


def test_month_ranges_are_bounded() -> None:
    assert parse_month("2026-13") is None and parse_month("２０２６-01") is None and parse_month("x") is None
    assert parse_month("2026-01") == 202601
    assert shift_month(202601, -1) == 202512 and shift_month(202612, 1) == 202701
    assert bounded_range(None, None, 202612) == (202607, 202612)
    assert bounded_range(200001, 210012, 202612) == (202601, 202612)  # at most 12 months, never the future
    assert bounded_range(202611, 202603, 202612) == (202603, 202603)
    with pytest.raises(ValueError, match="MAX_MONTHS"):
        monthly_figures(None, 202001, 202612)  # type: ignore[arg-type]
