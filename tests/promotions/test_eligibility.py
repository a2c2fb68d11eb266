"""Who may use a promotion, a coupon or a flash sale: everyone, new buyers, staff of an institution, invited
buyers (a code claimed once); a clear translated reason when not, at the preview, at checkout and at the
press; claiming one code from two requests at once gives it to one buyer only (real threads on committed
rows, SQLite here and with scripts/with-postgres)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from core.db import make_engine, utcnow
from core.models import User
from core.transactions import run_unit_of_work
from orders.cart import services as carts
from orders.cart.quotes import quote
from procurement.institutions.models import Institution, InstitutionKind
from promotions.coupons.models import Coupon, CouponMode
from promotions.coupons.services import create_batch
from promotions.eligibility.errors import InvitationTaken, NotEligible
from promotions.eligibility.models import Eligibility, Invitation
from promotions.eligibility.services import Audience, claim_invitation, issue_invitations
from promotions.flash.services import buy
from promotions.offers.errors import InvalidPromotion
from promotions.offers.models import Promotion, PromotionKind
from promotions.offers.services import PromotionData, create_promotion, preview
from promotions.points.services import earn
from tests.commerce import Shop
from tests.promotions.flash_support import ADDRESS_FORM, make_sale
from tests.promotions.support import ADDRESS, make_promotion, pay, place

Client = Callable[[User | None], FlaskClient]


def _named(institution: Institution) -> Institution:
    """The institution, renamed 临沂市 (a paired partner city)."""
    institution.name = "临沂市"
    return institution


def _priced(db: Session, shop: Shop, buyer: User | None) -> Any:
    view = carts.cart_view(db, {shop.product_b.id: 2}, today=shanghai_date())
    return quote(db, view, buyer, now=utcnow())


def test_staff_of_an_institution_only(
    db: Session,
    shop: Shop,
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    english: None,
) -> None:
    staff = make_user(name="临沂市职工")
    staff.locale = "en"
    city = _named(make_institution(member=staff, kind=InstitutionKind.PARTNER))
    make_promotion(
        db, title="职工专享", amount_fen=1000, eligibility=Eligibility.STAFF, eligible_institution=city
    )
    assert _priced(db, shop, staff).discounts.total_fen == 1000
    refused = _priced(db, shop, shop.buyer)
    assert refused.discounts.total_fen == 0
    assert refused.discounts.notes == [
        "“职工专享” does not apply: Only for staff of 临沂市: your account is not a member of it."
    ]
    assert _priced(db, shop, None).discounts.notes == [
        "“职工专享” does not apply: Only for staff of 临沂市: please sign in."
    ]
    checkout = place(db, staff, {shop.product_b.id: 2})
    assert checkout.total_fen == 13600 - 1000


def test_new_buyers_are_told_why_once_they_have_paid(
    db: Session, shop: Shop, make_admin: Callable[[], User], english: None
) -> None:
    make_promotion(db, title="新人礼", amount_fen=500, eligibility=Eligibility.NEW_BUYERS)
    first = place(db, shop.buyer, {shop.product_b.id: 2})
    assert first.total_fen == 13100
    pay(db, make_admin(), first)
    later = _priced(db, shop, shop.buyer)
    assert later.discounts.total_fen == 0
    assert later.discounts.notes == [
        "“新人礼” does not apply: Only for new buyers: you have already paid an order."
    ]


def test_invited_buyers_claim_a_code_once(
    db: Session, shop: Shop, as_user: Client, make_user: Callable[..., User], english: None
) -> None:
    promotion = make_promotion(db, title="临沂市民专享", amount_fen=800, eligibility=Eligibility.INVITED)
    [invitation] = issue_invitations(db, promotion.audience, 1)
    client = as_user(shop.buyer)
    client.post("/cart/add", data={"product_id": shop.product_b.id, "quantity": 2})
    page = client.get("/checkout").get_data(as_text=True)
    assert "Only for invited buyers: enter your invitation code" in page
    assert client.post("/promotions/invitations", data={"code": "NOSUCHCODE"}).status_code == 404
    assert client.post("/promotions/invitations", data={"code": ""}).status_code == 400
    accepted = client.post("/promotions/invitations", data={"code": invitation.code.lower()})
    assert accepted.status_code == 302
    assert _priced(db, shop, shop.buyer).discounts.total_fen == 800
    again = client.post("/promotions/invitations", data={"code": invitation.code})
    assert again.status_code == 302  # the same buyer again: nothing changes
    other = make_user(name="别人")
    other.locale = "en"
    taken = as_user(other).post("/promotions/invitations", data={"code": invitation.code})
    assert taken.status_code == 409 and "already been used" in taken.get_data(as_text=True)
    with pytest.raises(InvitationTaken):
        claim_invitation(db, other, invitation.code, utcnow())


def test_a_coupon_for_staff_says_why_it_does_not_apply(
    db: Session,
    shop: Shop,
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    english: None,
) -> None:
    city = _named(make_institution(member=make_user(), kind=InstitutionKind.PARTNER))
    promotion = make_promotion(
        db,
        amount_fen=1000,
        eligibility=Eligibility.STAFF,
        eligible_institution=city,
        needs_coupon=True,
    )
    batch = create_batch(
        db, _admin(db, make_user), promotion, CouponMode.DISTRIBUTED, 1, 1, shanghai_date(), shanghai_date()
    )
    code = db.scalars(select(Coupon.code).where(Coupon.batch_id == batch.id)).one()
    view = carts.cart_view(db, {shop.product_b.id: 2}, today=shanghai_date())
    priced = quote(db, view, shop.buyer, now=utcnow(), coupon_code=code)
    assert priced.coupon_problem == "Only for staff of 临沂市: your account is not a member of it."


def _admin(db: Session, make_user: Callable[..., User]) -> User:
    admin = make_user(name="管理员")
    admin.is_admin = True
    db.flush()
    return admin


def test_the_preview_and_creation_state_who_may_use_it(
    db: Session, shop: Shop, make_admin: Callable[[], User], english: None
) -> None:
    today = shanghai_date()
    data = PromotionData(
        title="职工专享",
        kind=PromotionKind.SPEND_SAVE,
        sponsor_key="platform",
        starts_on=today,
        ends_on=today,
        budget_fen=100000,
        threshold_fen=5000,
        amount_fen=500,
        eligibility=Eligibility.STAFF,
    )
    admin = make_admin()
    with pytest.raises(InvalidPromotion, match="institution whose staff"):
        create_promotion(db, admin, data)
    invited = create_promotion(
        db,
        admin,
        PromotionData(**{**data.__dict__, "eligibility": Eligibility.INVITED}),
    )
    shown = preview(db, invited, shop.product_b, 1, utcnow())
    assert shown.notes == ["Given only to: Invited buyers only (with an invitation code)."]


def test_a_flash_sale_for_staff_or_invited_buyers(
    db: Session,
    shop: Shop,
    as_user: Client,
    make_admin: Callable[[], User],
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    english: None,
) -> None:
    admin = make_admin()
    staff = make_user(name="职工")
    city = _named(make_institution(member=staff, kind=InstitutionKind.PARTNER))
    for user in (staff, shop.buyer):
        earn(db, user.id, 100, "order", 10_000_000 + user.id, utcnow())
    for_staff = make_sale(
        db, admin, shop.product_b, eligibility=Eligibility.STAFF, eligible_institution_id=city.id
    )
    with pytest.raises(NotEligible) as caught:
        buy(db, shop.buyer, for_staff, ADDRESS)
    assert caught.value.status == 403 and "Only for staff of 临沂市" in str(caught.value)
    page = as_user(shop.buyer).get(f"/promotions/flash/{for_staff.id}").get_data(as_text=True)
    assert "Only for staff of 临沂市: your account is not a member of it." in page
    assert buy(db, staff, for_staff, ADDRESS).paid_at is not None
    invited = make_sale(db, admin, shop.product_b, eligibility=Eligibility.INVITED)
    admin_client = as_user(admin)
    assert admin_client.get(f"/promotions/flash/{invited.id}/invitations").status_code == 200
    made = admin_client.post(f"/promotions/flash/{invited.id}/invitations", data={"count": "2"})
    assert made.status_code == 302
    assert as_user(shop.buyer).get(f"/promotions/flash/{invited.id}/invitations").status_code == 404
    code = db.scalars(select(Invitation.code).where(Invitation.flash_sale_id == invited.id)).first()
    assert code is not None
    client = as_user(shop.buyer)
    refused = client.post(f"/promotions/flash/{invited.id}/buy", data=ADDRESS_FORM)
    assert refused.status_code == 403 and "invitation code" in refused.get_data(as_text=True)
    claimed = client.post("/promotions/invitations", data={"code": code})
    assert claimed.headers["Location"].endswith(f"/promotions/flash/{invited.id}")
    assert client.post(f"/promotions/flash/{invited.id}/buy", data=ADDRESS_FORM).status_code == 302


def test_invitation_codes_only_for_invitation_promotions(db: Session, shop: Shop) -> None:
    promotion = make_promotion(db, amount_fen=100)
    with pytest.raises(Exception, match="invitation codes"):
        issue_invitations(db, promotion.audience, 1)
    with pytest.raises(Exception, match="invitation codes"):
        issue_invitations(db, Audience(Eligibility.INVITED, promotion_id=promotion.id), 0)


# --- the race: two buyers claim one code at the same moment ---------------------------------------------


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database (outside the rolled-back test transaction)."""
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


