"""Discounts on a cart: asked of the promotions through :data:`orders.signals.collect_discounts`, shared
over the lines exactly, and written onto the order lines when a checkout is placed.

Orders do not know what a promotion is. They describe the cart (:class:`DiscountRequest`) and receive
offers (:class:`DiscountOffer`): per product, how many fen come off, and per producer, how much shipping is
waived, with who pays and why. A line never loses more than its list value, nor shipping more than its fee;
whatever an offer asks beyond that is dropped. Money is integer fen; an amount shared over lines is split in
proportion to their values by the largest remainder (:func:`allocate`), so the shares add up exactly.
Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from core.models import User
from orders.models import LineDiscount, Order, OrderLine, SponsorKind
from orders.signals import collect_discounts


def allocate(amount_fen: int, weights: Sequence[int]) -> list[int]:
    """Share ``amount_fen`` over ``weights`` in proportion, in whole fen that add up to ``amount_fen``:
    each gets the floor of its exact share, and the fen left go one each to the largest remainders (the
    earlier entry first on a tie). All-zero weights get nothing (and the amount is not shared)."""
    total = sum(weights)
    if total <= 0 or amount_fen <= 0:
        return [0] * len(weights)
    shares = [amount_fen * weight // total for weight in weights]
    left = amount_fen - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(amount_fen * weights[i] % total), i))
    for index in order[:left]:
        shares[index] += 1
    return shares


@dataclass(frozen=True)
class PricedLine:
    """A line of the cart as the promotions see it: product, producer, quantity and list unit price."""

    product_id: int
    producer_id: int
    quantity: int
    unit_price_fen: int

    @property
    def total_fen(self) -> int:
        """The line's list value."""
        return self.quantity * self.unit_price_fen


@dataclass
class DiscountRequest:
    """What the promotions are asked to price."""

    buyer: User | None
    lines: list[PricedLine]
    #: Shipping fee of each producer's order, before any free-shipping promotion.
    shipping: dict[int, int]
    now: datetime
    #: A coupon code the buyer entered (stripped), or ``None``.
    coupon_code: str | None = None
    #: True while the checkout is written: receivers take the money from their budgets.
    placing: bool = False
    #: The checkout's idempotency key while placing (receivers may record it with their redemption).
    checkout_key: str | None = None
    #: Set by a receiver when ``coupon_code`` does not apply: why, in the buyer's words.
    coupon_problem: str | None = None
    #: Added by receivers: what the buyer should know before paying (a gift out of stock, not eligible…).
    notes: list[str] = field(default_factory=list)

    @property
    def product_ids(self) -> list[int]:
        """The cart's products."""
        return [line.product_id for line in self.lines]

    @property
    def producer_ids(self) -> list[int]:
        """The cart's producers, in the order of their first line."""
        return list(dict.fromkeys(line.producer_id for line in self.lines))


@dataclass(frozen=True)
class Gift:
    """A gift product an offer gives (满赠): ``quantity`` units at their list ``unit_price_fen``, paid in
    full by the offer's sponsor; it ships with its producer's order and draws from that product's batches."""

    product_id: int
    producer_id: int
    quantity: int
    unit_price_fen: int
    name: str
    unit: str

    @property
    def value_fen(self) -> int:
        """The gift's list value (what its sponsor pays)."""
        return self.quantity * self.unit_price_fen


@dataclass
class DiscountOffer:
    """One promotion's discount on the cart: fen off per product and shipping waived per producer."""

    promotion_id: int
    title: str
    #: Why it applies, in the buyer's words ("Spend ¥100, save ¥10 on 城口老腊肉").
    reason: str
    sponsor_kind: SponsorKind
    sponsor_id: int | None
    sponsor_name: str
    goods: dict[int, int] = field(default_factory=dict)
    shipping: dict[int, int] = field(default_factory=dict)
    gifts: list[Gift] = field(default_factory=list)

    @property
    def total_fen(self) -> int:
        """Everything this offer costs its sponsor: goods and shipping taken off, gifts given."""
        return sum(self.goods.values()) + sum(self.shipping.values()) + sum(g.value_fen for g in self.gifts)

    @property
    def off_fen(self) -> int:
        """What this offer takes off the buyer's price (goods and shipping; gifts come on top)."""
        return sum(self.goods.values()) + sum(self.shipping.values())

    @property
    def is_sponsored(self) -> bool:
        """Paid by someone other than the producer itself (so it reaches the producer and counts)."""
        return self.sponsor_kind is not SponsorKind.PRODUCER


