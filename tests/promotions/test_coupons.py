"""Coupons: claimed or printed, single-use or limited, entered at checkout, and a clear reason whenever one
does not apply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from orders.cart import services as carts
from orders.cart.quotes import quote
from promotions.coupons.errors import AllClaimed, AlreadyClaimed, CouponNotApplicable
from promotions.coupons.models import Coupon, CouponBatch, CouponMode
from promotions.coupons.services import claim, create_batch
from promotions.offers.models import Promotion
from tests.commerce import Shop
from tests.conftest import row_count
from tests.promotions.support import make_promotion, place

Client = Callable[[User | None], FlaskClient]


def _batch(
    db: Session,
    admin: User,
    promotion: Promotion,
    mode: CouponMode = CouponMode.DISTRIBUTED,
    codes: int = 3,
    uses: int = 1,
    starts_in: int = 0,
    days: int = 10,
) -> CouponBatch:
    today = shanghai_date()
    return create_batch(
        db,
        admin,
        promotion,
        mode,
        codes,
        uses,
        today + timedelta(days=starts_in),
        today + timedelta(days=starts_in + days),
    )


def _code(db: Session, batch: CouponBatch) -> str:
    return (
        db.scalars(select(Coupon.code).where(Coupon.batch_id == batch.id).order_by(Coupon.id)).first() or ""
    )


def _problem(db: Session, buyer: User | None, items: dict[int, int], code: str) -> str | None:
    return quote(db, carts.cart_view(db, items), buyer, coupon_code=code).coupon_problem


@pytest.fixture()
def admin(make_admin: Callable[[], User]) -> User:
    return make_admin()


def test_a_coupon_promotion_applies_only_with_its_code_and_a_single_use_code_only_once(
    db: Session, shop: Shop, admin: User, english: None
) -> None:
    promotion = make_promotion(db, title="腊肉券", threshold_fen=5000, amount_fen=1000)
    code = _code(db, _batch(db, admin, promotion))
    assert place(db, shop.buyer, {shop.product_b.id: 1}).total_fen == 6800  # no code, no discount
    assert place(db, shop.buyer, {shop.product_b.id: 1}, coupon_code=code.lower()).total_fen == 5800
    with pytest.raises(CouponNotApplicable, match="already been used"):
        place(db, shop.buyer, {shop.product_b.id: 1}, coupon_code=code)


def test_a_limited_code_serves_as_many_checkouts_as_it_allows(
    db: Session, shop: Shop, admin: User, english: None
) -> None:
    promotion = make_promotion(db, amount_fen=100, threshold_fen=1000)
    code = _code(db, _batch(db, admin, promotion, uses=2))
    for _ in range(2):
        assert place(db, shop.buyer, {shop.product_b.id: 1}, coupon_code=code).total_fen == 6700
    assert "already been used" in (_problem(db, shop.buyer, {shop.product_b.id: 1}, code) or "")


def test_reasons_when_a_coupon_does_not_apply(
    db: Session, shop: Shop, admin: User, make_user: Callable[..., User], english: None
) -> None:
    items = {shop.product_b.id: 1}
    assert _problem(db, shop.buyer, items, "NOSUCHCODE") == "There is no coupon with this code."
    later = _code(db, _batch(db, admin, make_promotion(db, amount_fen=100), starts_in=2))
    assert (_problem(db, shop.buyer, items, later) or "").startswith("This coupon can be used from")
    past = _batch(db, admin, make_promotion(db, amount_fen=100))
    past.starts_at, past.ends_at = utcnow() - timedelta(days=5), utcnow() - timedelta(days=1)
    db.flush()
    assert (_problem(db, shop.buyer, items, _code(db, past)) or "").startswith("This coupon expired on")
    big = _code(db, _batch(db, admin, make_promotion(db, threshold_fen=10000, amount_fen=500)))
    assert (
        _problem(db, shop.buyer, items, big)
        == "This coupon needs goods of at least ¥100.00; your cart has ¥68.00."
    )
    other = _code(db, _batch(db, admin, make_promotion(db, amount_fen=100, producer_id=shop.producer_a.id)))
    assert _problem(db, shop.buyer, items, other) == "This coupon is not for the products in your cart."
    spent = make_promotion(db, amount_fen=500, budget_fen=400)
    assert _problem(db, shop.buyer, items, _code(db, _batch(db, admin, spent))) == (
        "The budget behind this coupon has been spent."
    )
    claimed = _batch(db, admin, make_promotion(db, amount_fen=100), mode=CouponMode.CLAIMED)
    someone = make_user()
    mine = claim(db, someone, claimed, utcnow()).code
    assert _problem(db, shop.buyer, items, mine) == "This coupon was claimed by another buyer."
    assert _problem(db, someone, items, mine) is None


def test_a_coupon_that_does_not_apply_refuses_the_checkout_and_writes_nothing(
    db: Session, shop: Shop, as_user: Client, english: None
) -> None:
    client = as_user(shop.buyer)
    client.post("/cart/add", data={"product_id": shop.product_b.id, "quantity": 1})
    page = client.get("/checkout?coupon=NOSUCHCODE").get_data(as_text=True)
    assert "There is no coupon with this code." in page
    response = client.post(
        "/checkout",
        data={
            "recipient": "王芳",
            "mobile": "13812345678",
            "province": "370000",
            "city": "临沂市",
            "district": "兰山区",
            "detail": "北京路 18 号",
            "method": "bank_transfer",
            "idempotency_key": "coupon-test-key-0123456789abcdef",
            "coupon": "NOSUCHCODE",
        },
    )
    assert response.status_code == 422
    assert "There is no coupon with this code." in response.get_data(as_text=True)
    assert row_count(db, "shop_checkout") == 0


def test_claiming_one_code_each_until_none_is_left(
    db: Session, shop: Shop, admin: User, make_user: Callable[..., User]
) -> None:
    batch = _batch(db, admin, make_promotion(db, amount_fen=100), mode=CouponMode.CLAIMED, codes=2)
    first = claim(db, shop.buyer, batch, utcnow())
    with pytest.raises(AlreadyClaimed):
        claim(db, shop.buyer, batch, utcnow())
    claim(db, make_user(), batch, utcnow())
    with pytest.raises(AllClaimed):
        claim(db, make_user(), batch, utcnow())
    db.refresh(batch)
    assert batch.issued == 2 and first.owner_id == shop.buyer.id


def test_coupon_pages(db: Session, shop: Shop, admin: User, as_user: Client, english: None) -> None:
    promotion = make_promotion(db, title="雪菊券", amount_fen=100)
    response = as_user(admin).post(
        f"/promotions/coupons/new/{promotion.id}",
        data={
            "mode": "claimed",
            "max_codes": "5",
            "uses_per_code": "1",
            "starts_on": shanghai_date().isoformat(),
            "ends_on": (shanghai_date() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    batch = db.scalars(select(CouponBatch).where(CouponBatch.promotion_id == promotion.id)).one()
    db.refresh(promotion)
    assert promotion.needs_coupon
    client = as_user(shop.buyer)
    assert "雪菊券" in client.get("/promotions/coupons/").get_data(as_text=True)
    assert client.post(f"/promotions/coupons/{batch.id}/claim").status_code == 302
    code = db.scalars(select(Coupon.code).where(Coupon.owner_id == shop.buyer.id)).one()
    assert code in client.get("/promotions/coupons/").get_data(as_text=True)
    again = client.post(f"/promotions/coupons/{batch.id}/claim")
    assert again.status_code == 409 and code in again.get_data(as_text=True)


def test_a_cancelled_checkout_gives_its_coupon_use_back(
    db: Session, shop: Shop, admin: User, english: None
) -> None:
    from orders.cancellation import cancel_orders

    promotion = make_promotion(db, amount_fen=300, threshold_fen=1000)
    code = _code(db, _batch(db, admin, promotion))
    checkout = place(db, shop.buyer, {shop.product_b.id: 1}, coupon_code=code)
    assert checkout.total_fen == 6500
    cancel_orders(db, checkout.orders, "不要了")
    assert _problem(db, shop.buyer, {shop.product_b.id: 1}, code) is None
    db.refresh(promotion)
    assert promotion.spent_fen == 0
    assert place(db, shop.buyer, {shop.product_b.id: 1}, coupon_code=code).total_fen == 6500
