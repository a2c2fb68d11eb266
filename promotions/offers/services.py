"""Creating, pausing and resuming promotions, who may, and the preview of what an order would cost.

Sponsors: the platform (its administrators), a producer (its members; its own products only), or an
institution of a sponsoring kind (a paired partner city, a state or private enterprise; its members), who
pays the discounts from the budget. Functions flush but never commit; they raise the named errors of
:mod:`promotions.offers.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member, producers_of
from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import SHANGHAI
from core.db import utcnow
from core.models import User
from orders.cart.discounts import DiscountOffer, DiscountRequest, PricedLine
from orders.cart.quotes import shipping_fee
from orders.models import ShippingRule, SponsorKind
from procurement.institutions.members import is_member_of
from procurement.institutions.models import Institution, InstitutionKind
from promotions.eligibility.services import describe as describe_audience
from promotions.offers.errors import AlreadyInState, InvalidPromotion, NotSponsor
from promotions.offers.models import Eligibility, Promotion, PromotionKind, PromotionStatus
from promotions.offers.pricing import Candidate, gift_needs_producer, gifts_in_stock, offer_of

#: Institutions that may sponsor promotions: paired partner cities and units, enterprises.
SPONSOR_INSTITUTION_KINDS = frozenset(
    {InstitutionKind.PARTNER, InstitutionKind.STATE_FIRM, InstitutionKind.PRIVATE_FIRM}
)
#: Most chosen products in one promotion.
MAX_PRODUCTS = 50
#: Longest promotion, in days.
MAX_DAYS = 366
#: Most units of a gift given with one order.
MAX_GIFT_UNITS = 20
#: Largest budget of one promotion, in fen (¥10 million).
MAX_BUDGET_FEN = 1_000_000_000


@dataclass(frozen=True)
class Sponsor:
    """Who pays: the platform, a producer or an institution, as a form's choice key (``producer:12``)."""

    kind: SponsorKind
    id: int | None
    name: str

    @property
    def key(self) -> str:
        """The form's value for this sponsor."""
        return self.kind.value if self.id is None else f"{self.kind.value}:{self.id}"


@dataclass
class PromotionData:
    """What the creation form gives (money in fen, days as Asia/Shanghai dates, both inclusive)."""

    title: str
    kind: PromotionKind
    sponsor_key: str
    starts_on: date
    ends_on: date
    budget_fen: int
    threshold_fen: int = 0
    amount_fen: int = 0
    percent: int | None = None
    producer_id: int | None = None
    product_ids: Sequence[int] = field(default_factory=list)
    is_stackable: bool = True
    eligibility: Eligibility = Eligibility.EVERYONE
    per_buyer_limit: int | None = None
    gift_product_id: int | None = None
    gift_quantity: int | None = None
    eligible_institution_id: int | None = None


def sponsors_of(session: Session, user: User) -> list[Sponsor]:
    """The sponsors ``user`` may act for: the platform (administrators), their producers, and their
    verified institutions of a sponsoring kind."""
    if not getattr(user, "is_authenticated", False):
        return []
    found = [Sponsor(SponsorKind.PLATFORM, None, str(_l("The platform")))] if user.is_admin else []
    found += [Sponsor(SponsorKind.PRODUCER, p.id, p.name) for p in producers_of(user)]
    for membership in getattr(user, "institution_memberships", []):
        institution = membership.institution
        sponsor = Sponsor(SponsorKind.INSTITUTION, institution.id, institution.name)
        if institution.kind in SPONSOR_INSTITUTION_KINDS and institution.is_verified and sponsor not in found:
            found.append(sponsor)
    return found


