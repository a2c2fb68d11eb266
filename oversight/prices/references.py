"""Reference prices: set by a county reviewer (for a category and unit, in one of their counties) or an
administrator (also platform-wide), one at a time or from a CSV of market prices (:mod:`.reference_csv`).

Setting a reference re-checks only the products it governs (:func:`oversight.prices.alerts.check_reference`).
Functions flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Category, Product, Unit
from core.access import can_review
from core.audit.services import record
from core.models import Region, User
from core.pagination import Page, paginate
from oversight.prices.alerts import Thresholds, check_reference
from oversight.prices.errors import NotCountyReviewer, PlatformWideForAdmins
from oversight.prices.models import ReferencePrice, ReferenceSource


@dataclass(frozen=True)
class ReferenceInput:
    """One reference: a category and unit (or one product), and the price in fen."""

    category: Category
    unit: Unit
    price_fen: int
    product: Product | None = None


def ensure_may_set(user: User, county: Region | None) -> None:
    """Raise unless ``user`` may set references in ``county`` (None: platform-wide, administrators only)."""
    if county is None:
        if not user.is_admin:
            raise PlatformWideForAdmins()
    elif not can_review(user, county):
        raise NotCountyReviewer()


def _find(session: Session, county_key: int, data: ReferenceInput) -> ReferencePrice | None:
    product_key = data.product.id if data.product is not None else 0
    return session.scalar(
        select(ReferencePrice).where(
            ReferencePrice.county_key == county_key,
            ReferencePrice.category == data.category,
            ReferencePrice.unit == data.unit,
            ReferencePrice.product_key == product_key,
        )
    )


def set_reference(
    session: Session,
    user: User,
    county: Region | None,
    data: ReferenceInput,
    source: ReferenceSource,
    thresholds: Thresholds,
    now: datetime,
) -> ReferencePrice:
    """Set (or replace) the reference of ``data``'s scope in ``county`` (None: everywhere; a product's own
    reference is in its county) and raise the alerts it calls for. Raises :class:`NotCountyReviewer`,
    :class:`PlatformWideForAdmins`. Does not commit."""
    if data.product is not None:
        county = session.get(Region, data.product.county_id) if data.product.county_id else county
    ensure_may_set(user, county)
    county_key = county.id if county is not None else 0
    reference = _find(session, county_key, data)
    before = {"price_fen": reference.price_fen} if reference is not None else None
    if reference is None:
        reference = ReferencePrice(
            county_id=county.id if county is not None else None,
            county_key=county_key,
            category=data.category,
            unit=data.unit,
            product_id=data.product.id if data.product is not None else None,
            product_key=data.product.id if data.product is not None else 0,
        )
        session.add(reference)
    reference.price_fen, reference.source, reference.set_at = data.price_fen, source, now
    reference.set_by_id = user.id
    session.flush()
    record(
        session,
        user,
        "price_reference.set",
        "price_reference",
        reference.id,
        before=before,
        after={"price_fen": data.price_fen, "category": data.category.value, "unit": data.unit.value},
        region_code=county.code if county is not None else None,
    )
    check_reference(session, reference, thresholds, now)
    return reference


def set_references(
    session: Session,
    user: User,
    county: Region | None,
    rows: Sequence[ReferenceInput],
    thresholds: Thresholds,
    now: datetime,
) -> list[ReferencePrice]:
    """Set every imported reference (they were all checked first: all or nothing). Does not commit."""
    ensure_may_set(user, county)
    return [
        set_reference(session, user, county, row, ReferenceSource.IMPORT, thresholds, now) for row in rows
    ]


def references_page(session: Session, county_ids: list[int] | None, page: int) -> Page[ReferencePrice]:
    """One page of the references in ``county_ids`` and platform-wide (``None``: all), newest first."""
    query = select(ReferencePrice)
    if county_ids is not None:
        query = query.where(ReferencePrice.county_key.in_([*county_ids, 0]))
    return paginate(session, query.order_by(ReferencePrice.set_at.desc(), ReferencePrice.id.desc()), page)
