"""What the new-batch page offers to pick from: each of the member's products as a card with its picture,
whether it is meat, and its usual shelf life (from its last batch), so that a batch is recorded in a few taps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.models import RegionLevel
from traceability.batches.forms import NewBatchForm
from traceability.models import Batch, ComplianceCertificate


@dataclass(frozen=True)
class ProductCard:
    """One product to tap on the new-batch page."""

    product: Product
    #: The product's first photo (a :mod:`catalog.images` key), if it has one.
    image_key: str | None
    is_meat: bool
    #: Days from production to best-before of the product's last batch; None before its first batch.
    shelf_days: int | None


def usual_shelf_days(session: Session, product_ids: list[int]) -> dict[int, int]:
    """Per product id, the days from production to best-before of its newest batch (products without a
    batch are left out). Two queries over the ``product_id`` index, bounded by the products given."""
    if not product_ids:
        return {}
    newest = list(
        session.scalars(
            select(func.max(Batch.id)).where(Batch.product_id.in_(product_ids)).group_by(Batch.product_id)
        )
    )
    if not newest:
        return {}
    rows = session.execute(
        select(Batch.product_id, Batch.produced_on, Batch.best_before).where(Batch.id.in_(newest))
    )
    return {product_id: (best - made).days for product_id, made, best in rows}


def product_cards(products: list[Product], shelf_days: dict[int, int]) -> dict[int, ProductCard]:
    """The cards of ``products`` by product id (the radio choices of the form keep their order)."""
    return {
        p.id: ProductCard(
            product=p,
            image_key=p.images[0].key if p.images else None,
            is_meat=Category(p.category).is_meat,
            shelf_days=shelf_days.get(p.id),
        )
        for p in products
    }


def last_contact_phone(session: Session, producers: list[Producer]) -> str | None:
    """The producer's contact mobile number, else the one on its newest compliance certificate (read over
    the batches' ``producer_id`` index)."""
    phone = next((p.contact_phone for p in producers if p.contact_phone), None)
    if phone or not producers:
        return phone
    return session.scalars(
        select(ComplianceCertificate.contact_phone)
        .join(Batch, Batch.id == ComplianceCertificate.batch_id)
        .where(Batch.producer_id.in_([p.id for p in producers]))
        .order_by(Batch.id.desc())
        .limit(1)
    ).first()


def prefill(
    form: NewBatchForm,
    products: list[Product],
    producers: list[Producer],
    today: date,
    product_id: int | None,
    phone: str | None,
) -> None:
    """Fill a blank new-batch form as a producer mostly wants it: produced and issued ``today``, the product
    asked for with its usual best-before, the producer's place (when there is only one) and contact
    ``phone``."""
    form.product_id.data = product_id
    form.produced_on.data = form.issued_on.data = today
    days = form.shelf_days.get(product_id) if product_id is not None else None
    form.best_before.data = today + timedelta(days=days) if days is not None else None
    form.contact_phone.data = phone
    places = {p.producer.location for p in products} or {p.location for p in producers}
    if len(places) == 1 and (place := next(iter(places))).level is not RegionLevel.COUNTY:
        # one township or village of production (the choices offer no county): nothing to choose
        form.origin_id.data = place.id
        return
