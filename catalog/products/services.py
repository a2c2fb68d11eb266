"""A producer's products: create and edit them, their quantity tiers, quality marks and images.

Only members of the producer may change its products. A producer that is not approved yet may still
prepare products; buyers simply do not see them until it is. Services flush but never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.producers.models import Producer
from catalog.products import certified
from catalog.products.errors import (
    CertifiedFactsFrozen,
    GtinTaken,
    InvalidGtin,
    InvalidQualityMark,
    InvalidSeason,
    InvalidTiers,
    ListingRestricted,
    NetWeightOutOfRange,
    NetWeightRequired,
    PriceOutOfRange,
    ProductNameRequired,
    QuantityOutOfRange,
)
from catalog.products.models import (
    Category,
    PriceTier,
    Product,
    QualityMark,
    QualityMarkKind,
    RetiredGtin,
    Unit,
)
from catalog.signals import new_listing_refusal, price_changed
from catalog.validators import GtinError, validate_gtin14
from core.clock import shanghai_date
from core.errors import PermissionDenied
from core.i18n import format_fen
from core.models import User

#: ¥100,000 per unit: far above any farm product, low enough to catch a slipped decimal point.
MAX_PRICE_FEN = 10_000_000
#: One tonne per package.
MAX_NET_WEIGHT_G = 1_000_000
MAX_QUANTITY = 10_000_000
MAX_TIERS = 4


@dataclass
class ProductData:
    """Validated form data for a product (money in fen, weights in grams)."""

    name: str
    category: Category
    unit: Unit
    price_fen: int
    name_en: str | None = None
    description: str | None = None
    net_weight_g: int | None = None
    specification: str | None = None
    institution_moq: int = 1
    monthly_capacity: int | None = None
    season_start: int = 1
    season_end: int = 12
    is_cold_chain: bool = False
    brand: str | None = None
    gtin: str | None = None


@dataclass
class QuickEdit:
    """The fields a producer changes often, from the product list."""

    price_fen: int
    institution_moq: int = 1
    monthly_capacity: int | None = None
    season_start: int = 1
    season_end: int = 12
    is_active: bool = True


def ensure_member(user: User, producer: Producer) -> None:
    """Raise PermissionDenied unless ``user`` acts for ``producer``."""
    if not is_member(user, producer):
        raise PermissionDenied()


def _text(value: str | None) -> str | None:
    """Strip ``value``; blank becomes None."""
    value = (value or "").strip()
    return value or None


def _check_price(price_fen: int) -> None:
    """Raise PriceOutOfRange unless 0 < price ≤ MAX_PRICE_FEN."""
    if not 0 < price_fen <= MAX_PRICE_FEN:
        raise PriceOutOfRange(max=format_fen(MAX_PRICE_FEN))


def _check_quantity(value: int | None, field: str, *, optional: bool = False) -> None:
    """Raise QuantityOutOfRange (for ``field``) unless 1 ≤ value ≤ MAX_QUANTITY (or None when optional)."""
    if value is None and optional:
        return
    if value is None or not 1 <= value <= MAX_QUANTITY:
        raise QuantityOutOfRange(field=field, min=1, max=MAX_QUANTITY)


def _check_season(start: int, end: int) -> None:
    """Raise InvalidSeason unless both months are 1–12 (start after end wraps round the new year)."""
    if not (1 <= start <= 12 and 1 <= end <= 12):
        raise InvalidSeason()


def _check_price_above_tiers(product: Product, price_fen: int) -> None:
    """Raise InvalidTiers if ``price_fen`` would not be above every tier's unit price."""
    highest = max((tier.unit_price_fen for tier in product.tiers), default=0)
    if highest and price_fen <= highest:
        raise InvalidTiers(
            _l(
                "The retail price must stay above every quantity-tier price (the highest is %(price)s). "
                "Change the tiers first."
            ),
            field="price",
            price=format_fen(highest),
        )


def _normalise_gtin(session: Session, value: str | None, product_id: int | None) -> str | None:
    """Validate an optional GTIN and make sure no other product uses it; return it as 14 digits."""
    if not _text(value):
        return None
    try:
        gtin = validate_gtin14(value or "")
    except GtinError as exc:
        raise InvalidGtin(exc.message) from exc
    clash = select(Product.id).where(Product.gtin == gtin)
    if product_id is not None:
        clash = clash.where(Product.id != product_id)
    if session.scalar(clash) is not None:
        raise GtinTaken(gtin=gtin)
    return gtin


