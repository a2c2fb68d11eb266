"""A recall reaches every order that drew from the recalled batch (or a batch made from it): the order is
flagged and its buyer told once, in the same transaction, and the order page shows the notice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from core.notifications.models import Notification
from orders import recall
from orders.models import Order, OrderStatus
from tests.access_rows.orders import build_order, new_batch
from traceability.batches.services import BatchData
from traceability.models import Batch
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches
from traceability.recall.services import recall_batch

REASON = "农药残留抽检不合格"


@pytest.fixture()
def seller(make_user: Callable[..., User], make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=make_user(name="合作社社长"), name="疏勒县红枣专业合作社")


@pytest.fixture()
def owner(seller: Producer) -> User:
    return seller.members[0].user


@pytest.fixture()
def jujube(seller: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(seller, name="疏勒灰枣", category=Category.DRIED_FRUIT_NUTS, certified=True)


@pytest.fixture()
def snack(seller: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(seller, name="红枣夹核桃", category=Category.PROCESSED, certified=True)


def notices(db: Session, user: User) -> list[Notification]:
    """The recall notifications queued for ``user``."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.kind == "recall_notice")
    return list(db.scalars(query.order_by(Notification.id)))


def test_a_recall_flags_exactly_the_orders_that_drew_from_the_batch(
    db: Session, owner: User, jujube: Product, make_user: Callable[..., User]
) -> None:
    recalled, clean = new_batch(db, jujube), new_batch(db, jujube)
    alice, bob, chen, dong = (make_user(name=n) for n in ("阿丽", "鲍勃", "陈晨", "董冬"))
    hit = build_order(db, alice, [(recalled, 2)], status=OrderStatus.SHIPPED)
    untouched = build_order(db, bob, [(clean, 2)])
    mixed = build_order(db, chen, [(clean, 1), (recalled, 1)], status=OrderStatus.PENDING_PAYMENT)
    cancelled = build_order(db, dong, [(recalled, 1)], status=OrderStatus.CANCELLED)

    recall_batch(db, owner, recalled, REASON)

    for order in (hit, mixed):
        assert order.recall_notice is not None
        assert recalled.lot_code in order.recall_notice and REASON in order.recall_notice
        assert clean.lot_code not in order.recall_notice
        [message] = notices(db, order.buyer)
        assert message.link == f"/orders/{order.number}"
        assert message.data == {"order": order.number, "lots": [recalled.lot_code]}
        assert recalled.lot_code in message.body and order.number in message.subject
    for order in (untouched, cancelled):
        assert order.recall_notice is None and notices(db, order.buyer) == []


def _process(db: Session, owner: User, source: Batch, snack: Product) -> Batch:
    today = shanghai_date()
    data = BatchData(20, today, today + timedelta(days=90), source.origin)
    [child] = process_batches(
        db,
        owner,
        [ProcessInput(source, 10)],
        [ProcessOutput(snack, data)],
        occurred_at=utcnow(),
        place="疏勒县巴仁乡",
        process="去核夹核桃",
    )
    return child


def test_a_recall_reaches_orders_of_batches_made_from_the_recalled_one(
    db: Session, owner: User, jujube: Product, snack: Product, make_user: Callable[..., User]
) -> None:
    source = new_batch(db, jujube)
    child = _process(db, owner, source, snack)
    grandchild = _process(db, owner, child, snack)
    buyer = make_user()
    from_child = build_order(db, buyer, [(child, 2)], status=OrderStatus.COMPLETED)
    from_grandchild = build_order(db, make_user(), [(grandchild, 1)])

    recall_batch(db, owner, source, REASON)

    assert from_child.recall_notice is not None and child.lot_code in from_child.recall_notice
    assert from_grandchild.recall_notice is not None and grandchild.lot_code in from_grandchild.recall_notice
    assert [m.data["lots"] for m in notices(db, buyer)] == [[child.lot_code]]


def test_buyers_are_told_once_even_when_the_recall_reaches_their_lot_again(
    db: Session, owner: User, jujube: Product, snack: Product, make_user: Callable[..., User]
) -> None:
    source = new_batch(db, jujube)
    child = _process(db, owner, source, snack)
    buyer = make_user()
    order = build_order(db, buyer, [(child, 2)])

    recall_batch(db, owner, child, "包装破损受潮")
    assert len(notices(db, buyer)) == 1
    recall_batch(db, owner, source, REASON)  # reaches the already recalled child again
    assert recall.flag_recalled_orders(db, [child.id, source.id]) == []
    assert len(notices(db, buyer)) == 1 and child.lot_code in (order.recall_notice or "")


def test_a_later_recall_of_another_lot_in_the_order_is_announced_too(
    db: Session, owner: User, jujube: Product, make_user: Callable[..., User]
) -> None:
    first, second = new_batch(db, jujube), new_batch(db, jujube)
    buyer = make_user()
    order = build_order(db, buyer, [(first, 1), (second, 1)], status=OrderStatus.RECEIVED)

    recall_batch(db, owner, first, REASON)
    recall_batch(db, owner, second, "霉变")

    assert [m.data["lots"] for m in notices(db, buyer)] == [[first.lot_code], [second.lot_code]]
    assert first.lot_code in (order.recall_notice or "") and second.lot_code in (order.recall_notice or "")
    assert "霉变" in (order.recall_notice or "")


def test_the_notice_is_written_in_the_buyers_language(
    db: Session, owner: User, jujube: Product, make_user: Callable[..., User]
) -> None:
    batch = new_batch(db, jujube)
    buyer = make_user()
    buyer.locale = "en"
    order = build_order(db, buyer, [(batch, 1)])
    recall_batch(db, owner, batch, REASON)
    assert (order.recall_notice or "").startswith("Recalled lots in this order:")
    assert notices(db, buyer)[0].subject == f"Recall notice for order {order.number}"


def test_a_recall_through_the_batch_page_flags_orders_in_the_same_transaction(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    jujube: Product,
    make_user: Callable[..., User],
) -> None:
    batch = new_batch(db, jujube)
    buyer = make_user()
    order = build_order(db, buyer, [(batch, 2)], status=OrderStatus.SHIPPED)

    response = as_user(owner).post(f"/producer/batches/{batch.id}/recall", data={"reason": REASON})

    assert response.status_code == 302
    db.expire_all()
    assert order.recall_notice is not None and batch.lot_code in order.recall_notice
    assert len(notices(db, buyer)) == 1


def test_the_order_pages_show_the_recall(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    jujube: Product,
    make_user: Callable[..., User],
) -> None:
    batch = new_batch(db, jujube)
    buyer = make_user()
    order: Order = build_order(db, buyer, [(batch, 2)], status=OrderStatus.PAID)
    client = as_user(buyer)
    assert 'class="trace-banner order-recall"' not in client.get(f"/orders/{order.number}").get_data(
        as_text=True
    )

    recall_batch(db, owner, batch, REASON)

    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert 'class="trace-banner order-recall"' in page and 'role="alert"' in page
    assert order.recall_notice in page and REASON in page and batch.lot_code in page
    assert client.get("/orders").get_data(as_text=True).count("badge badge-error") == 1
    producer_page = as_user(owner).get(f"/producer/orders/{order.number}").get_data(as_text=True)
    assert "alert alert-error" in producer_page and batch.lot_code in producer_page
