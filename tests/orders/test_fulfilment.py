"""Fulfilment keeps its promises: the order state machine, shipping onto every lot's trail, receipt, ratings,
the producer's queue and packing list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import MemberRole, Producer, ProducerMember
from catalog.products.models import Product
from core.errors import InvalidTransition
from core.models import Region, User
from core.notifications.models import Notification
from orders.fulfilment import services as fulfilment
from orders.fulfilment.services import (
    AlreadyRated,
    InvalidRating,
    NotOrderProducer,
    OrderNotFound,
    QueueTab,
    RatingNotAllowed,
    ShippingDetailsInvalid,
)
from orders.models import (
    TRANSITIONS,
    Order,
    OrderStatus,
    PaymentMethod,
    Rating,
)
from orders.notices import RATED_KIND
from tests.access_rows.orders import build_order, new_batch
from tests.conftest import row_count
from traceability.chain import verify_chain
from traceability.errors import BatchRecalled
from traceability.links import trace_path
from traceability.models import EventKind
from traceability.recall.services import recall_batch


@pytest.fixture()
def seller(make_user: Callable[..., User], make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=make_user(name="合作社社长"), name="疏勒县绿源蔬菜种植农民专业合作社")


@pytest.fixture()
def owner(seller: Producer) -> User:
    return seller.members[0].user


@pytest.fixture()
def tomato(seller: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(seller, name="疏勒番茄", price_fen=1250, certified=True)


@pytest.fixture()
def jujube(seller: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(seller, name="疏勒灰枣", price_fen=3800, certified=True)


@pytest.fixture()
def buyer(make_user: Callable[..., User]) -> User:
    return make_user(name="王芳")


@pytest.fixture()
def order_of(db: Session, buyer: User, tomato: Product) -> Callable[..., Order]:
    """``order_of(status, quantity=2, method=...)`` → a fresh order of 疏勒番茄 from a batch of its own."""

    def make(status: OrderStatus = OrderStatus.PAID, quantity: int = 2, **kwargs: Any) -> Order:
        return build_order(db, buyer, [(new_batch(db, tomato), quantity)], status=status, **kwargs)

    return make


MOVES: dict[OrderStatus, Callable[[Order], None]] = {
    OrderStatus.PAID: lambda o: o.mark_paid(),
    OrderStatus.SHIPPED: lambda o: o.mark_shipped("中国邮政 EMS", "1150000000001"),
    OrderStatus.RECEIVED: lambda o: o.mark_received(),
    OrderStatus.COMPLETED: lambda o: o.mark_completed(),
    OrderStatus.CANCELLED: lambda o: o.cancel("买家取消"),
    OrderStatus.REFUNDED: lambda o: o.mark_refunded(),
}
LEGAL = [(a, b) for a in OrderStatus for b in OrderStatus if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a in OrderStatus for b in OrderStatus if b not in TRANSITIONS[a] and b in MOVES]


def test_the_state_machine_is_the_documented_one() -> None:
    assert set(LEGAL) == {
        (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.SHIPPED),  # cash on delivery only
        # cash on delivery whose cash was never collected (its goods were recalled)
        (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
        (OrderStatus.RECEIVED, OrderStatus.CANCELLED),
        (OrderStatus.PAID, OrderStatus.SHIPPED),
        (OrderStatus.SHIPPED, OrderStatus.RECEIVED),
        (OrderStatus.RECEIVED, OrderStatus.COMPLETED),
        *((s, OrderStatus.REFUNDED) for s in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RECEIVED)),
        (OrderStatus.COMPLETED, OrderStatus.REFUNDED),
    }


@pytest.mark.parametrize(("start", "target"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_transition_moves_the_order(
    order_of: Callable[..., Order], start: OrderStatus, target: OrderStatus
) -> None:
    cod = (start, target) == (OrderStatus.PENDING_PAYMENT, OrderStatus.SHIPPED)
    uncollected = target is OrderStatus.CANCELLED and start is not OrderStatus.PENDING_PAYMENT
    if uncollected:  # cash on delivery, shipped (and received) but the cash never collected
        order = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.CASH_ON_DELIVERY)
        MOVES[OrderStatus.SHIPPED](order)
        if start is OrderStatus.RECEIVED:
            MOVES[OrderStatus.RECEIVED](order)
    else:
        order = order_of(start, method=PaymentMethod.CASH_ON_DELIVERY) if cod else order_of(start)
    assert order.status is start
    MOVES[target](order)
    assert order.status is target
    stamp = {
        OrderStatus.PAID: "paid_at",
        OrderStatus.SHIPPED: "shipped_at",
        OrderStatus.RECEIVED: "received_at",
        OrderStatus.COMPLETED: "completed_at",
        OrderStatus.CANCELLED: "cancelled_at",
    }.get(target)
    if stamp:
        assert getattr(order, stamp) is not None


@pytest.mark.parametrize(("start", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_every_illegal_transition_raises_and_changes_nothing(
    order_of: Callable[..., Order], start: OrderStatus, target: OrderStatus
) -> None:
    order = order_of(start)
    before = (order.carrier, order.tracking_number, order.cancel_reason)
    with pytest.raises(InvalidTransition):
        MOVES[target](order)
    assert order.status is start
    assert (order.carrier, order.tracking_number, order.cancel_reason) == before


def test_shipping_records_a_shipping_event_on_each_allocated_batch(
    db: Session,
    client: FlaskClient,
    buyer: User,
    owner: User,
    tomato: Product,
    jujube: Product,
) -> None:
    first, second, dates, untouched = (new_batch(db, p) for p in (tomato, tomato, jujube, tomato))
    order = build_order(db, buyer, [(first, 3), (second, 2), (dates, 1)])
    counts = {b.id: b.event_count for b in (first, second, dates, untouched)}

    fulfilment.ship_order(db, owner, order, " 顺丰速运 ", " SF1402237788 ")

    assert order.status is OrderStatus.SHIPPED and order.shipped_at is not None
    assert (order.carrier, order.tracking_number) == ("顺丰速运", "SF1402237788")
    for batch, quantity in ((first, 3), (second, 2), (dates, 1)):
        db.refresh(batch)
        assert batch.event_count == counts[batch.id] + 1
        event = batch.events[-1]
        assert event.kind is EventKind.SHIPPING
        assert event.details == {
            "from": "疏勒县绿源蔬菜种植农民专业合作社",
            "to": "山东省临沂市兰山区",
            "carrier": "顺丰速运",
            "waybill": "SF1402237788",
            "order": order.number,
            "quantity": quantity,
        }
        assert event.actor_id == owner.id
        assert verify_chain(batch.events, batch.lot_code, batch.head_hash).valid
        # The public trace page shows the step, keeps its chain valid and never names the recipient.
        data = client.get(trace_path(batch), headers={"Accept": "application/json"}).get_json()
        assert data["chain"]["valid"] is True and data["events"][-1]["kind"] == "shipping"
        page = client.get(trace_path(batch)).get_data(as_text=True)
        assert "SF1402237788" in page and "山东省临沂市兰山区" in page
        assert "王芳" not in page and "13812345678" not in page and "北京路" not in page
    db.refresh(untouched)
    assert untouched.event_count == counts[untouched.id]
    [message] = db.scalars(select(Notification).where(Notification.user_id == buyer.id)).all()
    assert message.kind == "order_shipped" and message.link == f"/orders/{order.number}"
    assert "SF1402237788" in message.body and message.data == {"order": order.number}


def test_shipping_skips_units_given_back_to_their_batch(
    db: Session, buyer: User, owner: User, tomato: Product, jujube: Product
) -> None:
    kept, returned = new_batch(db, tomato), new_batch(db, jujube)
    order = build_order(db, buyer, [(kept, 2), (returned, 1)])
    order.lines[1].allocations[0].returned_quantity = 1  # refunded before shipping, back in stock
    events_before = returned.event_count
    fulfilment.ship_order(db, owner, order, "京东物流", "JD0001")
    db.refresh(returned)
    assert returned.event_count == events_before
    assert kept.events[-1].kind is EventKind.SHIPPING


@pytest.mark.parametrize("who", ["buyer", "other_producer", "reviewer", "admin"])
def test_only_members_of_the_orders_producer_ship(
    db: Session,
    order_of: Callable[..., Order],
    buyer: User,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    region: Callable[[str], Region],
    who: str,
) -> None:
    actors = {
        "buyer": lambda: buyer,
        "other_producer": lambda: make_producer(owner=make_user()).members[0].user,
        "reviewer": lambda: make_user(counties=[region("653122")]),
        "admin": lambda: make_user(is_admin=True),
    }
    order = order_of(OrderStatus.PAID)
    batch = order.lines[0].allocations[0].batch
    events, notes = batch.event_count, row_count(db, "shop_notification")
    with pytest.raises(NotOrderProducer):
        fulfilment.ship_order(db, actors[who](), order, "顺丰速运", "SF1")
    assert order.status is OrderStatus.PAID and order.carrier is None
    assert batch.event_count == events and row_count(db, "shop_notification") == notes


def test_a_second_member_of_the_producer_may_ship(
    db: Session, order_of: Callable[..., Order], seller: Producer, make_user: Callable[..., User]
) -> None:
    staff = make_user(name="发货员")
    seller.members.append(ProducerMember(user=staff, role=MemberRole.STAFF))
    db.flush()
    order = order_of(OrderStatus.PAID)
    fulfilment.ship_order(db, staff, order, "顺丰速运", "SF2")
    assert order.status is OrderStatus.SHIPPED


@pytest.mark.parametrize("status", [OrderStatus.PENDING_PAYMENT, OrderStatus.SHIPPED, OrderStatus.CANCELLED])
def test_only_paid_orders_ship(
    db: Session, order_of: Callable[..., Order], owner: User, status: OrderStatus
) -> None:
    order = order_of(status)
    batch = order.lines[0].allocations[0].batch
    events = batch.event_count
    with pytest.raises(InvalidTransition):
        fulfilment.ship_order(db, owner, order, "顺丰速运", "SF3")
    assert order.status is status and batch.event_count == events


@pytest.mark.parametrize(("carrier", "tracking"), [("", "SF4"), ("顺丰速运", "  "), ("顺丰速运", "9" * 61)])
def test_shipping_needs_a_carrier_and_a_tracking_number(
    db: Session, order_of: Callable[..., Order], owner: User, carrier: str, tracking: str
) -> None:
    order = order_of(OrderStatus.PAID)
    with pytest.raises(ShippingDetailsInvalid):
        fulfilment.ship_order(db, owner, order, carrier, tracking)
    assert order.status is OrderStatus.PAID and order.carrier is None


def test_recalled_goods_never_ship(db: Session, order_of: Callable[..., Order], owner: User) -> None:
    order = order_of(OrderStatus.PAID)
    batch = order.lines[0].allocations[0].batch
    recall_batch(db, owner, batch, "农药残留抽检不合格")
    events = batch.event_count
    with pytest.raises(BatchRecalled):
        fulfilment.ship_order(db, owner, order, "顺丰速运", "SF5")
    assert order.status is OrderStatus.PAID and batch.event_count == events


def test_the_buyer_confirms_receipt(
    db: Session, order_of: Callable[..., Order], buyer: User, owner: User, make_user: Callable[..., User]
) -> None:
    order = order_of(OrderStatus.SHIPPED)
    for stranger in (owner, make_user(is_admin=True)):
        with pytest.raises(OrderNotFound):
            fulfilment.confirm_receipt(db, stranger, order)
    assert order.status is OrderStatus.SHIPPED
    fulfilment.confirm_receipt(db, buyer, order)
    assert order.status is OrderStatus.RECEIVED and order.received_at is not None
    with pytest.raises(InvalidTransition):
        fulfilment.confirm_receipt(db, buyer, order)


def test_receipt_cannot_be_confirmed_before_shipping(
    db: Session, order_of: Callable[..., Order], buyer: User
) -> None:
    order = order_of(OrderStatus.PAID)
    with pytest.raises(InvalidTransition):
        fulfilment.confirm_receipt(db, buyer, order)
    assert order.status is OrderStatus.PAID and order.received_at is None


def test_complete_order_only_after_receipt(db: Session, order_of: Callable[..., Order]) -> None:
    shipped, received = order_of(OrderStatus.SHIPPED), order_of(OrderStatus.RECEIVED)
    with pytest.raises(InvalidTransition):
        fulfilment.complete_order(db, shipped)
    fulfilment.complete_order(db, received)
    assert received.status is OrderStatus.COMPLETED and received.completed_at is not None


def test_rating_comes_after_receipt_once_per_line_and_completes_the_order(
    db: Session, buyer: User, owner: User, tomato: Product, jujube: Product
) -> None:
    order = build_order(
        db, buyer, [(new_batch(db, tomato), 2), (new_batch(db, jujube), 1)], status=OrderStatus.SHIPPED
    )
    first, second = order.lines
    with pytest.raises(RatingNotAllowed):
        fulfilment.rate_order_line(db, buyer, first, 5, 5, "还没到")
    assert row_count(db, "shop_rating") == 0

    fulfilment.confirm_receipt(db, buyer, order)
    rating = fulfilment.rate_order_line(db, buyer, first, 5, 4, "  番茄很新鲜  ")
    assert (rating.product_id, rating.producer_id, rating.user_id) == (tomato.id, order.producer_id, buyer.id)
    assert (rating.product_stars, rating.producer_stars, rating.comment) == (5, 4, "番茄很新鲜")
    heard = db.scalars(
        select(Notification).where(Notification.user_id == owner.id, Notification.kind == RATED_KIND)
    )
    [news] = heard.all()
    assert (
        order.number in news.subject
        and news.link == "/producer/ratings/"
        and news.data == {"rating_id": rating.id}
    )
    assert order.status is OrderStatus.COMPLETED

    with pytest.raises(AlreadyRated):
        fulfilment.rate_order_line(db, buyer, first, 1, 1, "改主意了")
    fulfilment.rate_order_line(db, buyer, second, 3, 3, None)  # still open on a completed order
    assert set(fulfilment.ratings_by_line(db, order)) == {first.id, second.id}
    assert db.scalar(select(Rating.comment).where(Rating.line_id == first.id)) == "番茄很新鲜"


@pytest.mark.parametrize(("product", "producer", "comment"), [(0, 5, None), (5, 6, None), (3, 3, "好" * 501)])
def test_ratings_are_one_to_five_stars_with_a_short_comment(
    db: Session, order_of: Callable[..., Order], buyer: User, product: int, producer: int, comment: str | None
) -> None:
    order = order_of(OrderStatus.RECEIVED)
    with pytest.raises(InvalidRating):
        fulfilment.rate_order_line(db, buyer, order.lines[0], product, producer, comment)
    assert row_count(db, "shop_rating") == 0 and order.status is OrderStatus.RECEIVED


def test_only_the_buyer_rates(
    db: Session, order_of: Callable[..., Order], owner: User, make_user: Callable[..., User]
) -> None:
    order = order_of(OrderStatus.RECEIVED)
    for stranger in (owner, make_user()):
        with pytest.raises(OrderNotFound):
            fulfilment.rate_order_line(db, stranger, order.lines[0], 5, 5)
    assert row_count(db, "shop_rating") == 0


def test_a_refunded_order_that_never_arrived_cannot_be_rated(
    db: Session, order_of: Callable[..., Order], buyer: User
) -> None:
    order = order_of(OrderStatus.REFUNDED)
    with pytest.raises(RatingNotAllowed):
        fulfilment.rate_order_line(db, buyer, order.lines[0], 1, 1, "没收到")


def test_producer_queue_filters_by_tab(
    db: Session,
    order_of: Callable[..., Order],
    owner: User,
    buyer: User,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> None:
    bank = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.BANK_TRANSFER)
    cod = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.CASH_ON_DELIVERY)
    delivered = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.CASH_ON_DELIVERY)
    delivered.mark_shipped("顺丰速运", "SF1")
    db.flush()
    card = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.STRIPE)
    paid_first, paid_second = order_of(OrderStatus.PAID), order_of(OrderStatus.PAID)
    shipped = order_of(OrderStatus.SHIPPED)
    done = order_of(OrderStatus.COMPLETED)
    elsewhere = make_producer(owner=make_user(), county_code="500229")
    foreign = build_order(db, buyer, [(new_batch(db, make_product(elsewhere, certified=True)), 1)])

    def numbers(tab: QueueTab) -> list[str]:
        return [o.number for o in fulfilment.producer_queue(db, owner, tab).items]

    # the producer confirms only cash it collected, after delivery; the platform confirms bank transfers
    assert numbers(QueueTab.TO_CONFIRM) == [delivered.number]
    to_ship = numbers(QueueTab.TO_SHIP)
    assert set(to_ship) == {cod.number, paid_first.number, paid_second.number}
    assert to_ship.index(paid_first.number) < to_ship.index(paid_second.number)  # oldest first
    assert set(numbers(QueueTab.SHIPPED)) == {shipped.number, delivered.number}
    everything = numbers(QueueTab.ALL)
    assert set(everything) == {
        o.number for o in (bank, cod, delivered, card, paid_first, paid_second, shipped, done)
    }
    assert foreign.number not in everything
    assert fulfilment.queue_counts(db, owner) == {
        QueueTab.TO_CONFIRM: 1,
        QueueTab.TO_SHIP: 3,
        QueueTab.SHIPPED: 2,
        QueueTab.ALL: 8,
    }
    assert fulfilment.producer_queue(db, buyer, QueueTab.ALL).items == []


def test_packing_list_names_each_line_its_quantity_and_lots(
    db: Session, buyer: User, tomato: Product, jujube: Product
) -> None:
    early, late, dates = new_batch(db, tomato, 3), new_batch(db, tomato), new_batch(db, jujube)
    order = build_order(db, buyer, [(early, 3), (late, 2), (dates, 1)])
    packing = fulfilment.packing_list(order)
    assert [(p.line.product_name, p.quantity) for p in packing] == [("疏勒番茄", 5), ("疏勒灰枣", 1)]
    assert [(b.lot_code, q) for b, q in packing[0].lots] == [(early.lot_code, 3), (late.lot_code, 2)]
    order.lines[1].allocations[0].returned_quantity = 1
    assert [p.line.product_name for p in fulfilment.packing_list(order)] == ["疏勒番茄"]


def test_orders_are_found_with_or_without_the_spaces_people_read(
    db: Session, buyer: User, tomato: Product
) -> None:
    order = build_order(db, buyer, [(new_batch(db, tomato), 1)], number="2611 2348 0517")
    assert fulfilment.find_order(db, "261123480517") is order
    assert fulfilment.find_order(db, "2611 2348 0517") is order
    assert fulfilment.find_order(db, "2611 2348 0518") is None


def test_only_cash_on_delivery_ships_before_payment(order_of: Callable[..., Order]) -> None:
    bank = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.BANK_TRANSFER)
    with pytest.raises(InvalidTransition):
        bank.mark_shipped("顺丰速运", "SF1234567890")
    assert bank.status is OrderStatus.PENDING_PAYMENT and bank.shipped_at is None


def test_cash_on_delivery_completes_only_once_the_cash_is_confirmed(
    db: Session, order_of: Callable[..., Order], owner: User
) -> None:
    order = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.CASH_ON_DELIVERY)
    fulfilment.ship_order(db, owner, order, "顺丰速运", "SF1234567890")
    order.mark_received()
    assert order.awaits_cash
    with pytest.raises(InvalidTransition):
        order.mark_completed()
    order.mark_cash_collected()
    assert order.paid_at is not None and not order.awaits_cash
    order.mark_completed()
    assert order.status is OrderStatus.COMPLETED
    with pytest.raises(InvalidTransition):
        order.mark_cash_collected()


def test_shipped_cash_on_delivery_waits_in_the_confirm_tab(
    db: Session, order_of: Callable[..., Order], owner: User
) -> None:
    order = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.CASH_ON_DELIVERY)
    assert order.number in [o.number for o in fulfilment.producer_queue(db, owner, QueueTab.TO_SHIP).items]
    fulfilment.ship_order(db, owner, order, "顺丰速运", "SF1234567890")
    confirm = [o.number for o in fulfilment.producer_queue(db, owner, QueueTab.TO_CONFIRM).items]
    assert confirm == [order.number]
    assert fulfilment.queue_counts(db, owner)[QueueTab.TO_CONFIRM] == 1