def _values(session: Session, product: Product, data: ProductData) -> dict[str, Any]:
    """Validate ``data`` for ``product`` and return the column values it sets (nothing is changed yet)."""
    name = _text(data.name)
    if name is None:
        raise ProductNameRequired()
    _check_price(data.price_fen)
    unit = Unit(data.unit)
    net_weight = data.net_weight_g
    if unit.is_packaged:
        if net_weight is None or net_weight <= 0:
            raise NetWeightRequired()
        if net_weight > MAX_NET_WEIGHT_G:
            raise NetWeightOutOfRange(max=MAX_NET_WEIGHT_G)
    elif net_weight is not None and not 0 < net_weight <= MAX_NET_WEIGHT_G:
        raise NetWeightOutOfRange(max=MAX_NET_WEIGHT_G)
    _check_quantity(data.institution_moq, "institution_moq")
    _check_quantity(data.monthly_capacity, "monthly_capacity", optional=True)
    _check_season(data.season_start, data.season_end)
    if product.id is not None:
        _check_price_above_tiers(product, data.price_fen)
    return {
        "gtin": _normalise_gtin(session, data.gtin, product.id),
        "name": name,
        "name_en": _text(data.name_en),
        "category": Category(data.category),
        "description": _text(data.description),
        "unit": unit,
        "net_weight_g": net_weight if unit.is_packaged else None,
        "specification": _text(data.specification),
        "price_fen": data.price_fen,
        "institution_moq": data.institution_moq,
        "monthly_capacity": data.monthly_capacity,
        "season_start": data.season_start,
        "season_end": data.season_end,
        "is_cold_chain": bool(data.is_cold_chain),
        "brand": _text(data.brand),
    }


def _current(product: Product, names: Iterable[str]) -> dict[str, Any]:
    """The product's current values of the columns ``names``."""
    return {name: getattr(product, name) for name in names}


def create_product(session: Session, user: User, producer: Producer, data: ProductData) -> Product:
    """Create a product of ``producer`` from validated ``data``. Does not commit.

    Raises PermissionDenied for non-members, :class:`ListingRestricted` (409) when the county office
    restricted the producer's new listings, a ProductError subclass for invalid data (GtinTaken, 409, for
    a barcode number another product uses).
    """
    ensure_member(user, producer)
    if (refusal := new_listing_refusal(session, producer.id)) is not None:
        raise ListingRestricted(reason=refusal)
    product = Product(is_active=True)
    for name, value in _values(session, product, data).items():  # all validated before it joins the session
        setattr(product, name, value)
    product.producer = producer
    session.add(product)
    session.flush()
    price_changed.send(session, product=product, old_fen=None, new_fen=product.price_fen, user=user)
    return product


def update_product(session: Session, user: User, product: Product, data: ProductData) -> Product:
    """Replace a product's details with validated ``data``. Does not commit.

    A corrected GTIN is kept as retired (:class:`RetiredGtin`), so labels printed with it keep resolving.
    Raises as :func:`create_product`; the retail price must also stay above every tier price; while a
    certificate is valid, :class:`CertifiedFactsFrozen` (409) for a change to a fact it vouches for (see
    :mod:`catalog.products.certified`). A change to a certified product, or one under review, is audited and
    its county's reviewers are told.
    """
    ensure_member(user, product.producer)
    today = shanghai_date()
    with session.no_autoflush:  # the GTIN look-up must not flush a half-applied change
        values = _values(session, product, data)
    certificate = certified.frozen_by(product, today)
    if certificate is not None and (changed := certified.changed_facts(product, values)):
        raise CertifiedFactsFrozen(
            field=changed[0],
            fields=certified.describe(changed),
            number=certificate.certificate_no,
            valid_to=certificate.valid_to.isoformat() if certificate.valid_to else "",
        )
    before = _current(product, values)
    for name, value in values.items():
        setattr(product, name, value)
    if before["gtin"] and before["gtin"] != product.gtin:  # printed codes with the old GTIN still resolve
        session.add(RetiredGtin(gtin=before["gtin"], product_id=product.id))
    session.flush()
    certified.record_change(
        session, user, product, "product.update", before, values, today, tell_reviewers=True
    )
    _announce_price(session, user, product, before["price_fen"])
    return product


def quick_update(session: Session, user: User, product: Product, edit: QuickEdit) -> Product:
    """Change price, institution minimum order, monthly capacity, season and availability. Does not commit.

    Raises PermissionDenied for non-members, a ProductError subclass for invalid values.
    """
    ensure_member(user, product.producer)
    _check_price(edit.price_fen)
    _check_price_above_tiers(product, edit.price_fen)
    _check_quantity(edit.institution_moq, "institution_moq")
    _check_quantity(edit.monthly_capacity, "monthly_capacity", optional=True)
    _check_season(edit.season_start, edit.season_end)
    values = {
        "price_fen": edit.price_fen,
        "institution_moq": edit.institution_moq,
        "monthly_capacity": edit.monthly_capacity,
        "season_start": edit.season_start,
        "season_end": edit.season_end,
        "is_active": bool(edit.is_active),
    }
    before = _current(product, values)
    for name, value in values.items():
        setattr(product, name, value)
    session.flush()
    certified.record_change(
        session, user, product, "product.quick_update", before, values, shanghai_date(), tell_reviewers=False
    )
    _announce_price(session, user, product, before["price_fen"])
    return product


