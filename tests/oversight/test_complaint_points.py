"""A complaint the county office finds founded earns its signed-in reporter the points the platform set for
that assistance action, once per complaint; an unfounded one, an anonymous reporter, or the action switched
off earns nothing."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from oversight.complaints import review
from oversight.complaints.models import ComplaintOutcome
from promotions.points.actions import award, configure
from promotions.points.models import AssistanceAction, PointsEntry, PointsKind
from promotions.points.services import balance_of
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.support import give_complaint

REASON = "经核查，该批次冷链运输中断，已责令生产主体整改冷链。"


def _awarded(db: Session, user: User) -> list[tuple[str, int, int]]:
    rows = db.execute(
        select(PointsEntry.source, PointsEntry.source_id, PointsEntry.points).where(
            PointsEntry.user_id == user.id, PointsEntry.kind == PointsKind.AWARDED
        )
    )
    return [(source, int(source_id), int(points)) for source, source_id, points in rows]


def test_a_founded_complaint_earns_its_reporter_once(
    as_user: Callable[[User | None], FlaskClient],
    db: Session,
    shop: Shop,
    office: Office,
    make_admin: Callable[[], User],
) -> None:
    configure(db, make_admin(), AssistanceAction.COMPLAINT_UPHELD, 30, True)
    complaint, _token = give_complaint(db, shop.product_a, reporter=shop.buyer)
    before = balance_of(db, shop.buyer.id)
    decided = as_user(office.shule).post(
        f"/oversight/desk/{complaint.id}/decide", data={"outcome": "warning", "reason": REASON}
    )
    assert decided.status_code == 302
    db.expire_all()
    assert _awarded(db, shop.buyer) == [("complaint_upheld", complaint.id, 30)]
    assert balance_of(db, shop.buyer.id) == before + 30
    # delivered again for the same complaint: the ledger's unique key decides, nothing more
    assert award(db, AssistanceAction.COMPLAINT_UPHELD, shop.buyer.id, complaint.id) == 0
    assert balance_of(db, shop.buyer.id) == before + 30


def test_an_unfounded_complaint_earns_nothing(
    db: Session, shop: Shop, office: Office, make_admin: Callable[[], User]
) -> None:
    configure(db, make_admin(), AssistanceAction.COMPLAINT_UPHELD, 30, True)
    complaint, _token = give_complaint(db, shop.product_a, reporter=shop.buyer)
    review.decide(db, office.shule, complaint, ComplaintOutcome.UNFOUNDED, "经核查不属实。")
    assert _awarded(db, shop.buyer) == []


def test_anonymous_reporters_and_a_switched_off_action_earn_nothing(
    db: Session, shop: Shop, office: Office, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    anonymous, _token = give_complaint(db, shop.product_a)
    configure(db, admin, AssistanceAction.COMPLAINT_UPHELD, 30, True)
    review.decide(db, office.shule, anonymous, ComplaintOutcome.RECALL, REASON)
    assert (
        db.scalars(
            select(PointsEntry).where(
                PointsEntry.source_id == anonymous.id, PointsEntry.source == "complaint_upheld"
            )
        ).all()
        == []
    )
    configure(db, admin, AssistanceAction.COMPLAINT_UPHELD, 30, False)
    signed, _token = give_complaint(db, shop.product_a, reporter=shop.buyer)
    review.decide(db, office.shule, signed, ComplaintOutcome.REMEDY, REASON)
    assert _awarded(db, shop.buyer) == []
