"""Checkout: address, shipping rules, one order per producer, batch allocation, idempotency, reservations."""

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

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from core.notifications.models import Notification
from core.numbers import readable_number
from orders.addresses import (
    PROVINCES,
    Address,
    AddressInvalid,
    validate_address,
)
from orders.cart import checkout as checkouts
from orders.cart import services as carts
from orders.cart.checkout import place_checkout
from orders.cart.receivers import CART_KEY
from orders.cart.reservations import release_expired
from orders.models import (
    Allocation,
    CartItem,
    Checkout,
    OrderStatus,
    PaymentMethod,
    ShippingRule,
)
from tests.conftest import make_certificate, row_count
from traceability.batches.inventory import draw_stock
from traceability.batches.services import CODE_ALPHABET
from traceability.holds.models import HoldReason
from traceability.holds.services import place_hold
from traceability.models import Batch, BatchStatus

ADDRESS = Address(
    recipient="王芳",
    mobile="138 1234 5678",
    province_code="370000",
    city="临沂市",
    district="兰山区",
    detail="北京路 18 号 3 单元 502",
)
FORM = {
    "recipient": "王芳",
    "mobile": "13812345678",
    "province": "370000",
    "city": "临沂市",
    "district": "兰山区",
    "detail": "北京路 18 号 3 单元 502",
    "method": "bank_transfer",
}
KEY = "test-key-0123456789abcdef"
TABLES = ("shop_checkout", "shop_order", "shop_order_line", "shop_allocation", "shop_notification")


@pytest.fixture()
def buyer(make_user: Callable[..., User]) -> User:
    """A consumer."""
    return make_user(name="王芳")


@pytest.fixture()
def seller(make_user: Callable[..., User], make_producer: Callable[..., Producer]) -> Producer:
    """An approved 疏勒县 cooperative."""
    return make_producer(owner=make_user(), name="疏勒县绿源合作社")


@pytest.fixture()
def other_seller(make_user: Callable[..., User], make_producer: Callable[..., Producer]) -> Producer:
    """An approved 城口县 producer."""
    return make_producer(owner=make_user(), county_code="500229", name="城口县腊肉坊")


@pytest.fixture()
def stocked(make_product: Callable[..., Product], make_batch: Callable[..., Batch]) -> Callable[..., Product]:
    """Factory: a certified product of ``producer`` with one batch of ``stock`` units."""

    def make(producer: Producer, stock: int = 10, **fields: Any) -> Product:
        product = make_product(producer, certified=True, **fields)
        make_batch(product, quantity=stock)
        return product

    return make


def snapshot(db: Session) -> dict[str, int]:
    """Row counts of everything a checkout writes."""
    return {table: row_count(db, table) for table in TABLES}


def available(db: Session, product: Product) -> int:
    """Units left across the product's batches (read fresh)."""
    db.expire_all()
    return sum(b.quantity_available for b in db.scalars(select(Batch).where(Batch.product_id == product.id)))


def put_in_cart(db: Session, user: User, items: dict[int, int]) -> None:
    """Fill ``user``'s account cart."""
    for product_id, quantity in items.items():
        db.add(CartItem(user_id=user.id, product_id=product_id, quantity=quantity))
    db.flush()


def english(client: FlaskClient) -> FlaskClient:
    """Switch the client's interface to English."""
    client.post("/language", data={"locale": "en"})
    return client


def test_checkout_needs_sign_in_and_the_cart_survives_it(
    client: FlaskClient, buyer: User, seller: Producer, stocked: Callable[..., Product], db: Session
) -> None:
    product = stocked(seller)
    client.post("/cart/add", data={"product_id": product.id, "quantity": 2})
    response = client.get("/checkout")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    from tests.conftest import PASSWORD

    client.post("/account/login", data={"email": buyer.email, "password": PASSWORD})
    page = client.get("/checkout")
    assert page.status_code == 200 and product.name in page.get_data(as_text=True)


