"""Supplier standing: the score and its reasons, the county office's decision (warn, restrict new listings,
suspend, reinstate), who may see and decide, the nightly assessment and the producer's workbench card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import ProducerStatus
from catalog.products.errors import ListingRestricted
from catalog.products.services import create_product
from core.audit.services import AuditEntry
from core.db import utcnow
from core.models import User
from core.notifications.models import Notification
from orders.models import OrderStatus
from orders.reviews.models import ProducerRatingSummary
from oversight.complaints import review
from oversight.complaints.models import ComplaintOutcome
from oversight.prices import review as price_review
from oversight.prices.models import PriceAlert
from oversight.standing import services
from oversight.standing.assessment import UPHELD_PRICE_ALERT_POINTS, assess
from oversight.standing.errors import NotCountyReviewer, StandingReasonRequired
from oversight.standing.models import ProducerStanding, StandingLevel
from tests.access_rows.orders import build_order, new_batch
from tests.catalog.test_products import data as product_data
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.prices.support import change_price
from tests.oversight.support import give_complaint

Client = Callable[[User | None], FlaskClient]


def decided_complaint(db: Session, shop: Shop, office: Office, outcome: ComplaintOutcome) -> None:
    """A complaint about the first producer, decided by its county office with ``outcome``."""
    complaint, _token = give_complaint(db, shop.product_a)
    review.decide(db, office.shule, complaint, outcome, "经核查属实。")


def test_a_clean_producer_keeps_100_points(db: Session, shop: Shop) -> None:
    assessment = assess(db, shop.producer_a)
    assert (assessment.score, assessment.reasons, assessment.recommended) == (100, [], StandingLevel.GOOD)


def test_complaints_decided_against_the_producer_cost_points_and_unfounded_ones_nothing(
    db: Session, shop: Shop, office: Office
) -> None:
    decided_complaint(db, shop, office, ComplaintOutcome.WARNING)
    decided_complaint(db, shop, office, ComplaintOutcome.REMEDY)
    decided_complaint(db, shop, office, ComplaintOutcome.UNFOUNDED)
    decided_complaint(db, shop, office, ComplaintOutcome.RECALL)
    assessment = assess(db, shop.producer_a)
    assert assessment.score == 100 - 10 - 5 - 20 == 65
    assert {r.code: (r.count, r.points) for r in assessment.reasons} == {
        "complaint_warning": (1, 10),
        "complaint_remedy": (1, 5),
        "complaint_recall": (1, 20),
    }
    assert assessment.recommended is StandingLevel.WARNED
    # a year later they no longer count
    assert assess(db, shop.producer_a, utcnow() + timedelta(days=366)).score == 100
    assert assess(db, shop.producer_b).score == 100  # another producer's complaints are not this one's


def test_low_ratings_and_late_shipping_cost_points(db: Session, shop: Shop) -> None:
    db.add(ProducerRatingSummary(producer_id=shop.producer_a.id, count=6, star_sum=15))  # 2.5 stars
    batch = new_batch(db, shop.product_a, quantity=200, by=shop.owner_a)
    now = utcnow()
    for number in range(12):
        order = build_order(db, shop.buyer, [(batch, 1)], status=OrderStatus.SHIPPED)
        order.paid_at = now - timedelta(days=10)
        # 4 of 12 shipped after three days: a third late
        order.shipped_at = order.paid_at + timedelta(days=3 if number < 4 else 1)
    waiting = build_order(db, shop.buyer, [(batch, 1)], status=OrderStatus.PAID)
    waiting.paid_at = now - timedelta(hours=2)  # still within its 48 hours: not judged yet
    db.flush()
    assessment = assess(db, shop.producer_a, now)
    reasons = {r.code: (r.count, r.points, r.figure) for r in assessment.reasons}
    assert reasons == {"low_rating": (6, 20, 2.5), "late_shipping": (4, 20, 333)}
    assert assessment.score == 60 and assessment.recommended is StandingLevel.WARNED


def test_the_county_office_restricts_then_suspends_then_reinstates(
    db: Session, shop: Shop, office: Office, as_user: Client
) -> None:
    decided_complaint(db, shop, office, ComplaintOutcome.SUSPENSION)
    desk = as_user(office.shule)
    page = f"/oversight/standing/producers/{shop.producer_a.id}"
    assert desk.post(f"{page}/assess").status_code == 302
    assert "80" in desk.get("/oversight/standing/").get_data(as_text=True)

    refused = desk.post(f"{page}/decide", data={"level": "restricted", "reason": ""})
    assert refused.status_code == 400
    response = desk.post(
        f"{page}/decide", data={"level": "restricted", "reason": "投诉属实，整改期间限制上新。"}
    )
    assert response.status_code == 302
    db.expire_all()
    standing = services.standing_of(db, shop.producer_a.id)
    assert standing is not None and standing.level is StandingLevel.RESTRICTED and standing.score == 80

    # no new listings: on the page (409 with the county office's reason) and in the service
    new = as_user(shop.owner_a).post(
        "/producer/products/new",
        data={
            "producer_id": str(shop.producer_a.id),
            "name": "疏勒县鲜番茄",
            "category": "vegetables",
            "unit": "kg",
            "price": "12.50",
            "institution_moq": "20",
            "season_start": "6",
            "season_end": "10",
        },
    )
    assert new.status_code == 409 and "整改期间限制上新" in new.get_data(as_text=True)
    with pytest.raises(ListingRestricted):
        create_product(db, shop.owner_a, shop.producer_a, product_data())
    create_product(db, shop.owner_b, shop.producer_b, product_data())  # the other producer still lists

    # the owner is told, sees the card on the workbench and the reasons on its page, and cannot decide
    told = db.scalars(
        select(Notification.body).where(
            Notification.user_id == shop.owner_a.id, Notification.kind == "standing.decided"
        )
    ).all()
    assert len(told) == 1 and "整改期间限制上新" in told[0]
    owner = as_user(shop.owner_a)
    assert page in owner.get("/producer/").get_data(as_text=True)
    mine = owner.get(page)
    assert mine.status_code == 200
    assert "Complaints decided with sales suspended: 1: −20 points" in mine.get_data(as_text=True)
    assert owner.post(f"{page}/decide", data={"level": "good", "reason": ""}).status_code == 403

    assert (
        desk.post(f"{page}/decide", data={"level": "suspended", "reason": "屡次违规，暂停销售。"}).status_code
        == 302
    )
    db.expire_all()
    assert shop.producer_a.status is ProducerStatus.SUSPENDED
    assert desk.post(f"{page}/decide", data={"level": "good", "reason": ""}).status_code == 302
    db.expire_all()
    assert shop.producer_a.status is ProducerStatus.APPROVED
    assert services.restriction_reason(db, shop.producer_a.id) is None
    actions = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_type == "producer", AuditEntry.subject_id == shop.producer_a.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [a for a in actions if a.startswith(("standing.", "producer."))] == [
        "standing.restricted",
        "producer.suspend",
        "standing.suspended",
        "producer.reinstate",
        "standing.good",
    ]


def test_only_the_county_office_decides_and_only_members_and_reviewers_see(
    db: Session, shop: Shop, office: Office, as_user: Client, make_user: Callable[..., User]
) -> None:
    page = f"/oversight/standing/producers/{shop.producer_a.id}"
    for user in (office.chengkou, shop.owner_b, shop.buyer):
        assert as_user(user).get(page).status_code == 403
        assert (
            as_user(user).post(f"{page}/decide", data={"level": "warned", "reason": "x"}).status_code == 403
        )
    assert as_user(office.shule).get("/oversight/standing/producers/999999").status_code == 404
    assert as_user(shop.buyer).get("/oversight/standing/").status_code == 403
    assert as_user(office.admin).get(page).status_code == 200
    bad = as_user(office.shule).post(f"{page}/decide", data={"level": "banished", "reason": "x"})
    assert bad.status_code == 400
    with pytest.raises(NotCountyReviewer):
        services.decide(db, office.chengkou, shop.producer_a, StandingLevel.WARNED, "x")
    with pytest.raises(StandingReasonRequired):
        services.decide(db, office.shule, shop.producer_a, StandingLevel.WARNED, "x" * 501)
    assert services.standing_of(db, shop.producer_a.id) is None  # nothing half-written


def test_the_nightly_assessment_scores_every_approved_producer(
    app: Flask, db: Session, shop: Shop, office: Office
) -> None:
    decided_complaint(db, shop, office, ComplaintOutcome.WARNING)
    db.commit()  # the command's session is another one on the test's connection
    result = app.test_cli_runner().invoke(args=["oversight", "standing"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    rows = {
        row.producer_id: row.score
        for row in db.scalars(
            select(ProducerStanding).where(
                ProducerStanding.producer_id.in_([shop.producer_a.id, shop.producer_b.id])
            )
        )
    }
    assert rows == {shop.producer_a.id: 90, shop.producer_b.id: 100}


def test_an_upheld_price_alert_costs_points_and_a_dismissed_one_nothing(
    db: Session, shop: Shop, office: Office, as_user: Client
) -> None:
    change_price(db, shop.owner_a, shop.product_a, 1750)  # a 40 % rise: an alert
    (alert,) = db.scalars(select(PriceAlert).where(PriceAlert.product_id == shop.product_a.id))
    assert assess(db, shop.producer_a).score == 100  # an open alert costs nothing yet
    price_review.dismiss(db, office.shule, alert, "产地霜冻减产，价格有据可查", utcnow())
    assert assess(db, shop.producer_a).score == 100

    change_price(db, shop.owner_a, shop.product_a, 1250)
    change_price(db, shop.owner_a, shop.product_a, 1750)
    upheld = db.scalars(select(PriceAlert).where(PriceAlert.open_product_id == shop.product_a.id)).one()
    price_review.mark_corrected(db, office.shule, upheld, None, utcnow())
    assessment = assess(db, shop.producer_a)
    assert assessment.score == 100 - UPHELD_PRICE_ALERT_POINTS
    assert [r.as_json() for r in assessment.reasons] == [
        {"code": "price_alert_upheld", "count": 1, "points": UPHELD_PRICE_ALERT_POINTS, "figure": None}
    ]
    assert assess(db, shop.producer_a, utcnow() + timedelta(days=366)).score == 100  # a year later: gone
    assert assess(db, shop.producer_b).score == 100

    services.refresh(db, shop.producer_a)
    db.commit()
    page = as_user(office.shule).get(f"/oversight/standing/producers/{shop.producer_a.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Price alerts the county office upheld (price corrected): 1" in text
    assert f"{UPHELD_PRICE_ALERT_POINTS} for each price alert the county office upheld" in text