def may_manage(session: Session, user: User, promotion: Promotion) -> bool:
    """Administrators manage every promotion; a sponsor's members manage the sponsor's."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    if promotion.sponsor_kind is SponsorKind.PRODUCER and promotion.sponsor_id is not None:
        producer = session.get(Producer, promotion.sponsor_id)
        return producer is not None and is_member(user, producer)
    if promotion.sponsor_kind is SponsorKind.INSTITUTION and promotion.sponsor_id is not None:
        institution = session.get(Institution, promotion.sponsor_id)
        return institution is not None and is_member_of(user, institution)
    return False


def day_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _check_amounts(data: PromotionData) -> None:
    """Refuse settings that make no sense for the kind of promotion."""
    if not 1 <= len(data.title.strip()) <= 80:
        raise InvalidPromotion(_l("Give the promotion a name of 1 to 80 characters."), "title")
    if not 0 < data.budget_fen <= MAX_BUDGET_FEN:
        raise InvalidPromotion(_l("The budget must be more than ¥0 and at most ¥10,000,000."), "budget")
    if data.threshold_fen < 0 or data.threshold_fen > MAX_BUDGET_FEN:
        raise InvalidPromotion(_l("The threshold cannot be negative."), "threshold")
    if data.kind is PromotionKind.SPEND_SAVE and not 0 < data.amount_fen < data.threshold_fen:
        raise InvalidPromotion(
            _l("Spend-and-save needs a saving above ¥0 and below the threshold."), "amount"
        )
    if data.kind is PromotionKind.FIXED_OFF and not 0 < data.amount_fen <= MAX_BUDGET_FEN:
        raise InvalidPromotion(_l("Give the amount taken off each unit."), "amount")
    if data.kind is PromotionKind.PERCENT_OFF and not (data.percent and 1 <= data.percent <= 90):
        raise InvalidPromotion(_l("The percentage must be from 1 to 90."), "percent")
    if data.kind in (PromotionKind.PERCENT_OFF, PromotionKind.FIXED_OFF) and not data.product_ids:
        raise InvalidPromotion(_l("Choose the products the discount applies to."), "products")
    if data.kind is PromotionKind.GIFT:
        if data.threshold_fen <= 0:
            raise InvalidPromotion(_l("A gift needs an order value from which it is given."), "threshold")
        if not data.gift_product_id:
            raise InvalidPromotion(_l("Choose the gift product."), "gift_product")
        if not (data.gift_quantity and 1 <= data.gift_quantity <= MAX_GIFT_UNITS):
            raise InvalidPromotion(
                _l("Give from 1 to %(max)s units of the gift.", max=MAX_GIFT_UNITS), "gift_quantity"
            )
    if data.per_buyer_limit is not None and not 1 <= data.per_buyer_limit <= 1000:
        raise InvalidPromotion(_l("The limit per buyer must be from 1 to 1000."), "per_buyer_limit")
    if data.ends_on < data.starts_on or (data.ends_on - data.starts_on).days >= MAX_DAYS:
        raise InvalidPromotion(
            _l("The last day must be on or after the first, at most a year later."), "ends_on"
        )


def _products(session: Session, ids: Sequence[int], producer_id: int | None) -> list[Product]:
    """The chosen products, all existing and all of ``producer_id`` when the promotion is a producer's."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_PRODUCTS:
        raise InvalidPromotion(_l("Choose at most %(max)s products.", max=MAX_PRODUCTS), "products")
    products = list(session.scalars(select(Product).where(Product.id.in_(wanted)))) if wanted else []
    if len(products) != len(wanted):
        raise InvalidPromotion(_l("One of the chosen products does not exist."), "products")
    if producer_id is not None and any(p.producer_id != producer_id for p in products):
        raise InvalidPromotion(_l("Choose products of this producer only."), "products")
    return products


def staff_institution(
    session: Session, eligibility: Eligibility, institution_id: int | None
) -> Institution | None:
    """The institution whose staff may use a staff-only promotion or flash sale (``None`` for other
    audiences). Raises :class:`InvalidPromotion` when it is missing or does not exist."""
    if eligibility is not Eligibility.STAFF:
        return None
    institution = session.get(Institution, institution_id) if institution_id else None
    if institution is None:
        raise InvalidPromotion(
            _l("Give the number of the institution whose staff may use it."), "institution"
        )
    return institution


def _gift_product(session: Session, data: PromotionData, producer_id: int | None) -> Product | None:
    """The gift product of a 满赠 promotion: an existing product on sale, of ``producer_id`` when the
    promotion is a producer's (its order carries the gift). ``None`` for other kinds."""
    if data.kind is not PromotionKind.GIFT or data.gift_product_id is None:
        return None
    product = session.get(Product, data.gift_product_id)
    if product is None or not product.is_active:
        raise InvalidPromotion(_l("The gift must be an existing product on sale."), "gift_product")
    if producer_id is not None and product.producer_id != producer_id:
        raise InvalidPromotion(_l("The gift must be a product of this producer."), "gift_product")
    return product


