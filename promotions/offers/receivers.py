"""Receivers: the orders package asks for a cart's discounts (``collect_discounts``) and tells of refunds;
promotions answer without orders knowing they exist."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from orders.cart.discounts import DiscountOffer, DiscountRequest
from orders.models import Order, OrderStatus, share
from orders.signals import collect_discounts, orders_cancelled
from payments.models import Refund
from payments.signals import refund_recorded
from promotions.coupons.errors import CouponNotApplicable
from promotions.coupons.services import find_coupon, give_back_use, use_coupon, why_not_applied
from promotions.offers.budget import give_back, take_budgets, take_use
from promotions.offers.pricing import price


def offer_discounts(sender: Session, request: DiscountRequest, **_extra: Any) -> list[DiscountOffer]:
    """Receiver of ``collect_discounts``: the discounts the running promotions give on the cart (stacking
    rule applied), with the promotion of the coupon the buyer entered — or, in ``request.coupon_problem``,
    why it does not apply. While the checkout is placed, a coupon that does not apply is refused
    (:class:`CouponNotApplicable`), a coupon that does is used once, and each discount is taken from its
    budget and the buyer's uses, in promotion order (so concurrent checkouts lock rows in the same order), the
    budgets in one statement; their errors propagate."""
    coupon = None
    if request.coupon_code:
        coupon, request.coupon_problem = find_coupon(sender, request.coupon_code, request.buyer, request.now)
    priced = price(sender, request, coupon.batch.promotion_id if coupon else None)
    if coupon is not None and request.coupon_problem is None:
        request.coupon_problem = why_not_applied(sender, coupon.batch.promotion, request, priced)
    if request.placing and request.coupon_problem is not None:
        raise CouponNotApplicable(request.coupon_problem)
    if request.placing and request.buyer is not None:
        if coupon is not None:
            use_coupon(sender, coupon, request.checkout_key)
        offers = sorted(priced.offers, key=lambda o: o.promotion_id)
        for offer in offers:
            take_use(sender, priced.promotions[offer.promotion_id], request.buyer.id)
        taken = [(priced.promotions[o.promotion_id], o.total_fen) for o in offers]
        take_budgets(sender, taken, request.now)
    return priced.offers


def return_cancelled(sender: Session, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_cancelled``: the discounts of orders never paid go back to their budgets
    (goods and shipping), and a checkout's coupon use once all its orders are cancelled, same transaction."""
    back: dict[int, int] = defaultdict(int)
    for order in orders:
        for line in order.lines:
            for discount in line.discounts:
                back[discount.promotion_id] += discount.amount_fen
        if order.shipping_promotion_id is not None:
            back[order.shipping_promotion_id] += order.shipping_discount_fen
    for promotion_id in sorted(back):
        give_back(sender, promotion_id, back[promotion_id])
    for checkout in {order.checkout for order in orders}:
        if all(order.status is OrderStatus.CANCELLED for order in checkout.orders):
            give_back_use(sender, checkout.idempotency_key)


def return_refunded(sender: Refund, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: the sponsors' discounts on the refunded units go back to their
    budgets — each discount's cumulative share of those units, so refunding every unit returns it all."""
    back: dict[int, int] = defaultdict(int)
    for refund_line in sender.lines:
        line = refund_line.line
        before = line.refunded_quantity - refund_line.quantity  # the line already counts this refund
        for discount in line.discounts:
            units = refund_line.quantity
            back[discount.promotion_id] += share(discount.amount_fen, line.quantity, before, units)
    for promotion_id in sorted(back):
        give_back(session, promotion_id, back[promotion_id])


def connect() -> None:
    """Connect the promotions' receivers (module-level functions: connecting again is harmless)."""
    collect_discounts.connect(offer_discounts)
    orders_cancelled.connect(return_cancelled)
    refund_recorded.connect(return_refunded)
