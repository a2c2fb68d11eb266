"""How a cart is priced by the running promotions, and the stacking rule.

Only promotions that can touch the cart are read, by indexed queries: the active ones of the cart's
producers plus the active cross-producer ones (``producer_id`` NULL: few, the platform's and sponsors'), and
the chosen-product links of the cart's products only. Each promotion offers its discount on its eligible
lines (its producer's, and its chosen products when it has some):

- 满减 (``spend_save``): goods of at least ``threshold_fen`` at list prices save ``amount_fen``, shared over
  those lines in proportion to their value (largest remainder, so the shares add up exactly);
- ``percent_off``: ``percent`` % of those goods (rounded down to the fen), shared the same way;
- ``fixed_off``: ``amount_fen`` off each unit (never more than the unit's price);
- ``free_shipping``: the shipping fee of each of those producers' orders is waived, once their goods reach
  ``threshold_fen`` — only where the order has a fee at all;
- ``gift`` (满赠): goods of at least ``threshold_fen`` receive ``gift_quantity`` units of the gift product,
  at its list price paid by the sponsor; the gift ships with its producer's order, so the cart must hold an
  order of that producer (always so for a producer's own promotion; a cross-producer promotion whose cart
  holds none gives nothing, and the buyer is told on the cart and checkout pages which producer's product
  to add — :func:`gift_needs_producer`), and it is given only while its sellable batches hold enough units
  (otherwise the buyer is told, in ``request.notes``, before paying).

A promotion whose remaining budget cannot cover its whole discount offers nothing (it stops when spent).

**Stacking rule**: every promotion is *stackable* or *exclusive*. A cart gets either the sum of all its
stackable promotions or the single best exclusive one — whichever saves the buyer more; on a tie, the
stackable ones. :func:`choose` is that rule, and the promotions' pages state it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import shanghai_date
from core.i18n import format_fen
from orders.cart.discounts import DiscountOffer, DiscountRequest, Gift, PricedLine, allocate, capped
from promotions.eligibility.services import describe as describe_audience
from promotions.eligibility.services import why_not
from promotions.offers.models import (
    BuyerUse,
    Eligibility,
    Promotion,
    PromotionKind,
    PromotionStatus,
    promotion_product,
)
from traceability.batches.inventory import units_in_stock


@dataclass
class Candidate:
    """A running promotion that might apply, with the cart's products it was chosen for."""

    promotion: Promotion
    chosen: frozenset[int]


def candidates(
    session: Session, request: DiscountRequest, coupon_promotion: int | None = None
) -> list[Candidate]:
    """The running promotions that can touch the cart, each with the cart's products among its chosen ones
    (a promotion given only with a coupon when ``coupon_promotion`` is its id: the buyer entered its code).

    One indexed query over active promotions (by status, producer and end) and one over the chosen-product
    links of the cart's products; nothing here grows with the catalog or with past promotions.
    """
    now = request.now
    if not request.lines:
        return []
    promotions = list(
        session.scalars(
            select(Promotion)
            .where(
                Promotion.status == PromotionStatus.ACTIVE,
                or_(Promotion.producer_id.in_(request.producer_ids), Promotion.producer_id.is_(None)),
                or_(Promotion.needs_coupon.is_(False), Promotion.id == (coupon_promotion or 0)),
                Promotion.ends_at > now,
                Promotion.starts_at <= now,
                Promotion.spent_fen < Promotion.budget_fen,
            )
            .order_by(Promotion.id)
        )
    )
    listed = [p.id for p in promotions if p.chosen_products_only]
    chosen: dict[int, set[int]] = {}
    if listed:
        links = session.execute(
            select(promotion_product.c.promotion_id, promotion_product.c.product_id).where(
                and_(
                    promotion_product.c.product_id.in_(request.product_ids),
                    promotion_product.c.promotion_id.in_(listed),
                )
            )
        )
        for promotion_id, product_id in links:
            chosen.setdefault(promotion_id, set()).add(product_id)
    return [Candidate(p, frozenset(chosen.get(p.id, ()))) for p in promotions]


