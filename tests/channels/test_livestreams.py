"""Livestreams: a sharer's link carries the session and the sharer in the buyer's session cookie to checkout;
the order is attributed to both, enters the ledger under the ``livestream`` channel when paid, and a refund
takes it back from the ledger and from the session report alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.livestreams import reports, services
from channels.livestreams.errors import FeaturedProductsInvalid, NotAnOrganiser, SessionFieldError
from channels.livestreams.models import LiveOrder, LiveSession
from core.db import utcnow
from core.models import User
from orders.channel import Channel
from orders.models import CartItem, Checkout, Order, OrderStatus
from procurement.institutions.models import Institution
from stats import dashboards
from stats.dimensions import Dimensions
from stats.models import EntryKind, SalesEntry
from tests.commerce import Shop

FORM = {
    "recipient": "王芳",
    "mobile": "13812345678",
    "province": "370000",
    "city": "临沂市",
    "district": "兰山区",
    "detail": "北京路 18 号 3 单元 502",
    "method": "bank_transfer",
}


def _live(db: Session, shop: Shop, **changes: Any) -> LiveSession:
    """A session of producer A, on now, featuring its tomatoes."""
    now = utcnow()
    data = services.SessionData(
        organiser_name=shop.producer_a.name,
        title="疏勒县西红柿直播",
        host="县长带货",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        product_ids=[shop.product_a.id],
        replay_url="https://live.example.test/replay/1",
    )
    for name, value in changes.items():
        data = services.SessionData(**{**data.__dict__, name: value})
    return services.create_session(db, shop.owner_a, data)


def _check_out(client: FlaskClient, db: Session, buyer: User, items: dict[int, int]) -> Checkout:
    """Put ``items`` in the buyer's cart and check out through the real pages (bank transfer)."""
    for product_id, quantity in items.items():
        db.add(CartItem(user_id=buyer.id, product_id=product_id, quantity=quantity))
    db.flush()
    page = client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert key is not None
    assert client.post("/checkout", data=FORM | {"idempotency_key": key.group(1)}).status_code == 302
    db.expire_all()
    return db.scalars(
        select(Checkout).where(Checkout.buyer_id == buyer.id).order_by(Checkout.id.desc())
    ).first()