@dataclass
class Discounts:
    """The offers granted on a cart, capped to the lines' values and the shipping fees, and why the coupon
    entered does not apply (if it does not)."""

    offers: list[DiscountOffer] = field(default_factory=list)
    coupon_problem: str | None = None
    #: What the buyer should know before paying (a gift no longer in stock…), in the buyer's words.
    notes: list[str] = field(default_factory=list)

    def gifts_for(self, producer_id: int) -> list[tuple[DiscountOffer, Gift]]:
        """The gifts that ship with one producer's order, with the offer giving each."""
        return [(o, g) for o in self.offers for g in o.gifts if g.producer_id == producer_id]

    def goods_fen(self, product_id: int) -> int:
        """Discount on one product's line, every offer together."""
        return sum(offer.goods.get(product_id, 0) for offer in self.offers)

    def shipping_fen(self, producer_id: int) -> int:
        """Shipping waived for one producer's order."""
        return sum(offer.shipping.get(producer_id, 0) for offer in self.offers)

    def for_producer(self, producer_id: int, product_ids: Sequence[int]) -> list[tuple[DiscountOffer, int]]:
        """The offers touching one producer's order, with what each takes off it (shown at checkout)."""
        rows = []
        for offer in self.offers:
            amount = sum(offer.goods.get(pid, 0) for pid in product_ids) + offer.shipping.get(producer_id, 0)
            if amount:
                rows.append((offer, amount))
        return rows

    @property
    def total_fen(self) -> int:
        """Everything taken off the cart's price (gifts are given on top)."""
        return sum(offer.off_fen for offer in self.offers)


def capped(offers: list[DiscountOffer], request: DiscountRequest) -> list[DiscountOffer]:
    """The offers trimmed so that no line loses more than its value and no order more shipping than its fee
    (earlier offers first); offers left with nothing are dropped."""
    room = {line.product_id: line.total_fen for line in request.lines}
    ship_room = dict(request.shipping)
    kept = []
    for offer in offers:
        goods = {}
        for product_id, amount in offer.goods.items():
            take = min(max(amount, 0), room.get(product_id, 0))
            if take:
                goods[product_id] = take
                room[product_id] -= take
        shipping = {}
        for producer_id, amount in offer.shipping.items():
            take = min(max(amount, 0), ship_room.get(producer_id, 0))
            if take:
                shipping[producer_id] = take
                ship_room[producer_id] -= take
        offer.goods, offer.shipping = goods, shipping
        if offer.total_fen:
            kept.append(offer)
    return kept


def collect(session: Session, request: DiscountRequest) -> Discounts:
    """Ask every receiver of :data:`collect_discounts` for its offers on the cart ``request``.

    While placing, receivers take the money from their budgets and may raise a ``DomainError`` (the caller's
    SAVEPOINT is then rolled back). Does not commit.
    """
    offers: list[DiscountOffer] = []
    for _receiver, answer in collect_discounts.send(session, request=request):
        offers.extend(answer or [])
    return Discounts(capped(offers, request), request.coupon_problem, list(request.notes))


def record_line_money(order: Order, lines: Sequence[OrderLine], discounts: Discounts) -> None:
    """Write each line's discount (one :class:`LineDiscount` per offer), sponsored part and paid amount, and
    the order's goods discount; ``order.subtotal_fen`` becomes what the buyer pays for the goods. Does not
    flush."""
    order_discount = 0
    for line in lines:
        discount = sponsored = 0
        for offer in discounts.offers:
            amount = offer.goods.get(line.product_id, 0)
            if not amount:
                continue
            line.discounts.append(
                LineDiscount(
                    promotion_id=offer.promotion_id,
                    title=offer.title[:120],
                    sponsor_kind=offer.sponsor_kind,
                    sponsor_id=offer.sponsor_id,
                    amount_fen=amount,
                )
            )
            discount += amount
            sponsored += amount if offer.is_sponsored else 0
        line.discount_fen, line.sponsored_fen = discount, sponsored
        line.paid_fen = line.quantity * line.unit_price_fen - discount
        order_discount += discount
    order.discount_fen = order_discount
    order.subtotal_fen = sum(line.paid_fen for line in lines)


def gift_lines(order: Order, discounts: Discounts) -> list[OrderLine]:
    """Add the gifts that ship with ``order`` as lines at their list price, discounted in full by the offer
    giving them (one :class:`LineDiscount`; sponsored unless the producer gives it), paid 0; the order's
    goods discount grows by their value. Call after :func:`record_line_money`. Does not flush."""
    lines = []
    for offer, gift in discounts.gifts_for(order.producer_id):
        line = OrderLine(
            order=order,
            product_id=gift.product_id,
            product_name=gift.name[:120],
            unit=gift.unit,
            unit_price_fen=gift.unit_price_fen,
            quantity=gift.quantity,
            discount_fen=gift.value_fen,
            sponsored_fen=gift.value_fen if offer.is_sponsored else 0,
            paid_fen=0,
            is_gift=True,
        )
        line.discounts.append(
            LineDiscount(
                promotion_id=offer.promotion_id,
                title=offer.title[:120],
                sponsor_kind=offer.sponsor_kind,
                sponsor_id=offer.sponsor_id,
                amount_fen=gift.value_fen,
            )
        )
        order.discount_fen += gift.value_fen
        lines.append(line)
    return lines