def eligible_lines(candidate: Candidate, lines: Sequence[PricedLine]) -> list[PricedLine]:
    """The cart's lines the promotion applies to: its producer's, its chosen products when it has some."""
    promotion = candidate.promotion
    return [
        line
        for line in lines
        if (promotion.producer_id is None or line.producer_id == promotion.producer_id)
        and (not promotion.chosen_products_only or line.product_id in candidate.chosen)
    ]


def describe(promotion: Promotion) -> str:
    """Why the promotion applies, in the reader's language ("Spend ¥100.00, save ¥10.00")."""
    if promotion.kind is PromotionKind.SPEND_SAVE:
        text = _(
            "Spend %(threshold)s, save %(amount)s",
            threshold=format_fen(promotion.threshold_fen),
            amount=format_fen(promotion.amount_fen),
        )
    elif promotion.kind is PromotionKind.PERCENT_OFF:
        text = _("%(percent)s%% off", percent=promotion.percent)
    elif promotion.kind is PromotionKind.FIXED_OFF:
        text = _("%(amount)s off each unit", amount=format_fen(promotion.amount_fen))
    elif promotion.kind is PromotionKind.GIFT:
        text = _(
            "Spend %(threshold)s, receive %(quantity)s × %(gift)s",
            threshold=format_fen(promotion.threshold_fen),
            quantity=promotion.gift_quantity or 0,
            gift=promotion.gift_product.name if promotion.gift_product else "",
        )
    elif promotion.threshold_fen:
        text = _("Free shipping from %(threshold)s", threshold=format_fen(promotion.threshold_fen))
    else:
        text = _("Free shipping")
    if promotion.kind in (PromotionKind.PERCENT_OFF, PromotionKind.FIXED_OFF) and promotion.threshold_fen:
        text += _(" (from %(threshold)s)", threshold=format_fen(promotion.threshold_fen))
    if promotion.producer is not None:
        text += _(" on products of %(producer)s", producer=promotion.producer.name)
    if promotion.eligibility is Eligibility.NEW_BUYERS:
        text += _(", for new buyers")
    elif promotion.eligibility is not Eligibility.EVERYONE:
        text += ", " + describe_audience(promotion.audience)
    return str(text)


