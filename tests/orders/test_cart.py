"""The cart: visitors' carts in the session, account carts, tiers, units, stock limits, merging on log-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import (
    Category,
    PriceTier,
    Product,
    Unit,
)
from core.clock import shanghai_date
from core.models import User
from orders.cart import services as carts
from orders.models import CartItem
from tests.conftest import PASSWORD, make_certificate, row_count
from traceability.batches.inventory import draw_stock
from traceability.models import Batch
from traceability.recall.services import recall_batch

Factory = Callable[..., object]


@pytest.fixture()
def seller(make_user: Callable[..., User], make_producer: Callable[..., Producer]) -> Producer:
    """An approved 疏勒县 cooperative with an owner."""
    return make_producer(owner=make_user(name="合作社负责人"))


@pytest.fixture()
def stocked(
    seller: Producer, make_product: Callable[..., Product], make_batch: Callable[..., Batch]
) -> Callable[..., Product]:
    """Factory: a certified product of ``seller`` (or ``producer``) with one batch of ``stock`` units."""

    def make(stock: int = 10, producer: Producer | None = None, **fields: object) -> Product:
        product = make_product(producer or seller, certified=True, **fields)
        make_batch(product, quantity=stock)
        return product

    return make


def english(client: FlaskClient) -> FlaskClient:
    """Switch the client's interface to English (so messages can be compared as text)."""
    client.post("/language", data={"locale": "en"})
    return client


def session_cart(client: FlaskClient) -> dict[int, int]:
    """The cart stored in the client's session cookie."""
    with client.session_transaction() as sess:
        return dict(sess.get("cart") or [])


def test_visitor_adds_to_a_session_cart_priced_by_tier_and_unit(
    client: FlaskClient, db: Session, stocked: Callable[..., Product]
) -> None:
    product = stocked(stock=20, name="疏勒县骏枣", unit=Unit.JIN, price_fen=2500)
    db.add(PriceTier(product=product, min_quantity=5, unit_price_fen=2000))
    db.flush()
    english(client)

    response = client.post("/cart/add", data={"product_id": product.id, "quantity": 3})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    assert session_cart(client) == {product.id: 3}
    page = client.get("/cart").get_data(as_text=True)
    assert "疏勒县骏枣" in page and "¥25.00 per jin (500 g)" in page and "¥75.00" in page
    assert "Quantity price" not in page

    client.post("/cart/add", data={"product_id": product.id, "quantity": 2})  # 5 jin reach the tier
    assert session_cart(client) == {product.id: 5}
    page = client.get("/cart").get_data(as_text=True)
    assert "¥20.00 per jin (500 g)" in page and "¥100.00" in page and "Quantity price" in page
    assert row_count(db, "shop_cart_item") == 0  # a visitor's cart lives in the cookie only


def test_more_than_in_stock_is_refused_with_what_is_left(
    client: FlaskClient, db: Session, stocked: Callable[..., Product]
) -> None:
    product = stocked(stock=3, name="塔县牦牛肉干", unit=Unit.BOX, net_weight_g=250)
    english(client)
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": 4})
    assert response.status_code == 409
    assert "Only 3 box of 塔县牦牛肉干 left." in response.get_data(as_text=True)
    assert session_cart(client) == {}

    client.post("/cart/add", data={"product_id": product.id, "quantity": 2})
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": 2})  # 4 in total
    assert response.status_code == 409
    assert session_cart(client) == {product.id: 2}


@pytest.mark.parametrize("quantity", ["0", "-1", "1000", "abc", ""])
def test_quantity_must_be_a_sane_positive_number(
    client: FlaskClient, stocked: Callable[..., Product], quantity: str
) -> None:
    product = stocked()
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})
    assert response.status_code == 400
    assert session_cart(client) == {}


def test_signed_in_cart_is_kept_in_the_account(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    db: Session,
    stocked: Callable[..., Product],
) -> None:
    buyer = make_user()
    product = stocked(stock=10)
    client = as_user(buyer)
    assert client.post("/cart/add", data={"product_id": product.id, "quantity": 2}).status_code == 302
    db.expire_all()
    assert carts.account_items(db, buyer) == {product.id: 2}

    response = client.post("/cart/update", data={"product_id": product.id, "quantity": 7})
    assert response.status_code == 302
    db.expire_all()
    assert carts.account_items(db, buyer) == {product.id: 7}

    assert client.post("/cart/update", data={"product_id": product.id, "quantity": 11}).status_code == 409
    db.expire_all()
    assert carts.account_items(db, buyer) == {product.id: 7}

    assert client.post("/cart/remove", data={"product_id": product.id}).status_code == 302
    db.expire_all()
    assert carts.account_items(db, buyer) == {}
    assert session_cart(client) == {}


def test_changing_a_product_that_is_not_in_the_cart_is_not_found(
    client: FlaskClient, stocked: Callable[..., Product]
) -> None:
    product = stocked()
    assert client.post("/cart/update", data={"product_id": product.id, "quantity": 1}).status_code == 404
    assert session_cart(client) == {}


def test_withdrawn_products_and_unapproved_producers_cannot_be_bought(
    client: FlaskClient, db: Session, stocked: Callable[..., Product], seller: Producer
) -> None:
    english(client)
    withdrawn = stocked(name="下架的核桃")
    withdrawn.is_active = False
    db.flush()
    response = client.post("/cart/add", data={"product_id": withdrawn.id, "quantity": 1})
    assert response.status_code == 409
    assert "下架的核桃 is no longer available." in response.get_data(as_text=True)

    product = stocked(name="灰枣")
    client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    seller.status = ProducerStatus.SUSPENDED
    db.flush()
    page = client.get("/cart").get_data(as_text=True)
    assert "灰枣 is no longer available." in page
    assert "Please fix the marked items before checking out." in page
    assert 'href="/checkout"' not in page


