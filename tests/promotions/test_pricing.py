"""Promotions at checkout: what each kind takes off, the stacking rule, eligibility, limits, and the money
recorded on each order line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from orders.cart import services as carts
from orders.cart.discounts import allocate
from orders.cart.quotes import quote
from orders.models import ShippingRule, SponsorKind
from promotions.offers.budget import take_budget, take_budgets, take_use
from promotions.offers.errors import BudgetSpent, BuyerLimitReached, PromotionEnded
from promotions.offers.models import Eligibility, PromotionKind, PromotionStatus
from tests.commerce import Shop
from tests.promotions.support import make_promotion, pay, place


def test_allocate_shares_exactly_by_largest_remainder() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [2500, 6800]) == [3, 7]
    assert sum(allocate(999, [7, 13, 29, 1])) == 999
    assert allocate(5, [0, 0]) == [0, 0]


def test_spend_save_is_shared_over_the_lines_and_recorded(db: Session, shop: Shop) -> None:
    make_promotion(db, threshold_fen=10000, amount_fen=1000, producer_id=shop.producer_b.id)
    checkout = place(db, shop.buyer, {shop.product_b.id: 2})
    order = checkout.orders[0]
    line = order.lines[0]
    assert (line.total_fen, line.discount_fen, line.sponsored_fen, line.paid_fen) == (
        13600,
        1000,
        1000,
        12600,
    )
    assert order.discount_fen == 1000 and order.subtotal_fen == 12600 and order.list_fen == 13600
    assert checkout.total_fen == 12600
    assert [(d.amount_fen, d.sponsor_kind) for d in line.discounts] == [(1000, SponsorKind.PLATFORM)]


def test_threshold_not_reached_gives_nothing(db: Session, shop: Shop) -> None:
    make_promotion(db, threshold_fen=20000, amount_fen=1000)
    checkout = place(db, shop.buyer, {shop.product_b.id: 2})
    assert checkout.total_fen == 13600 and checkout.orders[0].lines[0].discount_fen == 0


def test_cross_producer_spend_save_is_shared_in_proportion(db: Session, shop: Shop) -> None:
    make_promotion(db, threshold_fen=5000, amount_fen=1001)
    checkout = place(db, shop.buyer, {shop.product_a.id: 2, shop.product_b.id: 1})
    lines = {line.product_id: line for order in checkout.orders for line in order.lines}
    # 2500 and 6800 of list value: 1001 × 2500 / 9300 = 269.08…, × 6800 / 9300 = 731.91… → 269 + 732
    assert lines[shop.product_a.id].discount_fen + lines[shop.product_b.id].discount_fen == 1001
    assert (lines[shop.product_a.id].discount_fen, lines[shop.product_b.id].discount_fen) == (269, 732)


def test_percent_and_fixed_off_only_on_chosen_products(db: Session, shop: Shop) -> None:
    make_promotion(db, kind=PromotionKind.PERCENT_OFF, percent=10, products=[shop.product_b])
    make_promotion(db, kind=PromotionKind.FIXED_OFF, amount_fen=50, products=[shop.product_a])
    checkout = place(db, shop.buyer, {shop.product_a.id: 3, shop.product_b.id: 1})
    lines = {line.product_id: line for order in checkout.orders for line in order.lines}
    assert lines[shop.product_b.id].discount_fen == 680
    assert lines[shop.product_a.id].discount_fen == 150


def test_free_shipping_waives_the_fee_only_where_there_is_one(db: Session, shop: Shop) -> None:
    db.add(ShippingRule(producer_id=shop.producer_b.id, flat_fee_fen=1200))
    db.flush()
    promotion = make_promotion(db, kind=PromotionKind.FREE_SHIPPING, threshold_fen=0)
    checkout = place(db, shop.buyer, {shop.product_a.id: 1, shop.product_b.id: 1})
    by_producer = {order.producer_id: order for order in checkout.orders}
    assert by_producer[shop.producer_b.id].shipping_fen == 0
    assert by_producer[shop.producer_b.id].shipping_discount_fen == 1200
    assert by_producer[shop.producer_b.id].shipping_promotion_id == promotion.id
    assert by_producer[shop.producer_a.id].shipping_discount_fen == 0  # it had no fee to waive
    db.refresh(promotion)
    assert promotion.spent_fen == 1200


def test_stacking_takes_the_sum_of_stackables_or_the_best_exclusive(db: Session, shop: Shop) -> None:
    make_promotion(db, title="A", threshold_fen=1000, amount_fen=300)
    make_promotion(db, title="B", threshold_fen=1000, amount_fen=400)
    exclusive = make_promotion(db, title="C", threshold_fen=1000, amount_fen=600, is_stackable=False)
    view = carts.cart_view(db, {shop.product_b.id: 1})
    priced = quote(db, view, shop.buyer)
    assert sorted(o.title for o in priced.discounts.offers) == ["A", "B"]  # 700 together beat 600
    exclusive.amount_fen = 800
    db.flush()
    priced = quote(db, view, shop.buyer)
    assert [o.title for o in priced.discounts.offers] == ["C"]  # the best exclusive beats 700
    exclusive.amount_fen = 700
    db.flush()
    assert sorted(o.title for o in quote(db, view, shop.buyer).discounts.offers) == ["A", "B"]  # a tie


def test_paused_ended_or_future_promotions_give_nothing(db: Session, shop: Shop) -> None:
    make_promotion(db, amount_fen=100, status=PromotionStatus.PAUSED)
    make_promotion(db, amount_fen=100, starts_at=utcnow() + timedelta(days=1))
    make_promotion(
        db, amount_fen=100, starts_at=utcnow() - timedelta(days=3), ends_at=utcnow() - timedelta(days=1)
    )
    view = carts.cart_view(db, {shop.product_b.id: 1})
    assert quote(db, view, shop.buyer).discounts.offers == []


def test_new_buyers_only_until_the_first_paid_order(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    make_promotion(db, title="新人", amount_fen=500, eligibility=Eligibility.NEW_BUYERS)
    first = place(db, shop.buyer, {shop.product_b.id: 1})
    assert first.orders[0].discount_fen == 500
    pay(db, make_admin(), first)
    second = place(db, shop.buyer, {shop.product_b.id: 1})
    assert second.orders[0].discount_fen == 0


def test_per_buyer_limit_is_enforced(db: Session, shop: Shop) -> None:
    promotion = make_promotion(db, amount_fen=500, per_buyer_limit=1)
    assert place(db, shop.buyer, {shop.product_b.id: 1}).orders[0].discount_fen == 500
    assert place(db, shop.buyer, {shop.product_b.id: 1}).orders[0].discount_fen == 0  # shown no more
    # a checkout priced before the limit was reached is refused, not charged differently
    with pytest.raises(BuyerLimitReached):
        take_use(db, promotion, shop.buyer.id)


def test_a_budget_that_cannot_cover_the_discount_stops_the_promotion(db: Session, shop: Shop) -> None:
    promotion = make_promotion(db, amount_fen=600, budget_fen=1000)
    assert place(db, shop.buyer, {shop.product_b.id: 1}).orders[0].discount_fen == 600
    db.refresh(promotion)
    assert (promotion.spent_fen, promotion.uses) == (600, 1)
    assert place(db, shop.buyer, {shop.product_b.id: 1}).orders[0].discount_fen == 0  # 400 left < 600
    with pytest.raises(BudgetSpent):
        take_budget(db, promotion, 600, utcnow())


def test_the_cart_and_checkout_pages_show_each_discount_and_why(
    db: Session, shop: Shop, as_user: Callable[[User | None], FlaskClient], english: None
) -> None:
    make_promotion(db, title="腊肉满减", threshold_fen=5000, amount_fen=800, sponsor_name="临沂市")
    client = as_user(shop.buyer)
    client.post("/cart/add", data={"product_id": shop.product_b.id, "quantity": 1})
    for path in ("/cart", "/checkout"):
        page = client.get(path).get_data(as_text=True)
        assert "腊肉满减" in page and "Spend ¥50.00, save ¥8.00" in page and "临沂市" in page, path


def test_a_producers_own_discount_is_not_sponsored(db: Session, shop: Shop) -> None:
    make_promotion(
        db,
        amount_fen=500,
        sponsor_kind=SponsorKind.PRODUCER,
        sponsor_id=shop.producer_b.id,
        producer_id=shop.producer_b.id,
    )
    line = place(db, shop.buyer, {shop.product_b.id: 1}).orders[0].lines[0]
    assert (line.discount_fen, line.sponsored_fen, line.paid_fen) == (500, 0, 6300)


def test_several_budgets_are_taken_in_one_statement_all_or_none(db: Session, shop: Shop) -> None:
    """A checkout using several promotions takes their budgets together; if one can no longer give its
    amount (spent, paused), the error names it and the checkout's SAVEPOINT leaves every budget as it was."""
    first = make_promotion(db, title="满减一", amount_fen=500)
    second = make_promotion(db, title="满减二", amount_fen=300, budget_fen=1000)
    third = make_promotion(db, title="九折", kind=PromotionKind.PERCENT_OFF, percent=10)
    take_budgets(db, [(third, 680), (first, 500), (second, 300)], utcnow())
    for promotion in (first, second, third):
        db.refresh(promotion)
    assert [(p.spent_fen, p.uses) for p in (first, second, third)] == [(500, 1), (300, 1), (680, 1)]
    with pytest.raises(BudgetSpent, match="满减二"), db.begin_nested():  # 700 left, 800 asked
        take_budgets(db, [(first, 500), (second, 800), (third, 680)], utcnow())
    third.status = PromotionStatus.PAUSED
    db.flush()
    with pytest.raises(PromotionEnded, match="九折"), db.begin_nested():
        take_budgets(db, [(first, 500), (second, 300), (third, 680)], utcnow())
    for promotion in (first, second, third):
        db.refresh(promotion)
    assert [(p.spent_fen, p.uses) for p in (first, second, third)] == [(500, 1), (300, 1), (680, 1)]
