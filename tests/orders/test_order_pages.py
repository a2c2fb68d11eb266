"""The buyer's order pages and the producer's queue: who sees what, and what the pages and forms do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.models import User
from orders.models import (
    Order,
    OrderStatus,
    PaymentMethod,
    Rating,
)
from tests.access_rows.orders import build_order, new_batch
from tests.conftest import row_count
from traceability.links import trace_path
from traceability.models import EventKind


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
def buyer(make_user: Callable[..., User]) -> User:
    return make_user(name="王芳")


@pytest.fixture()
def order_of(db: Session, buyer: User, tomato: Product) -> Callable[..., Order]:
    """``order_of(status, buyer=..., quantity=2, method=...)`` → a fresh order of 疏勒番茄."""

    def make(status: OrderStatus = OrderStatus.PAID, quantity: int = 2, **kwargs: Any) -> Order:
        who = kwargs.pop("buyer", buyer)
        return build_order(db, who, [(new_batch(db, tomato), quantity)], status=status, **kwargs)

    return make


def test_my_orders_lists_only_mine_newest_first_in_pages(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    buyer: User,
    tomato: Product,
    make_user: Callable[..., User],
    order_of: Callable[..., Order],
) -> None:
    batch = new_batch(db, tomato, 100)
    mine = [build_order(db, buyer, [(batch, 1)]) for _ in range(21)]
    theirs = order_of(buyer=make_user())
    client = as_user(buyer)
    first = client.get("/orders").get_data(as_text=True)
    assert mine[-1].number in first and mine[1].number in first
    assert first.index(mine[-1].number) < first.index(mine[1].number)
    assert mine[0].number not in first and theirs.number not in first
    second = client.get("/orders?page=2").get_data(as_text=True)
    assert mine[0].number in second and mine[-1].number not in second
    assert "疏勒番茄" in second


def test_other_peoples_orders_do_not_exist(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    order_of: Callable[..., Order],
    owner: User,
    make_user: Callable[..., User],
) -> None:
    order = order_of(OrderStatus.RECEIVED)
    line = order.lines[0]
    for stranger in (make_user(), owner, make_user(is_admin=True)):
        client = as_user(stranger)
        assert client.get(f"/orders/{order.number}").status_code == 404
        assert client.post(f"/orders/{order.number}/receipt").status_code == 404
        rating = {"product_stars": "1", "producer_stars": "1"}
        assert client.post(f"/orders/{order.number}/lines/{line.id}/rating", data=rating).status_code == 404
    assert as_user(make_user()).get("/orders/000000000000").status_code == 404
    assert row_count(db, "shop_rating") == 0
    db.expire_all()
    assert order.status is OrderStatus.RECEIVED


def test_order_page_shows_lines_lots_address_and_the_way_to_pay(
    db: Session, as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order]
) -> None:
    order = order_of(OrderStatus.PENDING_PAYMENT, quantity=3)
    batch = order.lines[0].allocations[0].batch
    page = as_user(order.checkout.buyer).get(f"/orders/{order.number}").get_data(as_text=True)
    assert "疏勒番茄" in page and "¥12.50" in page and "¥37.50" in page and "¥45.50" in page
    assert f'href="{trace_path(batch)}"' in page and batch.lot_code in page
    assert "王芳" in page and "北京路 18 号 3 单元 502" in page and "兰山区" in page
    assert f'href="/payments/{order.checkout.number}"' in page
    assert order.checkout.payment_reference in page
    assert f"/orders/{order.number}/receipt" not in page  # nothing to confirm yet


def test_a_paid_order_no_longer_links_to_payment(
    as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order]
) -> None:
    order = order_of(OrderStatus.PAID)
    page = as_user(order.checkout.buyer).get(f"/orders/{order.number}").get_data(as_text=True)
    assert f"/payments/{order.checkout.number}" not in page


def test_buyer_confirms_receipt_then_rates(
    db: Session, as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order], buyer: User
) -> None:
    order = order_of(OrderStatus.SHIPPED)
    client = as_user(buyer)
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert f'action="/orders/{order.number}/receipt"' in page and order.tracking_number in page
    assert "/rating" not in page

    response = client.post(f"/orders/{order.number}/receipt")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order.number}#lines")
    db.expire_all()
    assert order.status is OrderStatus.RECEIVED

    line = order.lines[0]
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert f'action="/orders/{order.number}/lines/{line.id}/rating"' in page
    assert f"/orders/{order.number}/receipt" not in page
    data = {"product_stars": "4", "producer_stars": "5", "comment": "很甜"}
    assert client.post(f"/orders/{order.number}/lines/{line.id}/rating", data=data).status_code == 302
    db.expire_all()
    rating = db.scalar(select(Rating).where(Rating.line_id == line.id))
    assert rating is not None
    assert (rating.product_stars, rating.producer_stars, rating.comment) == (4, 5, "很甜")
    assert order.status is OrderStatus.COMPLETED

    again = client.post(f"/orders/{order.number}/lines/{line.id}/rating", data=data)
    assert again.status_code == 409
    assert row_count(db, "shop_rating") == 1
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "很甜" in page and f"/lines/{line.id}/rating" not in page


def test_receipt_of_an_unshipped_order_is_a_conflict(
    db: Session, as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order], buyer: User
) -> None:
    order = order_of(OrderStatus.PAID)
    assert as_user(buyer).post(f"/orders/{order.number}/receipt").status_code == 409
    db.expire_all()
    assert order.status is OrderStatus.PAID and order.received_at is None


@pytest.mark.parametrize(
    "data", [{"product_stars": "9", "producer_stars": "5"}, {"product_stars": "5", "producer_stars": "x"}]
)
def test_a_bad_rating_is_refused_with_nothing_saved(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    order_of: Callable[..., Order],
    buyer: User,
    data: dict[str, str],
) -> None:
    order = order_of(OrderStatus.RECEIVED)
    response = as_user(buyer).post(f"/orders/{order.number}/lines/{order.lines[0].id}/rating", data=data)
    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    assert row_count(db, "shop_rating") == 0


def test_rating_before_receipt_is_a_conflict(
    db: Session, as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order], buyer: User
) -> None:
    order = order_of(OrderStatus.SHIPPED)
    data = {"product_stars": "5", "producer_stars": "5"}
    response = as_user(buyer).post(f"/orders/{order.number}/lines/{order.lines[0].id}/rating", data=data)
    assert response.status_code == 409 and row_count(db, "shop_rating") == 0


def test_a_line_of_another_order_is_not_found(
    as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order], buyer: User
) -> None:
    mine, other = order_of(OrderStatus.RECEIVED), order_of(OrderStatus.RECEIVED)
    data = {"product_stars": "5", "producer_stars": "5"}
    url = f"/orders/{mine.number}/lines/{other.lines[0].id}/rating"
    assert as_user(buyer).post(url, data=data).status_code == 404


def test_producer_queue_tabs(
    db: Session, as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order], owner: User
) -> None:
    bank = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.BANK_TRANSFER)
    card = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.STRIPE)
    cash = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.CASH_ON_DELIVERY)
    cash.mark_shipped("顺丰速运", "SF1")  # delivered: its cash is the producer's to confirm
    db.flush()
    paid, shipped = order_of(OrderStatus.PAID), order_of(OrderStatus.SHIPPED)
    client = as_user(owner)
    tabs = {
        "to_confirm": {cash},  # a bank transfer reaches the platform, which confirms it
        "to_ship": {paid},
        "shipped": {shipped, cash},
        "all": {bank, card, cash, paid, shipped},
    }
    for tab, expected in tabs.items():
        page = client.get(f"/producer/orders/?status={tab}").get_data(as_text=True)
        for order in (bank, card, cash, paid, shipped):
            assert (f'/producer/orders/{order.number}"' in page) == (order in expected), (tab, order.status)
    default = client.get("/producer/orders/").get_data(as_text=True)
    assert paid.number in default and bank.number not in default
    assert client.get("/producer/orders/?status=nonsense").status_code == 200


def test_producer_order_page_has_recipient_and_payment_actions(
    db: Session, as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order], owner: User
) -> None:
    pending = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.CASH_ON_DELIVERY)
    pending.mark_shipped("顺丰速运", "SF1")
    db.flush()
    client = as_user(owner)
    page = client.get(f"/producer/orders/{pending.number}").get_data(as_text=True)
    assert "王芳" in page and "13812345678" in page and "北京路 18 号 3 单元 502" in page
    assert f'action="/payments/orders/{pending.id}/confirm"' in page
    assert f"/producer/orders/{pending.number}/ship" not in page
    assert "#refund" not in page

    transfer = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.BANK_TRANSFER)
    page = client.get(f"/producer/orders/{transfer.number}").get_data(as_text=True)
    assert "/confirm" not in page and f"/producer/orders/{transfer.number}/ship" not in page

    paid = order_of(OrderStatus.PAID, method=PaymentMethod.STRIPE)
    page = client.get(f"/producer/orders/{paid.number}").get_data(as_text=True)
    assert f'href="/payments/orders/{paid.id}#refund"' in page
    assert f'action="/producer/orders/{paid.number}/ship"' in page
    assert "/confirm" not in page
    assert paid.lines[0].allocations[0].batch.lot_code in page
    # paid by bank transfer: the platform holds the money and gives back refunds, not the producer
    paid_to_platform = order_of(OrderStatus.PAID, method=PaymentMethod.BANK_TRANSFER)
    page = client.get(f"/producer/orders/{paid_to_platform.number}").get_data(as_text=True)
    assert "#refund" not in page and "平台已于" in page  # "The platform received the payment … on …"

    card = order_of(OrderStatus.PENDING_PAYMENT, method=PaymentMethod.STRIPE)
    assert "/confirm" not in client.get(f"/producer/orders/{card.number}").get_data(as_text=True)


def test_packing_list_has_everything_to_pack_and_label(
    db: Session, as_user: Callable[[User | None], FlaskClient], buyer: User, owner: User, tomato: Product
) -> None:
    first, second = new_batch(db, tomato, 3), new_batch(db, tomato)
    order = build_order(db, buyer, [(first, 3), (second, 2)])
    page = as_user(owner).get(f"/producer/orders/{order.number}/packing-list").get_data(as_text=True)
    assert order.number in page and "王芳" in page and "13812345678" in page
    assert "山东省" in page and "临沂市" in page and "兰山区" in page and "北京路 18 号 3 单元 502" in page
    assert "疏勒番茄" in page and "<strong>5</strong>" in page
    assert f'{first.lot_code}</span> <span class="nowrap">× 3' in page
    assert f'{second.lot_code}</span> <span class="nowrap">× 2' in page


def test_producer_ships_from_the_order_page(
    db: Session, as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order], owner: User
) -> None:
    order = order_of(OrderStatus.PAID)
    batch = order.lines[0].allocations[0].batch
    client = as_user(owner)
    response = client.post(
        f"/producer/orders/{order.number}/ship", data={"carrier": "顺丰速运", "tracking_number": "SF778899"}
    )
    assert response.status_code == 302
    db.expire_all()
    assert order.status is OrderStatus.SHIPPED and order.tracking_number == "SF778899"
    assert batch.events[-1].kind is EventKind.SHIPPING and batch.events[-1].details["waybill"] == "SF778899"
    assert row_count(db, "shop_notification") == 1

    again = client.post(
        f"/producer/orders/{order.number}/ship", data={"carrier": "顺丰速运", "tracking_number": "SF0"}
    )
    assert again.status_code == 409
    db.expire_all()
    assert order.tracking_number == "SF778899" and len(batch.events) == batch.event_count


def test_an_incomplete_ship_form_changes_nothing(
    db: Session, as_user: Callable[[User | None], FlaskClient], order_of: Callable[..., Order], owner: User
) -> None:
    order = order_of(OrderStatus.PAID)
    events = order.lines[0].allocations[0].batch.event_count
    response = as_user(owner).post(f"/producer/orders/{order.number}/ship", data={"carrier": "顺丰速运"})
    assert response.status_code == 400 and 'aria-invalid="true"' in response.get_data(as_text=True)
    db.expire_all()
    assert order.status is OrderStatus.PAID and order.lines[0].allocations[0].batch.event_count == events
    assert row_count(db, "shop_notification") == 0


def test_producer_pages_are_for_members_of_the_orders_producer(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    order_of: Callable[..., Order],
    buyer: User,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
) -> None:
    order = order_of(OrderStatus.PAID)
    other_member = make_producer(owner=make_user()).members[0].user
    for stranger in (other_member, buyer, make_user(is_admin=True)):
        client = as_user(stranger)
        assert client.get(f"/producer/orders/{order.number}").status_code == 403
        assert client.get(f"/producer/orders/{order.number}/packing-list").status_code == 403
        ship = {"carrier": "顺丰速运", "tracking_number": "SF1"}
        assert client.post(f"/producer/orders/{order.number}/ship", data=ship).status_code == 403
    assert as_user(other_member).get("/producer/orders/000000000000").status_code == 404
    listing = as_user(other_member).get("/producer/orders/?status=all").get_data(as_text=True)
    assert order.number not in listing
    db.expire_all()
    assert order.status is OrderStatus.PAID
