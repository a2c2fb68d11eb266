"""Flash sales (积分抢购): a unit bought for points is a paid order allocated to a real batch, counted at the
list value its sponsor pays; every refusal is a fair 409 that writes nothing; a refund gives the points back;
the countdown page works without JavaScript; and many buyers racing never oversell, pass their limit or
overspend their points (the race in tests/promotions/test_flash_race.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import PermissionDenied
from core.models import User
from orders.addresses import Address
from orders.models import Allocation, Order, OrderStatus, PaymentMethod, SponsorKind
from payments.errors import RefundedByPlatform
from payments.refunds import refund_order
from promotions.flash.errors import Ended, InvalidFlashSale, LimitReached, NotStarted, SoldOut
from promotions.flash.models import FlashPurchase, FlashSale
from promotions.flash.services import buy
from promotions.points.models import PointsEntry, PointsKind
from promotions.points.services import NotEnoughPoints, balance_of, earn
from stats.counting import sale_value_fen
from tests.commerce import Shop
from tests.promotions.flash_support import ADDRESS_FORM, make_sale

Client = Callable[[User | None], FlaskClient]
ADDRESS = Address("王芳", "13812345678", "370000", "临沂市", "兰山区", "北京路 18 号")


def _points(db: Session, user: User, points: int) -> None:
    earn(db, user.id, points, "order", 10_000_000 + user.id, utcnow())


def _sold(db: Session, sale: FlashSale) -> int:
    db.refresh(sale)
    return sale.sold


def test_a_unit_bought_for_points_is_a_paid_order_drawn_from_a_batch_and_counted_at_list_value(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    sale = make_sale(db, make_admin(), shop.product_b)
    assert sale.sponsor_kind is SponsorKind.PLATFORM
    _points(db, shop.buyer, 120)
    available = shop.batch_b.quantity_available
    order = buy(db, shop.buyer, sale, ADDRESS)
    assert order.status is OrderStatus.PAID and order.checkout.method is PaymentMethod.POINTS
    line = order.lines[0]
    assert (line.unit_price_fen, line.paid_fen, line.discount_fen, line.sponsored_fen) == (
        6800,
        0,
        6800,
        6800,
    )
    assert order.total_fen == 0
    assert sale_value_fen(line) == 6800  # the platform paid the list value; the points count for nothing
    assert [d.promotion_id for d in line.discounts] == [-sale.id]
    allocation = db.scalar(select(Allocation).where(Allocation.line_id == line.id))
    assert allocation is not None and allocation.batch_id == shop.batch_b.id
    db.refresh(shop.batch_b)
    assert shop.batch_b.quantity_available == available - 1
    assert balance_of(db, shop.buyer.id) == 70  # and the order earns nothing: nothing was paid in money
    assert _sold(db, sale) == 1


def test_a_producers_own_flash_sale_counts_nothing(db: Session, shop: Shop) -> None:
    sale = make_sale(db, shop.owner_b, shop.product_b)
    assert sale.sponsor_kind is SponsorKind.PRODUCER and sale.sponsor_id == shop.producer_b.id
    _points(db, shop.buyer, 50)
    line = buy(db, shop.buyer, sale, ADDRESS).lines[0]
    assert sale_value_fen(line) == 0


def test_only_administrators_and_the_products_producer_create_flash_sales(db: Session, shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        make_sale(db, shop.owner_a, shop.product_b)
    with pytest.raises(InvalidFlashSale):
        make_sale(db, shop.owner_b, shop.product_b, ends_at=utcnow() - timedelta(days=2))


def test_every_refusal_is_a_409_that_writes_nothing(
    db: Session, shop: Shop, make_admin: Callable[[], User], make_user: Callable[..., User]
) -> None:
    admin = make_admin()
    now = utcnow()
    later = make_sale(
        db, admin, shop.product_b, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )
    over = make_sale(
        db, admin, shop.product_b, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
    )
    sale = make_sale(db, admin, shop.product_b, units=2, per_buyer_limit=1)
    _points(db, shop.buyer, 60)
    for refused, error in ((later, NotStarted), (over, Ended)):
        with pytest.raises(error) as caught:
            buy(db, shop.buyer, refused, ADDRESS)
        assert caught.value.status == 409
    poor = make_user(name="积分不够")
    _points(db, poor, 10)
    with pytest.raises(NotEnoughPoints):
        buy(db, poor, sale, ADDRESS)
    assert _sold(db, sale) == 0 and balance_of(db, poor.id) == 10  # the unit went back with the refusal
    buy(db, shop.buyer, sale, ADDRESS)
    with pytest.raises(LimitReached):
        buy(db, shop.buyer, sale, ADDRESS)
    other = make_user(name="第二位")
    _points(db, other, 50)
    buy(db, other, sale, ADDRESS)
    third = make_user(name="第三位")
    _points(db, third, 50)
    with pytest.raises(SoldOut):
        buy(db, third, sale, ADDRESS)
    assert _sold(db, sale) == 2 and balance_of(db, third.id) == 50
    assert (
        db.scalar(select(func.count()).select_from(FlashPurchase).where(FlashPurchase.sale_id == sale.id))
        == 2
    )


def test_a_refund_of_a_flash_order_gives_the_points_back_and_takes_it_out_of_the_count(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    sale = make_sale(db, admin, shop.product_b)
    _points(db, shop.buyer, 80)
    order = buy(db, shop.buyer, sale, ADDRESS)
    db.refresh(shop.batch_b)
    available = shop.batch_b.quantity_available
    with pytest.raises(RefundedByPlatform):  # points are the platform's: the producer cannot give them back
        refund_order(db, shop.owner_b, order, None, "不要了")
    refund = refund_order(db, admin, order, None, "不要了")
    assert refund.amount_fen == 0 and refund.lines[0].sponsored_fen == 6800
    assert balance_of(db, shop.buyer.id) == 80
    returned = db.scalar(select(PointsEntry).where(PointsEntry.kind == PointsKind.RETURNED))
    assert returned is not None and returned.points == 50 and returned.expires_at is not None
    assert order.status is OrderStatus.REFUNDED
    db.refresh(shop.batch_b)
    assert shop.batch_b.quantity_available == available + 1  # never shipped: back on the shelf


def test_the_countdown_page_tells_each_state_without_javascript(
    db: Session, shop: Shop, make_admin: Callable[[], User], as_user: Client, english: None
) -> None:
    admin = make_admin()
    now = utcnow()
    later = make_sale(
        db, admin, shop.product_b, starts_at=now + timedelta(minutes=90), ends_at=now + timedelta(hours=3)
    )
    page = as_user(None).get(f"/promotions/flash/{later.id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert 'http-equiv="refresh" content="60"' in text and "In 1 h 29 min" in text
    running = make_sale(db, admin, shop.product_b, units=1)
    text = as_user(shop.buyer).get(f"/promotions/flash/{running.id}").get_data(as_text=True)
    assert "Buy one for 50 points" in text and "refresh" not in text.split("<body")[0]
    assert "Sign in to buy" in as_user(None).get(f"/promotions/flash/{running.id}").get_data(as_text=True)
    over = make_sale(
        db, admin, shop.product_b, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
    )
    assert "This flash sale has ended" in as_user(None).get(f"/promotions/flash/{over.id}").get_data(
        as_text=True
    )
    _points(db, shop.buyer, 100)
    answer = as_user(shop.buyer).post(f"/promotions/flash/{running.id}/buy", data=ADDRESS_FORM)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/orders/")
    assert "Sold out" in as_user(None).get(f"/promotions/flash/{running.id}").get_data(as_text=True)
    again = as_user(shop.buyer).post(f"/promotions/flash/{running.id}/buy", data=ADDRESS_FORM)
    assert again.status_code == 409 and "Sold out" in again.get_data(as_text=True)
    early = as_user(shop.buyer).post(f"/promotions/flash/{later.id}/buy", data=ADDRESS_FORM)
    assert early.status_code == 409 and "has not started yet" in early.get_data(as_text=True)
    bad = as_user(shop.buyer).post(
        f"/promotions/flash/{running.id}/buy", data={**ADDRESS_FORM, "mobile": "12"}
    )
    assert bad.status_code == 400
    assert as_user(None).get("/promotions/flash/").status_code == 200


def test_the_creation_form(
    db: Session, shop: Shop, make_admin: Callable[[], User], as_user: Client, english: None
) -> None:
    form = {
        "title": "积分抢购",
        "product_id": str(shop.product_b.id),
        "units": "10",
        "points_price": "30",
        "per_buyer_limit": "1",
        "starts_at": "2030-01-01T10:00",
        "ends_at": "2030-01-01T12:00",
    }
    assert as_user(shop.buyer).get("/promotions/flash/new").status_code == 403
    made = as_user(make_admin()).post("/promotions/flash/new", data=form)
    assert made.status_code == 302
    sale = db.scalar(select(FlashSale).where(FlashSale.title == "积分抢购"))
    assert sale is not None and sale.starts_at.hour == 2  # 10:00 in Beijing is 02:00 UTC
    backwards = as_user(shop.owner_b).post(
        "/promotions/flash/new", data={**form, "ends_at": "2030-01-01T09:00"}
    )
    assert backwards.status_code == 422
    foreign = as_user(shop.owner_a).post("/promotions/flash/new", data=form)
    assert foreign.status_code == 403


def test_orders_paid_with_points_are_found_by_their_method(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    sale = make_sale(db, make_admin(), shop.product_b)
    _points(db, shop.buyer, 50)
    order = buy(db, shop.buyer, sale, ADDRESS)
    assert db.scalar(select(Order.id).where(Order.id == order.id, Order.paid_at.is_not(None))) == order.id