def test_a_sharer_link_attributes_the_order_through_payment_and_refund_into_the_ledger(
    db: Session,
    shop: Shop,
    make_user: Callable[..., User],
    make_admin: Callable[[], User],
    confirm_transfer: Any,
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    live = _live(db, shop)
    sharer_user = make_user(name="分享达人")
    sharer = services.sharer_link(db, sharer_user, live)
    client = as_user(shop.buyer)
    assert client.get(f"/channels/live/{live.id}?share={sharer.token}").status_code == 200

    checkout = _check_out(client, db, shop.buyer, {shop.product_a.id: 2, shop.product_b.id: 1})
    orders = {order.producer_id: order for order in checkout.orders}
    tomatoes, pork = orders[shop.producer_a.id], orders[shop.producer_b.id]
    assert (tomatoes.channel, tomatoes.channel_ref) == (Channel.LIVESTREAM, f"livestream:{live.id}")
    assert pork.channel is Channel.ONLINE  # it holds no featured product
    attributed = db.scalars(select(LiveOrder).where(LiveOrder.session_id == live.id)).one()
    assert (attributed.order_id, attributed.sharer_id, attributed.buyer_id) == (
        tomatoes.id,
        sharer.id,
        shop.buyer.id,
    )
    waiting = reports.session_report(db, live)
    assert (waiting.total.orders, waiting.awaiting_payment) == (0, 1)

    admin = make_admin()
    assert confirm_transfer(checkout, admin=admin).status_code == 302
    db.expire_all()
    sale = db.scalars(select(SalesEntry).where(SalesEntry.source_id == tomatoes.lines[0].id)).one()
    assert (sale.channel, sale.amount_fen, sale.is_certified) == (Channel.LIVESTREAM, 2500, True)
    paid = reports.session_report(db, live)
    assert (paid.total.orders, paid.total.buyers, paid.total.sales_fen, paid.total.counted_fen) == (
        1,
        1,
        2500,
        2500,
    )
    assert [(line.name, line.figures.sales_fen) for line in paid.sharers] == [("分享达人", 2500)]
    today = utcnow().date()
    filters = dashboards.Filters(start=date(today.year, 1, 1), end=date(today.year, 12, 31))
    by_channel = {row.key: row for row in dashboards.by_channel(db, filters)}
    assert by_channel["livestream"].figures.sales_fen == 2500
    assert str(by_channel["livestream"].name) == "Livestreams"
    reviewer = make_user(counties=[shop.producer_a.county])
    county_page = as_user(reviewer).get(f"/stats/county/{shop.producer_a.county.code}?year={today.year}")
    assert "直播带货" in county_page.get_data(as_text=True)  # the county dashboard's channels, in Chinese
    page = as_user(shop.owner_a).get(f"/channels/live/{live.id}/report").get_data(as_text=True)
    assert "分享达人" in page and "¥25.00" in page

    refund = as_user(admin).post(
        f"/payments/orders/{tomatoes.id}/refund", data={"reason": "不要了", "everything": "1"}
    )
    assert refund.status_code == 302
    db.expire_all()
    assert tomatoes.status is OrderStatus.REFUNDED
    taken_back = db.scalars(select(SalesEntry).where(SalesEntry.kind == EntryKind.REFUND)).one()
    assert (taken_back.channel, taken_back.amount_fen) == (Channel.LIVESTREAM, -2500)
    after = reports.session_report(db, live)
    assert (after.total.orders, after.total.sales_fen, after.total.counted_fen, after.total.refunded_fen) == (
        1,
        0,
        0,
        2500,
    )
    assert {row.key: row for row in dashboards.by_channel(db, filters)}["livestream"].figures.sales_fen == 0


def test_attribution_needs_a_featured_product_a_recent_visit_and_never_credits_the_buyer_themself(
    db: Session, shop: Shop
) -> None:
    live = _live(db, shop)
    own = services.sharer_link(db, shop.buyer, live)
    now = utcnow()

    def order_of(product_id: int) -> Order:
        order = Order(buyer_id=shop.buyer.id, producer_id=shop.producer_a.id)
        order.lines = []
        from orders.models import OrderLine

        order.lines.append(
            OrderLine(product_id=product_id, quantity=1, unit_price_fen=1, product_name="x", unit="kg")
        )
        return order

    with db.no_autoflush:
        assert (
            services.attribute(db, [order_of(shop.product_b.id)], shop.buyer, live.id, None, now, now) == []
        )
        stale = now - timedelta(hours=services.ATTRIBUTION_HOURS + 1)
        assert (
            services.attribute(db, [order_of(shop.product_a.id)], shop.buyer, live.id, None, stale, now) == []
        )
        mine = order_of(shop.product_a.id)
        assert services.attribute(db, [mine], shop.buyer, live.id, own.id, now, now) == [mine]
        added = next(o for o in db.new if isinstance(o, LiveOrder))
        assert added.sharer_id is None  # a sharer earns nothing from their own purchases
        db.expunge(added)
        db.expunge(mine)
        for line in mine.lines:
            db.expunge(line)


def test_a_staff_purchase_through_a_livestream_keeps_the_channel_and_counts_toward_the_employer(
    db: Session, make_institution: Callable[..., Institution]
) -> None:
    employer = make_institution()
    order = Order(channel=Channel.LIVESTREAM, staff_institution_id=employer.id)
    buyer = Dimensions(db).order_buyer(order)
    assert (buyer.channel, buyer.institution) == (Channel.LIVESTREAM, employer)
    online = Dimensions(db).order_buyer(Order(channel=Channel.ONLINE, staff_institution_id=employer.id))
    assert online.channel is Channel.STAFF


def test_organising_a_session_checks_organiser_times_products_and_replay(
    db: Session, shop: Shop, make_user: Callable[..., User]
) -> None:
    now = utcnow()
    with pytest.raises(SessionFieldError):
        _live(db, shop, ends_at=now - timedelta(hours=1))
    with pytest.raises(SessionFieldError):
        _live(db, shop, ends_at=now + timedelta(days=2))
    with pytest.raises(FeaturedProductsInvalid):
        _live(db, shop, product_ids=[])
    with pytest.raises(FeaturedProductsInvalid):
        _live(db, shop, product_ids=[987654321])
    from channels.livestreams.errors import ReplayLinkInvalid

    with pytest.raises(ReplayLinkInvalid):
        _live(db, shop, replay_url="javascript:alert(1)")
    with pytest.raises(NotAnOrganiser):
        services.create_session(
            db,
            make_user(),
            services.SessionData("随便", "t", "h", now, now + timedelta(hours=1), [shop.product_a.id]),
        )


def test_the_session_pages_answer_bad_input_with_a_message(
    db: Session, shop: Shop, as_user: Callable[[User | None], FlaskClient], english: None
) -> None:
    client = as_user(shop.owner_a)
    assert "Organise a livestream" in client.get("/channels/live/new").get_data(as_text=True)
    form = {
        "organiser_name": shop.producer_a.name,
        "title": "西红柿直播",
        "host": "主播小王",
        "starts_at": "2026-12-20T19:00",
        "ends_at": "2026-12-20T21:00",
        "products": f"{shop.product_a.id}",
        "replay_url": "",
    }
    assert client.post("/channels/live/new", data={**form, "products": "abc"}).status_code == 422
    assert client.post("/channels/live/new", data={**form, "ends_at": "2026-12-20T18:00"}).status_code == 422
    assert client.post("/channels/live/new", data={**form, "starts_at": "tomorrow"}).status_code == 400
    created = client.post("/channels/live/new", data=form)
    assert created.status_code == 302
    live = db.scalars(select(LiveSession).where(LiveSession.title == "西红柿直播")).one()
    assert live.starts_at.hour == 11  # 19:00 Beijing time is 11:00 UTC
    assert as_user(shop.buyer).get(f"/channels/live/{live.id}/report").status_code == 403
    assert as_user(shop.buyer).get(f"/channels/live/{live.id}?share=nonsense").status_code == 200
    assert as_user(shop.buyer).post(f"/channels/live/{live.id}/share").status_code == 302
    page = as_user(shop.buyer).get(f"/channels/live/{live.id}").get_data(as_text=True)
    assert "share=" in page
