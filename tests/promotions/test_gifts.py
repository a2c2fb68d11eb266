"""满赠 gifts: from an order value on, a gift product drawn from real batch stock rides on its producer's
order at price 0, its sponsor paying its list value; out of stock it is not given and the buyer is told before
paying; cancelling or refunding gives its units and its sponsor's money back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from orders.cancellation import cancel_orders
from orders.cart import services as carts
from orders.cart.quotes import quote
from orders.models import CartItem, OrderStatus, SponsorKind
from payments.refunds import refund_order
from promotions.offers.errors import InvalidPromotion
from promotions.offers.models import Promotion, PromotionKind
from promotions.offers.services import PromotionData, create_promotion, preview
from tests.commerce import Shop
from tests.promotions.support import make_promotion, pay, place
from traceability.models import Batch

Client = Callable[[User | None], FlaskClient]


def _gift(db: Session, shop: Shop, quantity: int = 2, **fields: object) -> Promotion:
    """Spend ¥100 across producers, receive ``quantity`` 疏勒县西红柿 (¥12.50 each), paid by the platform."""
    return make_promotion(
        db,
        kind=PromotionKind.GIFT,
        threshold_fen=10000,
        gift_product=shop.product_a,
        gift_quantity=quantity,
        **fields,
    )


def test_a_gift_rides_on_its_producers_order_from_batch_stock(db: Session, shop: Shop) -> None:
    promotion = _gift(db, shop)
    checkout = place(db, shop.buyer, {shop.product_a.id: 1, shop.product_b.id: 2})
    order_a = next(o for o in checkout.orders if o.producer_id == shop.producer_a.id)
    gift = next(line for line in order_a.lines if line.is_gift)
    assert (gift.quantity, gift.unit_price_fen, gift.paid_fen, gift.discount_fen, gift.sponsored_fen) == (
        2,
        1250,
        0,
        2500,
        2500,
    )
    assert [(d.promotion_id, d.amount_fen, d.sponsor_kind) for d in gift.discounts] == [
        (promotion.id, 2500, SponsorKind.PLATFORM)
    ]
    assert [(a.batch_id, a.quantity) for a in gift.allocations] == [(shop.batch_a.id, 2)]
    db.refresh(shop.batch_a)
    assert shop.batch_a.quantity_available == 50 - 1 - 2
    # the buyer pays for what they bought, nothing for the gift; the order's list value includes it
    assert order_a.subtotal_fen == 1250 and order_a.discount_fen == 2500
    assert checkout.total_fen == 1250 + 13600
    db.refresh(promotion)
    assert promotion.spent_fen == 2500 and promotion.uses == 1


def test_no_gift_below_the_threshold_or_without_the_gifts_producer(db: Session, shop: Shop) -> None:
    _gift(db, shop)
    below = place(db, shop.buyer, {shop.product_a.id: 1, shop.product_b.id: 1})  # ¥80.50
    assert not any(line.is_gift for o in below.orders for line in o.lines)
    only_b = place(db, shop.buyer, {shop.product_b.id: 2})  # the gift ships with 疏勒's order: none here
    assert not any(line.is_gift for o in only_b.orders for line in o.lines)


def test_out_of_stock_the_gift_is_not_given_and_the_buyer_is_told_before_paying(
    db: Session, shop: Shop, as_user: Client, english: None
) -> None:
    promotion = _gift(db, shop, quantity=50)  # the batch holds 50, the cart takes one of them
    view = carts.cart_view(db, {shop.product_a.id: 1, shop.product_b.id: 2}, today=shanghai_date())
    priced = quote(db, view, shop.buyer, now=utcnow())
    assert not priced.discounts.offers
    assert priced.discounts.notes == [
        "The gift “疏勒县西红柿” of “测试满减” is out of stock and will not be given."
    ]
    client = as_user(shop.buyer)
    client.post("/cart/add", data={"product_id": shop.product_a.id, "quantity": 1})
    client.post("/cart/add", data={"product_id": shop.product_b.id, "quantity": 2})
    page = client.get("/checkout").get_data(as_text=True)
    assert "is out of stock and will not be given" in page
    checkout = place(db, shop.buyer, {shop.product_a.id: 1, shop.product_b.id: 2})
    assert not any(line.is_gift for o in checkout.orders for line in o.lines)
    db.refresh(promotion)
    assert promotion.spent_fen == 0


def test_checkout_shows_the_gift(db: Session, shop: Shop, as_user: Client, english: None) -> None:
    _gift(db, shop)
    client = as_user(shop.buyer)
    client.post("/cart/add", data={"product_id": shop.product_a.id, "quantity": 1})
    client.post("/cart/add", data={"product_id": shop.product_b.id, "quantity": 2})
    page = client.get("/checkout").get_data(as_text=True)
    assert "Gift: 2 × 疏勒县西红柿, worth ¥25.00" in page


def test_cancelling_gives_the_gifts_units_and_its_budget_back(db: Session, shop: Shop) -> None:
    promotion = _gift(db, shop)
    checkout = place(db, shop.buyer, {shop.product_a.id: 1, shop.product_b.id: 2})
    cancel_orders(db, checkout.orders, "changed my mind")
    db.refresh(shop.batch_a)
    db.refresh(promotion)
    assert shop.batch_a.quantity_available == 50 and promotion.spent_fen == 0


def test_refunding_the_last_units_bought_refunds_the_gift_too(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    promotion = _gift(db, shop)
    checkout = place(db, shop.buyer, {shop.product_a.id: 3, shop.product_b.id: 2})
    pay(db, admin, checkout)
    order_a = next(o for o in checkout.orders if o.producer_id == shop.producer_a.id)
    bought = next(line for line in order_a.lines if not line.is_gift)
    gift = next(line for line in order_a.lines if line.is_gift)
    first = refund_order(db, admin, order_a, {bought.id: 1}, "one bruised")
    assert [rl.line for rl in first.lines] == [bought] and gift.refunded_quantity == 0
    second = refund_order(db, admin, order_a, {bought.id: 2}, "the rest")
    assert {rl.line.id: rl.quantity for rl in second.lines} == {bought.id: 2, gift.id: 2}
    assert second.amount_fen == 2 * 1250 and order_a.status is OrderStatus.REFUNDED
    db.refresh(shop.batch_a)
    db.refresh(promotion)
    assert shop.batch_a.quantity_available == 50  # not shipped: every unit, the gift's too, is back
    assert promotion.spent_fen == 0


def test_creating_a_gift_promotion_checks_the_gift(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    today = shanghai_date()
    base = {
        "title": "满百赠西红柿",
        "kind": PromotionKind.GIFT,
        "starts_on": today,
        "ends_on": today,
        "budget_fen": 100000,
        "threshold_fen": 10000,
    }
    with pytest.raises(InvalidPromotion, match="gift product"):
        create_promotion(
            db, shop.owner_b, PromotionData(sponsor_key=f"producer:{shop.producer_b.id}", **base)
        )
    with pytest.raises(InvalidPromotion, match="product of this producer"):
        create_promotion(
            db,
            shop.owner_b,
            PromotionData(
                sponsor_key=f"producer:{shop.producer_b.id}",
                gift_product_id=shop.product_a.id,
                gift_quantity=1,
                **base,
            ),
        )
    promotion = create_promotion(
        db,
        shop.owner_b,
        PromotionData(
            sponsor_key=f"producer:{shop.producer_b.id}",
            gift_product_id=shop.product_b.id,
            gift_quantity=1,
            **base,
        ),
    )
    shown = preview(db, promotion, shop.product_b, 2, utcnow())
    assert shown.offer is not None and [g.name for g in shown.offer.gifts] == ["城口老腊肉"]
    assert shown.pay_fen == 13600  # nothing off the price: the gift comes on top


def test_the_preview_page_shows_the_gift(
    db: Session, shop: Shop, as_user: Client, english: None, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    promotion = _gift(db, shop)
    page = as_user(admin).get(f"/promotions/{promotion.id}?product={shop.product_a.id}&quantity=9")
    assert page.status_code == 200
    assert "Gift: 2 × 疏勒县西红柿 (worth ¥25.00" in page.get_data(as_text=True)


def test_the_buyers_order_page_marks_the_gift(
    db: Session, shop: Shop, as_user: Client, english: None
) -> None:
    _gift(db, shop)
    checkout = place(db, shop.buyer, {shop.product_a.id: 1, shop.product_b.id: 2})
    order_a = next(o for o in checkout.orders if o.producer_id == shop.producer_a.id)
    page = as_user(shop.buyer).get(f"/orders/{order_a.number}").get_data(as_text=True)
    assert '<span class="badge badge-ok">Gift</span>' in page


def test_a_gift_leaves_the_same_product_in_the_buyers_cart(
    db: Session,
    shop: Shop,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    honey = make_product(shop.producer_b, name="城口蜂蜜", price_fen=3900, certified=True)
    make_batch(honey, quantity=10)
    make_promotion(
        db, kind=PromotionKind.GIFT, threshold_fen=10000, gift_product=honey, gift_quantity=1, title="送蜂蜜"
    )
    db.add(CartItem(user_id=shop.buyer.id, product_id=honey.id, quantity=4))
    db.flush()
    checkout = place(db, shop.buyer, {shop.product_b.id: 2})  # the honey in the cart is not checked out
    assert [(line.product_id, line.is_gift) for line in checkout.orders[0].lines] == [
        (shop.product_b.id, False),
        (honey.id, True),
    ]
    kept = db.scalars(select(CartItem.product_id).where(CartItem.user_id == shop.buyer.id)).all()
    assert kept == [honey.id]  # the gift took nothing out of the buyer's cart


def test_without_the_gifts_producer_the_buyer_is_told_what_to_add(
    db: Session, shop: Shop, as_user: Client, english: None, make_admin: Callable[[], User]
) -> None:
    """A cross-producer gift ships with an order of its producer: a cart without one gets no gift, and the
    cart, checkout and preview pages say which producer's product to add; with it, the gift is given."""
    promotion = _gift(db, shop)
    expected = (
        "“测试满减” would give you 2 × 疏勒县西红柿, but the gift ships only with an order from "
        f"{shop.producer_a.name} and the cart holds none. Add any product of {shop.producer_a.name} "
        "(疏勒县西红柿 itself counts) to receive it."
    )
    view = carts.cart_view(db, {shop.product_b.id: 2}, today=shanghai_date())  # ¥136, only 城口's
    priced = quote(db, view, shop.buyer, now=utcnow())
    assert not priced.discounts.offers and priced.discounts.notes == [expected]
    below = quote(db, carts.cart_view(db, {shop.product_b.id: 1}, today=shanghai_date()), shop.buyer)
    assert below.discounts.notes == []  # ¥68: the threshold is not reached, nothing to promise
    client = as_user(shop.buyer)
    client.post("/cart/add", data={"product_id": shop.product_b.id, "quantity": 2})
    for path in ("/cart", "/checkout"):
        page = client.get(path).get_data(as_text=True)
        assert "but the gift ships only with an order from" in page and shop.producer_a.name in page, path
    admin_page = as_user(make_admin()).get(
        f"/promotions/{promotion.id}?product={shop.product_b.id}&quantity=2"
    )
    assert "but the gift ships only with an order from" in admin_page.get_data(as_text=True)
    client.post("/cart/add", data={"product_id": shop.product_a.id, "quantity": 1})
    page = client.get("/checkout").get_data(as_text=True)
    assert "Gift: 2 × 疏勒县西红柿, worth ¥25.00" in page
    assert "but the gift ships only with an order from" not in page
