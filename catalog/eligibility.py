"""May this product be ordered? One rule for the shop, bulk orders, purchase orders and quotations.

Buyers see active products of approved producers; they may order (or be quoted) only those whose
consumption-assistance certificate is valid on the day (an Asia/Shanghai date). Each rule is written once
in Python (for a loaded product) and once in SQL (for lists), side by side, so the two cannot drift.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, select

from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Certification, CertificationStatus, Product


class OrderingProblem(enum.StrEnum):
    """Why a product cannot be ordered today."""

    HIDDEN = "hidden"  # withdrawn by its producer, or the producer is not (or no longer) approved
    NOT_CERTIFIED = "not_certified"  # no certificate valid today (never certified, expired or revoked)


def visible_products() -> Select[Product]:
    """The base SELECT of everything buyers may see: active products of approved producers."""
    return (
        select(Product)
        .join(Product.producer)
        .where(Product.is_active.is_(True), Producer.status == ProducerStatus.APPROVED)
    )


def is_visible(product: Product) -> bool:
    """Whether buyers may see ``product`` (the same rule as :func:`visible_products`)."""
    return bool(product.is_active) and product.producer.status == ProducerStatus.APPROVED


def valid_certificate_clause(today: date) -> ColumnElement[bool]:
    """SQL condition on ``Certification``: certified and valid on ``today`` (inclusive both ends)."""
    return and_(
        Certification.status == CertificationStatus.CERTIFIED,
        Certification.valid_from <= today,
        Certification.valid_to >= today,
    )


def orderable_products(today: date) -> Select[Product]:
    """Visible products with a certificate valid ``today``: the SQL form of :func:`ordering_problem`."""
    certified = exists().where(Certification.product_id == Product.id, valid_certificate_clause(today))
    return visible_products().where(certified)


def ordering_problem(product: Product | None, today: date) -> OrderingProblem | None:
    """Why ``product`` cannot be ordered on ``today`` (``None`` when it can); a missing product is hidden."""
    if product is None or not is_visible(product):
        return OrderingProblem.HIDDEN
    if product.valid_certificate_on(today) is None:
        return OrderingProblem.NOT_CERTIFIED
    return None


def is_orderable(product: Product | None, today: date) -> bool:
    """Whether ``product`` may be ordered (or quoted) on ``today``."""
    return ordering_problem(product, today) is None