def create_promotion(
    session: Session, actor: User, data: PromotionData, *, now: datetime | None = None
) -> Promotion:
    """Create a promotion paid by the sponsor ``data.sponsor_key`` (one ``actor`` may act for).

    A producer's promotion covers its own products only. Raises :class:`NotSponsor`,
    :class:`InvalidPromotion`. Does not commit.
    """
    sponsor = next((s for s in sponsors_of(session, actor) if s.key == data.sponsor_key), None)
    if sponsor is None:
        raise NotSponsor()
    _check_amounts(data)
    producer_id = sponsor.id if sponsor.kind is SponsorKind.PRODUCER else data.producer_id
    if producer_id is not None and session.get(Producer, producer_id) is None:
        raise InvalidPromotion(_l("There is no such producer."), "producer")
    products = _products(session, data.product_ids, producer_id)
    gift = _gift_product(session, data, producer_id)
    institution = staff_institution(session, data.eligibility, data.eligible_institution_id)
    starts_at = day_start(data.starts_on)
    ends_at = day_start(data.ends_on + timedelta(days=1))
    if ends_at <= (now or utcnow()):
        raise InvalidPromotion(_l("The last day has already passed."), "ends_on")
    promotion = Promotion(
        title=data.title.strip(),
        kind=data.kind,
        sponsor_kind=sponsor.kind,
        sponsor_id=sponsor.id,
        sponsor_name=sponsor.name[:120],
        producer_id=producer_id,
        threshold_fen=data.threshold_fen,
        amount_fen=data.amount_fen if data.kind in (PromotionKind.SPEND_SAVE, PromotionKind.FIXED_OFF) else 0,
        percent=data.percent if data.kind is PromotionKind.PERCENT_OFF else None,
        is_stackable=data.is_stackable,
        eligibility=data.eligibility,
        eligible_institution=institution,
        per_buyer_limit=data.per_buyer_limit,
        budget_fen=data.budget_fen,
        spent_fen=0,
        uses=0,
        chosen_products_only=bool(products),
        gift_product=gift,
        gift_quantity=data.gift_quantity if gift is not None else None,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=actor.id,
        products=products,
    )
    session.add(promotion)
    session.flush()
    return promotion


def set_paused(session: Session, actor: User, promotion: Promotion, paused: bool) -> None:
    """Pause (no discount until resumed) or resume a promotion. Raises :class:`NotSponsor`,
    :class:`AlreadyInState`. Does not commit."""
    if not may_manage(session, actor, promotion):
        raise NotSponsor()
    target = PromotionStatus.PAUSED if paused else PromotionStatus.ACTIVE
    if promotion.status is target:
        raise AlreadyInState(state=_l("paused") if paused else _l("running"))
    promotion.status = target
    session.flush()


@dataclass
class Preview:
    """What an order of ``quantity`` units of one product would cost with this promotion alone."""

    product: Product
    quantity: int
    list_fen: int
    shipping_fen: int
    offer: DiscountOffer | None
    #: Why the promotion gives nothing (a gift out of stock), shown with the preview.
    notes: list[str] = field(default_factory=list)

    @property
    def discount_fen(self) -> int:
        """What the promotion takes off (goods and shipping; a gift is given on top, not taken off)."""
        if self.offer is None:
            return 0
        return sum(self.offer.goods.values()) + sum(self.offer.shipping.values())

    @property
    def pay_fen(self) -> int:
        """What the buyer would pay, shipping included."""
        return self.list_fen + self.shipping_fen - self.discount_fen


def preview(
    session: Session, promotion: Promotion, product: Product, quantity: int, now: datetime
) -> Preview:
    """The cost of ``quantity`` units of ``product`` with the promotion (at its first moment if it has not
    started; a pause is ignored: this is what it gives while it runs, within the budget left). Does not
    write."""
    unit = product.unit_price_for(quantity)
    line = PricedLine(product.id, product.producer_id, quantity, unit)
    rule = session.scalar(select(ShippingRule).where(ShippingRule.producer_id == product.producer_id))
    fee = shipping_fee(rule, line.total_fen)
    moment = max(now, promotion.starts_at)
    request = DiscountRequest(None, [line], {product.producer_id: fee}, moment)
    chosen = frozenset({product.id}) if product in promotion.products else frozenset()
    offer = offer_of(Candidate(promotion, chosen), request)
    if offer is not None:
        offer = next(iter(gifts_in_stock(session, [offer], request)), None)
    notes = list(request.notes)
    missing = gift_needs_producer(Candidate(promotion, chosen), request)
    if missing is not None:
        notes.append(missing)
    if promotion.eligibility is not Eligibility.EVERYONE:
        notes.append(str(_l("Given only to: %(audience)s.", audience=describe_audience(promotion.audience))))
    return Preview(product, quantity, line.total_fen, fee, offer, notes)