def offer_of(candidate: Candidate, request: DiscountRequest) -> DiscountOffer | None:
    """The discount one promotion gives on the cart, or ``None`` when it gives nothing (threshold not
    reached, no eligible line, no shipping to waive, or more than its budget has left)."""
    promotion = candidate.promotion
    lines = eligible_lines(candidate, request.lines)
    base = sum(line.total_fen for line in lines)
    if not lines or base < promotion.threshold_fen:
        return None
    goods: dict[int, int] = {}
    shipping: dict[int, int] = {}
    gifts: list[Gift] = []
    weights = [line.total_fen for line in lines]
    if promotion.kind is PromotionKind.SPEND_SAVE:
        shares = allocate(min(promotion.amount_fen, base), weights)
        goods = {line.product_id: share for line, share in zip(lines, shares, strict=True)}
    elif promotion.kind is PromotionKind.PERCENT_OFF:
        shares = allocate(base * (promotion.percent or 0) // 100, weights)
        goods = {line.product_id: share for line, share in zip(lines, shares, strict=True)}
    elif promotion.kind is PromotionKind.FIXED_OFF:
        goods = {
            line.product_id: min(promotion.amount_fen, line.unit_price_fen) * line.quantity for line in lines
        }
    elif promotion.kind is PromotionKind.GIFT:
        gift = _gift_of(promotion, request)
        if gift is None:
            return None
        gifts = [gift]
    else:
        for producer_id in dict.fromkeys(line.producer_id for line in lines):
            if request.shipping.get(producer_id, 0) > 0:
                shipping[producer_id] = request.shipping[producer_id]
    goods = {product_id: amount for product_id, amount in goods.items() if amount > 0}
    offer = DiscountOffer(
        promotion_id=promotion.id,
        title=promotion.title,
        reason=describe(promotion),
        sponsor_kind=promotion.sponsor_kind,
        sponsor_id=promotion.sponsor_id,
        sponsor_name=promotion.sponsor_name,
        goods=goods,
        shipping=shipping,
        gifts=gifts,
    )
    if offer.total_fen <= 0 or offer.total_fen > promotion.left_fen:
        return None
    return offer


def _gift_of(promotion: Promotion, request: DiscountRequest) -> Gift | None:
    """The gift a 满赠 promotion gives on the cart, or ``None`` when the cart holds no order of the gift's
    producer (the gift ships with it; :func:`gift_needs_producer` tells the buyer what to add)."""
    product = promotion.gift_product
    quantity = promotion.gift_quantity or 0
    if product is None or quantity <= 0 or product.producer_id not in request.producer_ids:
        return None
    return Gift(
        product_id=product.id,
        producer_id=product.producer_id,
        quantity=quantity,
        unit_price_fen=product.unit_price_for(quantity),
        name=product.name,
        unit=product.unit.value,
    )


def gift_needs_producer(candidate: Candidate, request: DiscountRequest) -> str | None:
    """Why a 满赠 promotion the cart reaches gives nothing — its gift ships only with an order of the gift's
    producer and the cart holds none — and what to add, in the buyer's words; ``None`` otherwise (not a
    gift, the producer is there, the threshold is not reached, or its budget cannot pay the gift)."""
    promotion = candidate.promotion
    if promotion.kind is not PromotionKind.GIFT:
        return None
    product = promotion.gift_product
    quantity = promotion.gift_quantity or 0
    if product is None or quantity <= 0 or product.producer_id in request.producer_ids:
        return None
    lines = eligible_lines(candidate, request.lines)
    if not lines or sum(line.total_fen for line in lines) < promotion.threshold_fen:
        return None
    if product.unit_price_for(quantity) * quantity > promotion.left_fen:
        return None
    return str(
        _(
            "“%(title)s” would give you %(quantity)s × %(gift)s, but the gift ships only with an order from "
            "%(producer)s and the cart holds none. Add any product of %(producer)s (%(gift)s itself counts) "
            "to receive it.",
            title=promotion.title,
            quantity=quantity,
            gift=product.name,
            producer=product.producer.name,
        )
    )


def gifts_in_stock(
    session: Session, offers: list[DiscountOffer], request: DiscountRequest
) -> list[DiscountOffer]:
    """The offers whose gifts the batches can still give (the cart's own units of the same product
    counted first); an offer whose gift ran out is dropped and the buyer told why in ``request.notes``.
    One indexed sum per gift product."""
    kept = []
    today = shanghai_date(request.now)
    wanted = {line.product_id: line.quantity for line in request.lines}
    for offer in offers:
        short = []
        for gift in offer.gifts:
            product = session.get(Product, gift.product_id)
            need = wanted.get(gift.product_id, 0) + gift.quantity
            if product is None or units_in_stock(session, product, today) < need:
                short.append(gift)
            else:
                wanted[gift.product_id] = need
        if short:
            for gift in short:
                request.notes.append(
                    _(
                        "The gift “%(gift)s” of “%(title)s” is out of stock and will not be given.",
                        gift=gift.name,
                        title=offer.title,
                    )
                )
            continue
        kept.append(offer)
    return kept


def usable(
    session: Session, request: DiscountRequest, found: list[Candidate]
) -> tuple[list[Candidate], dict[int, str]]:
    """The candidates this buyer may use — those whose audience admits them
    (:func:`promotions.eligibility.services.why_not`: a visitor counts as a new buyer, staff-only and
    invitation-only ones need a signed-in buyer) and not past a per-buyer limit — and, by promotion id, why
    each audience refused them."""
    buyer = request.buyer
    signed_in = buyer is not None and bool(getattr(buyer, "id", None))
    limited = [c.promotion.id for c in found if c.promotion.per_buyer_limit is not None]
    uses: dict[int, int] = {}
    if limited and signed_in and buyer is not None:
        rows = session.execute(
            select(BuyerUse.promotion_id, BuyerUse.uses).where(
                BuyerUse.buyer_id == buyer.id, BuyerUse.promotion_id.in_(limited)
            )
        )
        uses = {int(promotion_id): int(count) for promotion_id, count in rows}
    kept = []
    refused: dict[int, str] = {}
    for candidate in found:
        promotion = candidate.promotion
        if promotion.per_buyer_limit is not None and uses.get(promotion.id, 0) >= promotion.per_buyer_limit:
            continue
        reason = why_not(session, promotion.audience, buyer)
        if reason is not None:
            refused[promotion.id] = reason
            continue
        kept.append(candidate)
    return kept, refused


def choose(offers: list[DiscountOffer], stackable: set[int], request: DiscountRequest) -> list[DiscountOffer]:
    """The stacking rule: the sum of the stackable offers (ids in ``stackable``) or the single best exclusive
    one, whichever saves more once capped to the lines' values; on a tie, the stackable ones."""
    stacked = capped([_copy(o) for o in offers if o.promotion_id in stackable], request)
    exclusive = [o for o in offers if o.promotion_id not in stackable]
    best = max(exclusive, key=lambda o: (o.total_fen, -o.promotion_id), default=None)
    if best is not None and best.total_fen > sum(o.total_fen for o in stacked):
        return [best]
    return stacked


def _copy(offer: DiscountOffer) -> DiscountOffer:
    """A copy whose amounts :func:`capped` may trim without touching the original."""
    return DiscountOffer(
        **{
            **offer.__dict__,
            "goods": dict(offer.goods),
            "shipping": dict(offer.shipping),
            "gifts": list(offer.gifts),
        }
    )


@dataclass
class Priced:
    """The offers a cart gets, and what became of each running promotion on the way (so a coupon's
    promotion that gives nothing can say why)."""

    offers: list[DiscountOffer]
    promotions: dict[int, Promotion]
    #: Ids of the running promotions that could touch the cart, of those this buyer may use, and of those
    #: that offered something before the stacking rule chose.
    found: set[int]
    usable: set[int]
    offered: set[int]
    #: Why this buyer may not use a running promotion, by its id (its audience refused them).
    ineligible: dict[int, str] = field(default_factory=dict)


def price(session: Session, request: DiscountRequest, coupon_promotion: int | None = None) -> Priced:
    """The offers the cart gets (stacking rule applied), the promotions they come from, and what became of
    each (``coupon_promotion``: the promotion of a coupon the buyer entered, otherwise never offered)."""
    found = candidates(session, request, coupon_promotion)
    kept, refused = usable(session, request, found)
    by_id = {c.promotion.id: c.promotion for c in found}
    offers = [offer for offer in (offer_of(c, request) for c in kept) if offer is not None]
    offers = gifts_in_stock(session, offers, request)
    request.notes.extend(note for note in (gift_needs_producer(c, request) for c in kept) if note)
    stackable = {o.promotion_id for o in offers if by_id[o.promotion_id].is_stackable}
    for candidate in found:  # say why a promotion that would apply to this cart is not for this buyer
        promotion = candidate.promotion
        if promotion.id in refused and promotion.id != coupon_promotion and offer_of(candidate, request):
            request.notes.append(
                _(
                    "“%(title)s” does not apply: %(reason)s",
                    title=promotion.title,
                    reason=refused[promotion.id],
                )
            )
    return Priced(
        offers=choose(offers, stackable, request),
        promotions=by_id,
        found=set(by_id),
        usable={c.promotion.id for c in kept},
        offered={o.promotion_id for o in offers},
        ineligible=refused,
    )
