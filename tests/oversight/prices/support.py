"""Helpers of the price tests: change a price through the catalog's real service, set a reference."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog.products.models import Product
from catalog.products.services import QuickEdit, quick_update
from core.db import utcnow
from core.models import Region, User
from oversight.prices.alerts import Thresholds
from oversight.prices.models import ReferencePrice, ReferenceSource
from oversight.prices.references import ReferenceInput, set_reference


def change_price(db: Session, owner: User, product: Product, price_fen: int) -> None:
    """The producer's member sets a new retail price on the product list (the quick edit)."""
    quick_update(
        db,
        owner,
        product,
        QuickEdit(
            price_fen=price_fen,
            institution_moq=product.institution_moq,
            monthly_capacity=product.monthly_capacity,
            season_start=product.season_start,
            season_end=product.season_end,
            is_active=product.is_active,
        ),
    )


def reference(
    db: Session, user: User, county: Region | None, product: Product, price_fen: int, *, own: bool = False
) -> ReferencePrice:
    """Set a reference for the product's category and unit in ``county`` (or the product's own)."""
    data = ReferenceInput(
        category=product.category, unit=product.unit, price_fen=price_fen, product=product if own else None
    )
    return set_reference(db, user, county, data, ReferenceSource.REVIEWER, Thresholds(), utcnow())