def test_one_order_per_producer_under_one_checkout(
    as_user: Callable[[User | None], FlaskClient],
    db: Session,
    buyer: User,
    seller: Producer,
    other_seller: Producer,
    stocked: Callable[..., Product],
) -> None:
    jujube = stocked(seller, stock=10, price_fen=3000)
    walnut = stocked(seller, stock=10, price_fen=1500)
    pork = stocked(other_seller, stock=5, price_fen=8800)
    db.add(ShippingRule(producer_id=seller.id, flat_fee_fen=800, free_above_fen=20000))
    db.add(ShippingRule(producer_id=other_seller.id, flat_fee_fen=1200, free_above_fen=None))
    put_in_cart(db, buyer, {jujube.id: 2, walnut.id: 1, pork.id: 1})
    client = as_user(buyer)

    page = client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert key is not None and "¥75.00" in page and "¥100.00" in page  # 60+15+8 shipping; 88+12 shipping
    form = FORM | {"idempotency_key": key.group(1), f"note_{seller.id}": "请下午送货"}
    response = client.post("/checkout", data=form)
    assert response.status_code == 302

    db.expire_all()
    checkout = db.scalars(select(Checkout).where(Checkout.buyer_id == buyer.id)).one()
    assert response.headers["Location"] == f"/payments/{checkout.number}"
    orders = {order.producer_id: order for order in checkout.orders}
    assert set(orders) == {seller.id, other_seller.id}
    first, second = orders[seller.id], orders[other_seller.id]
    assert (first.subtotal_fen, first.shipping_fen, first.note) == (7500, 800, "请下午送货")
    assert (second.subtotal_fen, second.shipping_fen, second.note) == (8800, 1200, None)
    assert checkout.total_fen == 7500 + 800 + 8800 + 1200
    assert checkout.method is PaymentMethod.BANK_TRANSFER
    assert re.fullmatch(f"XF[{CODE_ALPHABET}]{{8}}", checkout.payment_reference or "")
    assert all(o.status is OrderStatus.PENDING_PAYMENT for o in checkout.orders)
    assert (first.recipient, first.mobile, first.province, first.province_code) == (
        "王芳",
        "13812345678",
        "山东省",
        "370000",
    )
    assert {(line.product_id, line.quantity, line.unit_price_fen) for line in first.lines} == {
        (jujube.id, 2, 3000),
        (walnut.id, 1, 1500),
    }
    assert sum(a.quantity for line in second.lines for a in line.allocations) == 1
    assert (available(db, jujube), available(db, walnut), available(db, pork)) == (8, 9, 4)
    assert carts.account_items(db, buyer) == {}
    message = db.scalars(select(Notification).where(Notification.user_id == buyer.id)).one()
    assert message.kind == "order_placed" and f"{checkout.payment_reference}" in message.body


def test_numbers_are_readable_over_the_phone(
    db: Session, buyer: User, seller: Producer, stocked: Any
) -> None:
    product = stocked(seller)
    checkout = place_checkout(db, buyer, {product.id: 1}, ADDRESS, PaymentMethod.CASH_ON_DELIVERY, KEY)
    today = f"{shanghai_date():%y%m%d}"
    order = checkout.orders[0]
    assert re.fullmatch(today + r"\d{6}", order.number)
    assert re.fullmatch("C" + today + r"\d{6}", checkout.number)
    assert readable_number("261123480517") == "2611 2348 0517"
    assert readable_number("C261123480517") == "C 2611 2348 0517"
    assert checkout.payment_reference is not None  # cash on delivery is offline too


