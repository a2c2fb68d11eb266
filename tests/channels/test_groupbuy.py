"""Community group-buying: a leader applies and the county office approves; the leader opens a round; members
join it and order through the normal cart and checkout (the orders carry the ``group_buy`` channel and the
round); paying and refunding move the round's and the leader's figures with the ledger; after closing, each
producer ships one delivery to the pick-up point (a trace event on each lot), the leader receives it there
and hands each order out."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.signals import workbench_tasks
from channels.groupbuy import delivery, services
from channels.groupbuy.errors import (
    AlreadyApplied,
    AlreadyHandedOut,
    DeliveryNotReceived,
    NotAnApprovedLeader,
    ReasonRequired,
    RoundFieldError,
    RoundProductsInvalid,
    RoundStillOpen,
)
from channels.groupbuy.models import GroupDelivery, GroupLeader, GroupOrder, GroupRound, LeaderStatus
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import Region, User
from core.notifications.models import Notification
from orders.channel import Channel
from orders.fulfilment.services import ShipsWithItsGroup, ship_order
from orders.models import CartItem, Checkout, OrderStatus
from stats.models import SalesEntry
from tests.commerce import Shop
from traceability.models import EventKind, TraceEvent

FORM = {
    "recipient": "王芳",
    "mobile": "13812345678",
    "province": "370000",
    "city": "临沂市",
    "district": "兰山区",
    "detail": "北京路 18 号 3 单元 502",
    "method": "bank_transfer",
}


def _leader(db: Session, user: User, region: Region, *, approve_by: User | None = None) -> GroupLeader:
    """``user`` applies with a pick-up point in ``region``; ``approve_by`` approves when given."""
    data = services.PointData("幸福社区自提点", "团结路 8 号", region, "每天 8:00–20:00")
    leader = services.apply_as_leader(db, user, data)
    if approve_by is not None:
        services.decide_leader(db, approve_by, leader, "approve", None)
    return leader


def _round(db: Session, leader_user: User, product_ids: list[int], **changes: Any) -> GroupRound:
    """A round of ``leader_user`` closing in a day."""
    now = utcnow()
    data = services.RoundData(
        "周末蔬菜团", now + timedelta(days=1), (now + timedelta(days=2)).date(), product_ids
    )
    for name, value in changes.items():
        data = services.RoundData(**{**data.__dict__, name: value})
    return services.open_round(db, leader_user, data)


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
    found = db.scalars(
        select(Checkout).where(Checkout.buyer_id == buyer.id).order_by(Checkout.id.desc())
    ).first()
    assert found is not None
    return found


def test_a_leader_needs_the_county_office_and_a_reason_to_be_rejected(
    db: Session, make_user: Callable[..., User], region: Callable[[str], Region]
) -> None:
    shule = region("653122")
    applicant, stranger = make_user(), make_user()
    reviewer, other_reviewer = make_user(counties=[shule]), make_user(counties=[region("500229")])
    leader = _leader(db, applicant, shule)
    assert (leader.status, leader.county_id) == (LeaderStatus.PENDING, shule.id)
    with pytest.raises(AlreadyApplied):
        _leader(db, applicant, shule)
    with pytest.raises(NotAnApprovedLeader):
        _round(db, applicant, [1])
    for outsider in (stranger, other_reviewer, applicant):
        with pytest.raises(PermissionDenied):
            services.decide_leader(db, outsider, leader, "approve", None)
    with pytest.raises(ReasonRequired):
        services.decide_leader(db, reviewer, leader, "reject", "  ")
    pending = db.scalars(services.pending_leaders(reviewer)).all()
    assert leader in pending and leader not in db.scalars(services.pending_leaders(other_reviewer)).all()
    services.decide_leader(db, reviewer, leader, "approve", None)
    assert leader.is_approved and leader.decided_at is not None


def test_a_round_checks_its_dates_and_products(
    db: Session, shop: Shop, make_user: Callable[..., User], make_admin: Callable[[], User], region: Any
) -> None:
    user = make_user()
    _leader(db, user, region("653122"), approve_by=make_admin())
    now = utcnow()
    with pytest.raises(RoundFieldError):
        _round(db, user, [shop.product_a.id], closes_at=now - timedelta(minutes=1))
    with pytest.raises(RoundFieldError):
        _round(db, user, [shop.product_a.id], closes_at=now + timedelta(days=40))
    with pytest.raises(RoundFieldError):
        _round(db, user, [shop.product_a.id], pickup_on=(now - timedelta(days=1)).date())
    with pytest.raises(RoundProductsInvalid):
        _round(db, user, [])
    with pytest.raises(RoundProductsInvalid):
        _round(db, user, [987654321])
    group_round = _round(db, user, [shop.product_a.id, shop.product_a.id])
    assert [p.product_id for p in group_round.products] == [shop.product_a.id]


def test_members_order_through_checkout_and_the_leader_hands_out_one_delivery(
    app: Flask,
    db: Session,
    shop: Shop,
    make_user: Callable[..., User],
    make_admin: Callable[[], User],
    confirm_transfer: Any,
    as_user: Callable[[User | None], FlaskClient],
    region: Callable[[str], Region],
) -> None:
    admin = make_admin()
    leader_user = make_user(name="张团长")
    leader = _leader(db, leader_user, region("653122"), approve_by=make_user(counties=[region("653122")]))
    group_round = _round(db, leader_user, [shop.product_a.id])

    member = as_user(shop.buyer)
    assert member.post(f"/channels/group-buy/rounds/{group_round.id}/join").status_code == 302
    checkout = _check_out(member, db, shop.buyer, {shop.product_a.id: 2, shop.product_b.id: 1})
    orders = {order.producer_id: order for order in checkout.orders}
    tomatoes, pork = orders[shop.producer_a.id], orders[shop.producer_b.id]
    assert (tomatoes.channel, tomatoes.channel_ref) == (Channel.GROUP_BUY, f"groupbuy:{group_round.id}")
    assert pork.channel is Channel.ONLINE  # the round does not offer it

    neighbour = make_user(name="李邻居")
    other = as_user(neighbour)
    assert other.post(f"/channels/group-buy/rounds/{group_round.id}/join").status_code == 302
    second = _check_out(other, db, neighbour, {shop.product_a.id: 3})
    assert second.orders[0].channel is Channel.GROUP_BUY
    late_user = make_user(name="王晚付")  # joins and orders in time, but the transfer is confirmed late
    late_client = as_user(late_user)
    assert late_client.post(f"/channels/group-buy/rounds/{group_round.id}/join").status_code == 302
    late = _check_out(late_client, db, late_user, {shop.product_a.id: 1})
    outsider = make_user()  # never joined: an ordinary online order
    plain = _check_out(as_user(outsider), db, outsider, {shop.product_a.id: 1})
    assert plain.orders[0].channel is Channel.ONLINE

    assert confirm_transfer(checkout, admin=admin).status_code == 302
    assert confirm_transfer(second, admin=admin).status_code == 302
    db.expire_all()
    sale = db.scalars(select(SalesEntry).where(SalesEntry.source_id == tomatoes.lines[0].id)).one()
    assert (sale.channel, sale.amount_fen) == (Channel.GROUP_BUY, 2500)
    assert (group_round.orders_count, group_round.sales_fen, group_round.counted_fen) == (2, 6250, 6250)
    assert services.round_totals(db, group_round) == (2, 6250, 6250, 0)
    assert (leader.orders_count, leader.sales_fen, leader.counted_fen) == (2, 6250, 6250)

    desk = as_user(leader_user).get("/channels/group-buy/mine").get_data(as_text=True)
    assert "¥62.50" in desk
    listed = as_user(leader_user).get(f"/channels/group-buy/rounds/{group_round.id}/orders")
    assert listed.status_code == 200
    page = listed.get_data(as_text=True)
    assert tomatoes.number in page and second.orders[0].number in page and plain.orders[0].number not in page

    producer = as_user(shop.owner_a)
    ship_url = f"/channels/group-buy/rounds/{group_round.id}/ship"
    assert producer.post(ship_url, data={"producer_id": str(shop.producer_a.id)}).status_code == 409  # open
    group_round.closes_at = utcnow() - timedelta(minutes=1)
    db.flush()
    assert "周末蔬菜团" in producer.get("/channels/group-buy/supply").get_data(as_text=True)
    with app.test_request_context():
        cards = {task["kind"]: task for task in workbench_tasks(db, [shop.producer_a.id])}
    assert cards["group_orders_to_deliver"]["count"] == 2  # paid; the late one is not paid yet
    assert cards["group_orders_to_deliver"]["href"] == "/channels/group-buy/supply"
    with pytest.raises(ShipsWithItsGroup):  # never by courier to the member's own address
        ship_order(db, shop.owner_a, tomatoes, "顺丰速运", "SF1234567890")
    assert producer.post(ship_url, data={"producer_id": str(shop.producer_a.id)}).status_code == 302
    assert producer.post(ship_url, data={"producer_id": str(shop.producer_a.id)}).status_code == 409
    db.expire_all()
    shipped = db.scalars(select(GroupDelivery).where(GroupDelivery.round_id == group_round.id)).one()
    assert shipped.orders_count == 2
    with app.test_request_context():
        cards = {task["kind"]: task for task in workbench_tasks(db, [shop.producer_a.id])}
    assert cards["group_orders_to_deliver"]["count"] == 0
    assert (shipped.orders_count, shipped.lots) == (2, {str(shop.batch_a.id): 5})
    assert tomatoes.status is OrderStatus.SHIPPED
    events = db.scalars(
        select(TraceEvent).where(TraceEvent.batch_id == shop.batch_a.id).order_by(TraceEvent.seq)
    ).all()
    assert events[-1].kind is EventKind.SHIPPING and events[-1].details["to"] == leader.trace_place
    assert events[-1].details["quantity"] == 5
    assert confirm_transfer(late, admin=admin).status_code == 302  # paid after the delivery left
    assert producer.post(ship_url, data={"producer_id": str(shop.producer_a.id)}).status_code == 302
    db.expire_all()
    deliveries = db.scalars(
        select(GroupDelivery).where(GroupDelivery.round_id == group_round.id).order_by(GroupDelivery.id)
    ).all()
    assert [d.orders_count for d in deliveries] == [2, 1]

    member_row = db.scalars(select(GroupOrder).where(GroupOrder.order_id == tomatoes.id)).one()
    hand_out_url = f"/channels/group-buy/members/{member_row.id}/hand-out"
    assert as_user(leader_user).post(hand_out_url).status_code == 409  # not received yet
    assert as_user(neighbour).post(f"/channels/group-buy/deliveries/{shipped.id}/receive").status_code == 403
    assert (
        as_user(leader_user).post(f"/channels/group-buy/deliveries/{shipped.id}/receive").status_code == 302
    )
    db.expire_all()
    received = db.scalars(
        select(TraceEvent).where(TraceEvent.batch_id == shop.batch_a.id).order_by(TraceEvent.seq.desc())
    ).first()
    assert received is not None
    assert (received.kind, received.place, received.region_id) == (
        EventKind.RECEIVING,
        leader.trace_place,
        leader.region_id,
    )
    told = db.scalars(
        select(Notification).where(
            Notification.user_id == shop.buyer.id, Notification.kind == "group_pickup_ready"
        )
    ).one()
    assert tomatoes.number in told.subject and leader.point_name in told.body
    assert as_user(leader_user).post(hand_out_url).status_code == 302
    assert as_user(leader_user).post(hand_out_url).status_code == 409
    db.expire_all()
    assert tomatoes.status is OrderStatus.RECEIVED and member_row.handed_out_at is not None

    refund = as_user(admin).post(
        f"/payments/orders/{second.orders[0].id}/refund", data={"reason": "不要了", "everything": "1"}
    )
    assert refund.status_code == 302
    db.expire_all()
    assert (group_round.orders_count, group_round.sales_fen, group_round.refunded_fen) == (3, 3750, 3750)
    assert services.round_totals(db, group_round) == (3, 3750, 3750, 3750)
    assert (leader.sales_fen, leader.counted_fen, leader.refunded_fen) == (3750, 3750, 3750)


def test_deliveries_and_hand_outs_refuse_the_wrong_person_and_the_wrong_moment(
    db: Session, shop: Shop, make_user: Callable[..., User], make_admin: Callable[[], User], region: Any
) -> None:
    leader_user = make_user()
    _leader(db, leader_user, region("653122"), approve_by=make_admin())
    group_round = _round(db, leader_user, [shop.product_a.id])
    with pytest.raises(RoundStillOpen):
        delivery.ship_delivery(db, shop.owner_a, group_round, shop.producer_a)
    with pytest.raises(PermissionDenied):
        delivery.ship_delivery(db, shop.owner_b, group_round, shop.producer_a)
    group_round.closes_at = utcnow() - timedelta(minutes=1)
    db.flush()
    from channels.groupbuy.errors import NothingToDeliver

    with pytest.raises(NothingToDeliver):
        delivery.ship_delivery(db, shop.owner_a, group_round, shop.producer_a)
    found = GroupDelivery(round_id=group_round.id, producer_id=shop.producer_a.id, orders_count=0, lots={})
    db.add(found)
    db.flush()
    with pytest.raises(PermissionDenied):
        delivery.receive_delivery(db, shop.owner_a, found)
    assert delivery.receive_delivery(db, leader_user, found).received_at is not None
    assert DeliveryNotReceived.status == AlreadyHandedOut.status == 409


def test_the_pages_answer_bad_input_with_a_message(
    db: Session,
    shop: Shop,
    make_user: Callable[..., User],
    make_admin: Callable[[], User],
    as_user: Callable[[User | None], FlaskClient],
    english: None,
) -> None:
    user = make_user()
    user.locale = "en"
    client = as_user(user)
    form = {
        "point_name": "幸福社区自提点",
        "address": "团结路 8 号",
        "region_code": "653122",
        "opening_hours": "全天",
    }
    assert client.post("/channels/group-buy/apply", data={**form, "region_code": "999999"}).status_code == 422
    assert client.post("/channels/group-buy/apply", data={**form, "region_code": "abc"}).status_code == 400
    assert client.get("/channels/group-buy/rounds/new").status_code == 403
    assert client.post("/channels/group-buy/apply", data=form).status_code == 302
    assert client.get("/channels/group-buy/apply").status_code == 302  # already applied: to the desk
    leader = db.scalars(select(GroupLeader).where(GroupLeader.user_id == user.id)).one()
    admin = as_user(make_admin())
    decide = f"/channels/group-buy/leaders/{leader.id}/decide"
    assert admin.post(decide, data={"action": "reject"}).status_code == 422
    assert admin.post(decide, data={"action": "nonsense"}).status_code == 400
    assert admin.post(decide, data={"action": "approve"}).status_code == 302
    assert admin.post(decide, data={"action": "approve"}).status_code == 409
    round_form = {
        "title": "周末蔬菜团",
        "closes_at": (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "pickup_on": (utcnow() + timedelta(days=3)).strftime("%Y-%m-%d"),
        "products": str(shop.product_a.id),
    }
    assert (
        client.post("/channels/group-buy/rounds/new", data={**round_form, "products": "x"}).status_code == 422
    )
    assert (
        client.post("/channels/group-buy/rounds/new", data={**round_form, "closes_at": "soon"}).status_code
        == 400
    )
    created = client.post("/channels/group-buy/rounds/new", data=round_form)
    assert created.status_code == 302
    group_round = db.scalars(select(GroupRound).where(GroupRound.leader_id == leader.id)).one()
    assert "Join this group order" in as_user(shop.buyer).get(created.headers["Location"]).get_data(
        as_text=True
    )
    group_round.closes_at = utcnow() - timedelta(minutes=1)
    db.flush()
    assert as_user(shop.buyer).post(f"/channels/group-buy/rounds/{group_round.id}/join").status_code == 409
    assert as_user(shop.buyer).get(f"/channels/group-buy/rounds/{group_round.id}/orders").status_code == 403