def test_one_code_claimed_at_once_by_many_goes_to_one_buyer(app: Flask, engine: Engine) -> None:
    count = 8
    lot = secrets.token_hex(4)
    with Session(engine) as session:
        users = [
            User(email=f"invite-{lot}-{i}@example.test", display_name="市民", password_hash="!")
            for i in range(count)
        ]
        promotion = make_promotion(
            session, title=f"邀请{lot}", amount_fen=100, eligibility=Eligibility.INVITED
        )
        session.add_all(users)
        session.flush()
        [invitation] = issue_invitations(session, promotion.audience, 1)
        session.commit()
        user_ids, code, promotion_id = [u.id for u in users], invitation.code, promotion.id
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        with app.test_request_context("/promotions/invitations", method="POST"), Session(engine) as session:
            barrier.wait(timeout=60)
            try:
                user = session.get(User, user_ids[index])
                assert user is not None
                results[index] = run_unit_of_work(
                    lambda: claim_invitation(session, user, code, utcnow()).user_id, session
                )
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        winners = [r for r in results if isinstance(r, int)]
        assert len(winners) == 1 and winners[0] in user_ids, results
        assert all(isinstance(r, InvitationTaken) for r in results if not isinstance(r, int)), results
        with Session(engine) as session:
            assert session.scalar(select(Invitation.user_id).where(Invitation.code == code)) == winners[0]
    finally:
        with Session(engine) as session:
            session.execute(delete(Invitation).where(Invitation.promotion_id == promotion_id))
            session.execute(delete(Promotion).where(Promotion.id == promotion_id))
            session.execute(delete(User).where(User.id.in_(user_ids)))
            session.commit()