def test_a_product_whose_certificate_lapsed_cannot_be_bought(
    client: FlaskClient,
    db: Session,
    seller: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    today = shanghai_date()
    product = make_product(seller, name="过期认证的蜂蜜", category=Category.HONEY)
    make_certificate(db, product, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1))
    make_batch(product, quantity=10)
    english(client)
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    assert response.status_code == 409
    assert "过期认证的蜂蜜 cannot be bought at the moment" in response.get_data(as_text=True)
    assert session_cart(client) == {}

    view = carts.cart_view(db, {product.id: 1})
    assert isinstance(view.lines[0].problem, carts.CertificateLapsed) and view.has_problems


def test_recalled_batches_are_not_for_sale(
    client: FlaskClient, db: Session, seller: Producer, stocked: Callable[..., Product]
) -> None:
    product = stocked(stock=5, name="召回的西瓜")
    batch = db.scalars(select(Batch).where(Batch.product_id == product.id)).one()
    english(client)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 2})
    recall_batch(db, seller.members[0].user, batch, "抽检不合格")
    db.flush()

    page = client.get("/cart").get_data(as_text=True)
    assert "召回的西瓜 is sold out." in page
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    assert response.status_code == 409
    assert carts.available_quantity(db, product) == 0


def test_cart_view_groups_lines_per_producer_and_says_what_is_left(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    stocked: Callable[..., Product],
) -> None:
    other = make_producer(owner=make_user(), county_code="653131", name="塔什库尔干牦牛合作社")
    jujube = stocked(stock=10, price_fen=3000)
    walnut = stocked(stock=4, price_fen=1500)
    yak = stocked(stock=6, producer=other, price_fen=9900)

    view = carts.cart_view(db, {jujube.id: 2, yak.id: 1, walnut.id: 3})
    assert [g.producer.id for g in view.groups] == [jujube.producer_id, other.id]
    assert [[line.product.id for line in g.lines] for g in view.groups] == [[jujube.id, walnut.id], [yak.id]]
    assert [g.subtotal_fen for g in view.groups] == [2 * 3000 + 3 * 1500, 9900]
    assert view.total_fen == 6000 + 4500 + 9900 and view.quantity == 6 and not view.has_problems

    batch = db.scalars(select(Batch).where(Batch.product_id == walnut.id)).one()
    draw_stock(db, batch, 2)  # another buyer took two
    view = carts.cart_view(db, {jujube.id: 2, walnut.id: 3, 2_000_000_000: 1})
    problem = view.lines[1].problem
    assert isinstance(problem, carts.OutOfStock) and problem.available == 2
    assert view.missing == 1 and view.has_problems


def test_a_tampered_session_cart_is_cleaned() -> None:
    raw = {"12": 3, "x": 1, "13": "2", "14": 0, "15": 5000, "-1": 1, "16": True, "17": None}
    assert carts.clean_items(raw) == {12: 3, 13: 2}
    assert carts.clean_items("not a dict") == {}
    assert list(carts.clean_items([[9, 1], [3, 2], [5], "x", [4, "many"]])) == [9, 3]  # cookie order kept
    assert carts.clean_items(carts.session_data({7: 1, 2: 4})) == {7: 1, 2: 4}
    assert len(carts.clean_items({str(i): 1 for i in range(1, 200)})) == carts.MAX_LINES


def test_visitor_cart_is_merged_into_the_account_on_log_in(
    client: FlaskClient, db: Session, make_user: Callable[..., User], stocked: Callable[..., Product]
) -> None:
    buyer = make_user(email="merge@example.test")
    kept = stocked(stock=10)
    capped = stocked(stock=4)
    gone = stocked(stock=4)
    db.add(CartItem(user_id=buyer.id, product_id=kept.id, quantity=1))
    db.flush()

    for product, quantity in ((kept, 2), (capped, 4), (gone, 1)):
        response = client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})
        assert response.status_code == 302
    # meanwhile two units of ``capped`` sell and ``gone`` is withdrawn
    draw_stock(db, db.scalars(select(Batch).where(Batch.product_id == capped.id)).one(), 2)
    gone.is_active = False
    db.flush()

    response = client.post("/account/login", data={"email": "merge@example.test", "password": PASSWORD})
    assert response.status_code == 302
    db.expire_all()
    assert carts.account_items(db, buyer) == {kept.id: 3, capped.id: 2}
    assert session_cart(client) == {}
    page = client.get("/cart").get_data(as_text=True)
    assert kept.name in page and capped.name in page and gone.name not in page


def test_signing_up_keeps_the_visitor_cart(
    client: FlaskClient, db: Session, stocked: Callable[..., Product]
) -> None:
    product = stocked(stock=5)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 2})
    response = client.post(
        "/account/signup",
        data={
            "display_name": "新用户",
            "email": "newbuyer@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert session_cart(client) == {product.id: 2}  # kept until the new account signs in
    client.post("/account/login", data={"email": "newbuyer@example.com", "password": PASSWORD})
    db.expire_all()
    user = db.scalars(select(User).where(User.email == "newbuyer@example.com")).one()
    assert carts.account_items(db, user) == {product.id: 2}
    assert session_cart(client) == {}