def test_free_shipping_from_the_rule_amount_and_free_without_rule(
    db: Session, buyer: User, seller: Producer, other_seller: Producer, stocked: Any
) -> None:
    product = stocked(seller, price_fen=5000)
    untaxed = stocked(other_seller, price_fen=1000)
    db.add(ShippingRule(producer_id=seller.id, flat_fee_fen=1000, free_above_fen=10000))
    db.flush()
    checkout = place_checkout(
        db, buyer, {product.id: 2, untaxed.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY
    )
    assert sorted((o.subtotal_fen, o.shipping_fen) for o in checkout.orders) == [(1000, 0), (10000, 0)]
    assert checkout.total_fen == 11000
    view = carts.cart_view(db, {product.id: 1})
    assert [q.shipping_fen for q in checkouts.quote(db, view).orders] == [1000]


def test_a_province_the_producer_does_not_serve_is_refused_by_name(
    as_user: Callable[[User | None], FlaskClient],
    db: Session,
    buyer: User,
    seller: Producer,
    stocked: Any,
) -> None:
    product = stocked(seller)
    db.add(ShippingRule(producer_id=seller.id, flat_fee_fen=800, excluded_provinces=["540000", "710000"]))
    put_in_cart(db, buyer, {product.id: 1})
    client = english(as_user(buyer))
    page = client.get("/checkout").get_data(as_text=True)
    assert "Does not deliver to: 西藏自治区、台湾省." in page
    before = snapshot(db)

    response = client.post("/checkout", data=FORM | {"province": "540000", "idempotency_key": KEY})
    assert response.status_code == 409
    assert "疏勒县绿源合作社 does not deliver to 西藏自治区." in response.get_data(as_text=True)
    assert snapshot(db) == before and available(db, product) == 10


def test_address_mistakes_are_named_field_by_field(
    as_user: Callable[[User | None], FlaskClient], db: Session, buyer: User, seller: Producer, stocked: Any
) -> None:
    product = stocked(seller)
    put_in_cart(db, buyer, {product.id: 1})
    client = english(as_user(buyer))
    before = snapshot(db)
    bad = FORM | {"recipient": " ", "mobile": "138 1234 567", "province": "", "detail": "1号", "city": ""}
    response = client.post("/checkout", data=bad | {"idempotency_key": KEY})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in (
        "Enter the recipient&#39;s name.",
        "A mobile number must have 11 digits; you entered 10.",
        "Choose a province.",
        "Enter the city.",
        "Enter the street address: street, building and room.",
    ):
        assert message in page
    assert snapshot(db) == before

    response = client.post("/checkout", data=FORM | {"mobile": "+1 415 555 0100", "idempotency_key": KEY})
    assert "Only mainland China mobile numbers (+86) are accepted." in response.get_data(as_text=True)
    assert snapshot(db) == before


def test_address_validation_cleans_what_it_accepts() -> None:
    cleaned = validate_address(ADDRESS)
    assert cleaned.mobile == "13812345678" and cleaned.detail == "北京路 18 号 3 单元 502"
    with pytest.raises(AddressInvalid) as caught:
        validate_address(Address("王" * 61, "13812345678", "999999", "临沂市", "兰山区", "北京路 18 号"))
    assert set(caught.value.errors) == {"recipient", "province"}
    assert len(PROVINCES) == 34 and len({p.code for p in PROVINCES}) == 34


def test_submitting_the_same_form_twice_places_one_checkout(
    as_user: Callable[[User | None], FlaskClient], db: Session, buyer: User, seller: Producer, stocked: Any
) -> None:
    product = stocked(seller, stock=10)
    put_in_cart(db, buyer, {product.id: 3})
    client = as_user(buyer)
    first = client.post("/checkout", data=FORM | {"idempotency_key": KEY})
    put_in_cart(db, buyer, {product.id: 3})  # the cart may even have been filled again meanwhile
    second = client.post("/checkout", data=FORM | {"idempotency_key": KEY})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    db.expire_all()
    assert row_count(db, "shop_checkout") == 1 and row_count(db, "shop_order") == 1
    assert available(db, product) == 7

    again = place_checkout(db, buyer, {product.id: 3}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)
    assert again.number in first.headers["Location"]


def test_someone_elses_key_is_refused(
    db: Session, buyer: User, make_user: Callable[..., User], seller: Producer, stocked: Any
) -> None:
    product = stocked(seller)
    place_checkout(db, buyer, {product.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)
    with pytest.raises(checkouts.InvalidCheckoutKey):
        place_checkout(db, make_user(), {product.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)
    with pytest.raises(checkouts.InvalidCheckoutKey):
        place_checkout(db, buyer, {product.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, "short")
    with pytest.raises(checkouts.UnknownPaymentMethod):
        place_checkout(db, buyer, {product.id: 1}, ADDRESS, "bitcoin", KEY + "-other")


def test_lines_are_allocated_earliest_best_before_first(
    db: Session,
    buyer: User,
    seller: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    today = shanghai_date()
    product = make_product(seller, certified=True)
    late = make_batch(product, quantity=5, best_before=today + timedelta(days=20))
    early = make_batch(product, quantity=2, best_before=today + timedelta(days=5))
    expired = make_batch(product, quantity=9, produced_on=today - timedelta(days=9), best_before=today)
    expired.best_before = today - timedelta(days=1)  # went past its date after it was recorded
    db.flush()
    checkout = place_checkout(db, buyer, {product.id: 4}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)
    allocations = checkout.orders[0].lines[0].allocations
    assert [(a.batch_id, a.quantity) for a in allocations] == [(early.id, 2), (late.id, 2)]
    db.expire_all()
    assert (early.quantity_available, late.quantity_available, expired.quantity_available) == (0, 3, 9)


def test_a_batch_on_hold_is_skipped(
    db: Session,
    buyer: User,
    seller: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    today = shanghai_date()
    product = make_product(seller, certified=True)
    held = make_batch(product, quantity=5, best_before=today + timedelta(days=3))
    other = make_batch(product, quantity=5, best_before=today + timedelta(days=20))
    place_hold(db, held, HoldReason.COLD_CHAIN, occurred_at=utcnow(), place="喀什冷库", summary="−9 °C")
    checkout = place_checkout(db, buyer, {product.id: 4}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)
    allocations = checkout.orders[0].lines[0].allocations
    assert [(a.batch_id, a.quantity) for a in allocations] == [(other.id, 4)]
    with pytest.raises(carts.OutOfStock):
        place_checkout(db, buyer, {product.id: 2}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY + "-again")


def test_nothing_is_written_when_a_line_cannot_be_allocated(
    db: Session, buyer: User, seller: Producer, stocked: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plenty = stocked(seller, stock=10)
    scarce = stocked(seller, stock=3)
    scarce_batch = db.scalars(select(Batch).where(Batch.product_id == scarce.id)).one()
    put_in_cart(db, buyer, {plenty.id: 4, scarce.id: 3})
    real_cart_view = carts.cart_view

    def racing_cart_view(*args: Any, **kwargs: Any) -> carts.CartView:
        view = real_cart_view(*args, **kwargs)
        draw_stock(db, scarce_batch, 2)  # another buyer checks out between the check and the allocation
        return view

    monkeypatch.setattr(checkouts, "cart_view", racing_cart_view)
    before = snapshot(db)
    with pytest.raises(carts.OutOfStock) as caught:
        place_checkout(db, buyer, {plenty.id: 4, scarce.id: 3}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)
    assert (caught.value.product_id, caught.value.available) == (scarce.id, 1)
    assert snapshot(db) == before
    assert available(db, plenty) == 10 and available(db, scarce) == 1  # only the other buyer's draw stays
    assert carts.account_items(db, buyer) == {plenty.id: 4, scarce.id: 3}


def test_recalled_stock_and_lapsed_certificates_cannot_be_checked_out(
    db: Session,
    buyer: User,
    seller: Producer,
    stocked: Any,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    recalled = stocked(seller, stock=5)
    for batch in db.scalars(select(Batch).where(Batch.product_id == recalled.id)):
        batch.status = BatchStatus.RECALLED
    db.flush()
    with pytest.raises(carts.SoldOut):
        place_checkout(db, buyer, {recalled.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)

    today = shanghai_date()
    lapsed = make_product(seller)
    make_certificate(db, lapsed, valid_from=today - timedelta(days=60), valid_to=today - timedelta(days=1))
    make_batch(lapsed, quantity=5)
    with pytest.raises(carts.CertificateLapsed):
        place_checkout(db, buyer, {lapsed.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)
    assert row_count(db, "shop_checkout") == 0 and row_count(db, "shop_allocation") == 0


def test_an_empty_cart_cannot_be_checked_out(
    as_user: Callable[[User | None], FlaskClient], db: Session, buyer: User
) -> None:
    response = as_user(buyer).get("/checkout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    with pytest.raises(checkouts.EmptyCart):
        place_checkout(db, buyer, {}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)


def test_stripe_is_offered_only_when_configured(
    app: Flask,
    as_user: Callable[[User | None], FlaskClient],
    db: Session,
    buyer: User,
    seller: Producer,
    stocked: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    put_in_cart(db, buyer, {stocked(seller).id: 1})
    client = as_user(buyer)
    page = client.get("/checkout").get_data(as_text=True)
    assert (
        'value="bank_transfer"' in page
        and 'value="cash_on_delivery"' in page
        and 'value="stripe"' not in page
    )
    assert (
        client.post("/checkout", data=FORM | {"method": "stripe", "idempotency_key": KEY}).status_code == 400
    )
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_configured")
    assert 'value="stripe"' in client.get("/checkout").get_data(as_text=True)


def test_the_form_is_filled_with_the_last_address(
    as_user: Callable[[User | None], FlaskClient], db: Session, buyer: User, seller: Producer, stocked: Any
) -> None:
    product = stocked(seller)
    place_checkout(db, buyer, {product.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY)
    put_in_cart(db, buyer, {product.id: 1})
    page = as_user(buyer).get("/checkout").get_data(as_text=True)
    assert 'value="北京路 18 号 3 单元 502"' not in page  # a textarea holds it as text
    assert "北京路 18 号 3 单元 502</textarea>" in page and 'value="13812345678"' in page
    assert '<option selected value="370000">' in page


def test_expired_reservations_give_stock_back_and_cancel_unpaid_orders(
    db: Session, buyer: User, seller: Producer, other_seller: Producer, stocked: Any
) -> None:
    mine = stocked(seller, stock=5)
    theirs = stocked(other_seller, stock=5)
    now = utcnow()
    checkout = place_checkout(
        db, buyer, {mine.id: 2, theirs.id: 3}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY, now=now
    )
    paid = next(o for o in checkout.orders if o.producer_id == other_seller.id)
    paid.mark_paid()
    db.flush()
    assert release_expired(db, now + timedelta(minutes=29)) == 0

    assert release_expired(db, now + timedelta(minutes=31)) == 1
    db.expire_all()
    unpaid = next(o for o in checkout.orders if o.producer_id == seller.id)
    assert unpaid.status is OrderStatus.CANCELLED and unpaid.cancel_reason
    assert paid.status is OrderStatus.PAID
    assert available(db, mine) == 5 and available(db, theirs) == 2
    returned = db.scalars(select(Allocation).where(Allocation.line_id == unpaid.lines[0].id)).all()
    assert [(a.quantity, a.returned_quantity) for a in returned] == [(2, 2)]
    kinds = [n.kind for n in db.scalars(select(Notification).where(Notification.user_id == buyer.id))]
    assert kinds == ["order_placed", "order_cancelled"]
    assert release_expired(db, now + timedelta(hours=5)) == 0  # nothing is given back twice
    assert available(db, mine) == 5


def test_release_runs_from_cron_and_on_access(
    app: Flask, client: FlaskClient, db: Session, buyer: User, seller: Producer, stocked: Any
) -> None:
    product = stocked(seller, stock=4)
    long_ago = utcnow() - timedelta(hours=1)
    first = place_checkout(db, buyer, {product.id: 1}, ADDRESS, "bank_transfer", KEY, now=long_ago)
    result = app.test_cli_runner().invoke(args=["release-reservations"])
    assert result.exit_code == 0, result.output
    assert "Released 1 expired reservation(s)." in result.output
    db.expire_all()
    assert first.orders[0].status is OrderStatus.CANCELLED and available(db, product) == 4

    second = place_checkout(db, buyer, {product.id: 4}, ADDRESS, "bank_transfer", KEY + "-2", now=long_ago)
    other = stocked(seller, stock=1, name="另一种枣")
    third = place_checkout(db, buyer, {other.id: 1}, ADDRESS, "bank_transfer", KEY + "-3", now=long_ago)
    assert available(db, product) == 0 and available(db, other) == 0
    # adding a product that is short releases the expired reservations holding that product, and only those
    assert client.post("/cart/add", data={"product_id": product.id, "quantity": 2}).status_code == 302
    db.expire_all()
    # (a cart reserves nothing: all four units are back)
    assert second.orders[0].status is OrderStatus.CANCELLED and available(db, product) == 4
    assert third.orders[0].status is OrderStatus.PENDING_PAYMENT and available(db, other) == 0
    # opening the cart releases what holds the cart's products
    with client.session_transaction() as cookie:
        cookie[CART_KEY] = carts.session_data({product.id: 2, other.id: 1})
    assert client.get("/cart").status_code == 200
    db.expire_all()
    assert third.orders[0].status is OrderStatus.CANCELLED and available(db, other) == 1
    assert app.test_cli_runner().invoke(args=["release-reservations"]).output.startswith("Released 0 ")


def test_placing_an_order_frees_stock_held_by_expired_reservations(
    as_user: Callable[[User | None], FlaskClient], db: Session, buyer: User, seller: Producer, stocked: Any
) -> None:
    product = stocked(seller, stock=3)
    stale = place_checkout(
        db, buyer, {product.id: 3}, ADDRESS, "bank_transfer", KEY + "-old", now=utcnow() - timedelta(days=3)
    )
    put_in_cart(db, buyer, {product.id: 3})
    assert available(db, product) == 0
    response = as_user(buyer).post("/checkout", data=FORM | {"idempotency_key": KEY})
    assert response.status_code == 302
    db.expire_all()
    assert stale.orders[0].status is OrderStatus.CANCELLED
    assert available(db, product) == 0 and row_count(db, "shop_checkout") == 2


def test_offline_payments_hold_the_goods_longer(
    as_user: Callable[[User | None], FlaskClient], db: Session, buyer: User, seller: Producer, stocked: Any
) -> None:
    put_in_cart(db, buyer, {stocked(seller).id: 1})
    before = utcnow()
    assert as_user(buyer).post("/checkout", data=FORM | {"idempotency_key": KEY}).status_code == 302
    db.expire_all()
    checkout = db.scalars(select(Checkout)).one()
    assert checkout.reserved_until - before >= timedelta(hours=47)


def test_notes_are_limited(db: Session, buyer: User, seller: Producer, stocked: Any) -> None:
    product = stocked(seller)
    with pytest.raises(checkouts.NoteTooLong):
        place_checkout(
            db, buyer, {product.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, KEY, {seller.id: "字" * 501}
        )
    assert row_count(db, "shop_checkout") == 0