def _announce_price(session: Session, user: User, product: Product, old_fen: int) -> None:
    """Send ``price_changed`` when the product's retail price is no longer ``old_fen``."""
    if product.price_fen != old_fen:
        price_changed.send(session, product=product, old_fen=old_fen, new_fen=product.price_fen, user=user)


_TIER_ABOVE_RETAIL = _l(
    "The price from %(quantity)s units (%(price)s) must be lower than the retail price (%(than)s)."
)
_TIER_ABOVE_PREVIOUS = _l(
    "The price from %(quantity)s units (%(price)s) must be lower than the price from %(previous)s units "
    "(%(than)s)."
)


def check_tiers(retail_price_fen: int, tiers: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return ``(min_quantity, unit_price_fen)`` pairs sorted by quantity, or raise InvalidTiers.

    From 2 units on; quantities all different; each tier cheaper than the one before and than retail.
    """
    if len(tiers) > MAX_TIERS:
        raise InvalidTiers(_l("At most %(limit)s quantity tiers are allowed."), limit=MAX_TIERS)
    ordered = sorted(tiers)
    previous_qty, previous_price = 1, retail_price_fen
    for quantity, price in ordered:
        if not 2 <= quantity <= MAX_QUANTITY:
            raise InvalidTiers(
                _l("A tier's minimum quantity must be from 2 to %(max)s units."), max=MAX_QUANTITY
            )
        if price <= 0:
            raise InvalidTiers(_l("A tier's unit price must be more than ¥0.00."))
        if quantity == previous_qty:
            raise InvalidTiers(
                _l("Two tiers start at %(quantity)s units; give each its own quantity."), quantity=quantity
            )
        if price >= previous_price:
            params: dict[str, Any] = {
                "quantity": quantity,
                "price": format_fen(price),
                "than": format_fen(previous_price),
            }
            if previous_qty == 1:
                raise InvalidTiers(_TIER_ABOVE_RETAIL, **params)
            raise InvalidTiers(_TIER_ABOVE_PREVIOUS, previous=previous_qty, **params)
        previous_qty, previous_price = quantity, price
    return ordered


def set_tiers(session: Session, user: User, product: Product, tiers: Sequence[tuple[int, int]]) -> Product:
    """Replace the product's quantity tiers (``(min_quantity, unit_price_fen)``; empty removes all).

    Raises PermissionDenied for non-members and InvalidTiers (see :func:`check_tiers`). Does not commit.
    """
    ensure_member(user, product.producer)
    ordered = check_tiers(product.price_fen, tiers)
    before = {"tiers": _tier_text(product.tiers)}
    product.tiers.clear()
    session.flush()  # old rows go first: (product_id, min_quantity) is unique
    product.tiers.extend(PriceTier(min_quantity=q, unit_price_fen=p) for q, p in ordered)
    session.flush()
    after = {"tiers": _tier_text(product.tiers)}
    certified.record_change(
        session, user, product, "product.tiers", before, after, shanghai_date(), tell_reviewers=False
    )
    return product


def _tier_text(tiers: Iterable[PriceTier]) -> str:
    """Tiers as one line for the audit log, e.g. "10+: 2300, 50+: 2100" (unit prices in fen)."""
    return ", ".join(f"{tier.min_quantity}+: {tier.unit_price_fen}" for tier in tiers)


def set_quality_marks(
    session: Session, user: User, product: Product, marks: Mapping[QualityMarkKind, str | None]
) -> Product:
    """Set the certificate number of each quality mark kind given; a blank number removes that mark.

    Kinds not in ``marks`` are left alone. Raises PermissionDenied, InvalidQualityMark. Does not commit.
    """
    ensure_member(user, product.producer)
    before = {"quality_marks": _marks_text(product)}
    current = {mark.kind: mark for mark in product.quality_marks}
    for kind, raw in marks.items():
        kind = QualityMarkKind(kind)
        number = _text(raw)
        if number is not None and len(number) > 60:
            raise InvalidQualityMark(field=kind.value)
        mark = current.get(kind)
        if number is None:
            if mark is not None:
                product.quality_marks.remove(mark)
        elif mark is None:
            product.quality_marks.append(QualityMark(kind=kind, certificate_no=number))
        else:
            mark.certificate_no = number
    session.flush()
    after = {"quality_marks": _marks_text(product)}
    certified.record_change(
        session, user, product, "product.quality_marks", before, after, shanghai_date(), tell_reviewers=True
    )
    return product


def _marks_text(product: Product) -> str:
    """Quality marks as one line for the audit log, e.g. "green_food: LB-1, organic: OP-2"."""
    marks = sorted((mark.kind.value, mark.certificate_no) for mark in product.quality_marks)
    return ", ".join(f"{kind}: {number}" for kind, number in marks)


def member_product_filter(user: User) -> Any:
    """A WHERE clause selecting the products of every producer ``user`` acts for."""
    return Product.producer_id.in_([m.producer_id for m in getattr(user, "producer_memberships", [])])
