"""What each producer's order of a cart will cost: goods at list price, the promotions' discounts, shipping
by the producer's rule (less what a free-shipping promotion waives).

Shown on the checkout page and written by :func:`orders.cart.checkout.place_checkout`, so what the buyer
saw is what the order records. Functions flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from orders.addresses import BY_CODE
from orders.cart.discounts import DiscountOffer, DiscountRequest, Discounts, Gift, PricedLine, collect
from orders.cart.services import CartView, ProducerGroup
from orders.models import ShippingRule


@dataclass
class OrderQuote:
    """What one producer's order will cost: goods, discounts, shipping by its rule, and provinces it does
    not serve."""

    group: ProducerGroup
    #: Shipping the buyer pays (after a free-shipping promotion).
    shipping_fen: int
    free_above_fen: int | None = None
    #: Division codes of the provinces the producer does not ship to.
    excluded_codes: list[str] = field(default_factory=list)
    #: Discounts on the goods, every promotion together.
    discount_fen: int = 0
    #: Shipping a promotion waived.
    shipping_waived_fen: int = 0
    #: The promotion that waived the shipping, if one did.
    shipping_promotion_id: int | None = None
    #: Each promotion touching this order and what it takes off (goods and shipping), shown with its reason.
    discounts: list[tuple[DiscountOffer, int]] = field(default_factory=list)
    #: The gifts that ship with this order (满赠), with the offer giving each.
    gifts: list[tuple[DiscountOffer, Gift]] = field(default_factory=list)

    @property
    def goods_fen(self) -> int:
        """What the buyer pays for the goods: list value less discounts."""
        return self.group.subtotal_fen - self.discount_fen

    @property
    def total_fen(self) -> int:
        """Goods plus shipping, discounts taken off, in fen."""
        return self.goods_fen + self.shipping_fen

    @property
    def excluded_provinces(self) -> list[str]:
        """Names of the provinces the producer does not ship to."""
        return [BY_CODE[code].name for code in self.excluded_codes if code in BY_CODE]


@dataclass
class Quote:
    """The cart priced: one :class:`OrderQuote` per producer and the discounts granted."""

    orders: list[OrderQuote]
    discounts: Discounts

    @property
    def total_fen(self) -> int:
        """What the buyer pays for the whole checkout."""
        return sum(entry.total_fen for entry in self.orders)

    @property
    def coupon_problem(self) -> str | None:
        """Why the coupon entered does not apply (``None`` when it does, or none was entered)."""
        return self.discounts.coupon_problem


def shipping_fee(rule: ShippingRule | None, subtotal_fen: int) -> int:
    """The shipping fee in fen: the rule's flat fee; free from ``free_above_fen`` on, or without a rule."""
    if rule is None:
        return 0
    if rule.free_above_fen is not None and subtotal_fen >= rule.free_above_fen:
        return 0
    return rule.flat_fee_fen


def quote(
    session: Session,
    view: CartView,
    buyer: User | None = None,
    *,
    now: datetime | None = None,
    coupon_code: str | None = None,
    placing: bool = False,
    checkout_key: str | None = None,
) -> Quote:
    """Price each producer's order of the cart ``view`` for ``buyer``: goods, the promotions' discounts
    (asked through :data:`orders.signals.collect_discounts`), shipping by the producer's rule.

    ``placing`` lets the promotions take the discounts from their budgets (their errors propagate).
    Does not commit.
    """
    producer_ids = [group.producer.id for group in view.groups]
    rules = {
        rule.producer_id: rule
        for rule in session.scalars(select(ShippingRule).where(ShippingRule.producer_id.in_(producer_ids)))
    }
    fees = {
        group.producer.id: shipping_fee(rules.get(group.producer.id), group.subtotal_fen)
        for group in view.groups
    }
    request = DiscountRequest(
        buyer=buyer,
        lines=[
            PricedLine(line.product.id, group.producer.id, line.quantity, line.unit_price_fen)
            for group in view.groups
            for line in group.lines
        ],
        shipping=fees,
        now=now or utcnow(),
        coupon_code=coupon_code,
        placing=placing,
        checkout_key=checkout_key,
    )
    discounts = collect(session, request) if request.lines else Discounts()
    orders = []
    for group in view.groups:
        producer_id = group.producer.id
        rule = rules.get(producer_id)
        product_ids = [line.product.id for line in group.lines]
        waived = discounts.shipping_fen(producer_id)
        orders.append(
            OrderQuote(
                group=group,
                shipping_fen=fees[producer_id] - waived,
                free_above_fen=rule.free_above_fen if rule else None,
                excluded_codes=list(rule.excluded_provinces or []) if rule else [],
                discount_fen=sum(discounts.goods_fen(pid) for pid in product_ids),
                shipping_waived_fen=waived,
                shipping_promotion_id=next(
                    (o.promotion_id for o in discounts.offers if o.shipping.get(producer_id)), None
                ),
                discounts=discounts.for_producer(producer_id, product_ids),
                gifts=discounts.gifts_for(producer_id),
            )
        )
    return Quote(orders, discounts)
