"""What the public is shown of the catalog besides search: a product's certificate state, a visible product or
approved producer by id, a producer's products, the public list of certificates (公示), and the version of
all of it that conditional GETs read (``core.versions``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from catalog import search_filters
from catalog.eligibility import valid_certificate_clause, visible_products
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Category, Certification, CertificationStatus, Product
from core import versions
from core.clock import shanghai_date
from core.models import Region


class CertificateState(enum.StrEnum):
    """What the public may learn about a product's certificate."""

    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


def certificates_by_product(
    products: Iterable[Product], today: date | None = None
) -> dict[int, Certification]:
    """The certificate valid on ``today`` of each product that has one, by product id."""
    today = today or shanghai_date()
    found = {}
    for product in products:
        cert = product.valid_certificate_on(today)
        if cert is not None:
            found[product.id] = cert
    return found


def public_certificate_state(
    product: Product, today: date | None = None
) -> tuple[CertificateState | None, Certification | None]:
    """What to tell the public about ``product``'s certificate, and which certificate that is.

    A valid certificate wins; otherwise the newest decided certificate tells whether it expired, was revoked
    or is not valid yet. Applications under review and rejections are not shown (``(None, None)``).
    """
    today = today or shanghai_date()
    valid = product.valid_certificate_on(today)
    if valid is not None:
        return CertificateState.VALID, valid
    for cert in reversed(product.certifications):
        if cert.status == CertificationStatus.REVOKED:
            return CertificateState.REVOKED, cert
        if cert.status == CertificationStatus.CERTIFIED and cert.valid_to is not None:
            if cert.valid_to < today:
                return CertificateState.EXPIRED, cert
            return CertificateState.NOT_YET_VALID, cert
    return None, None


def visible_product(session: Session, product_id: int) -> Product | None:
    """The product with this id if buyers may see it, else ``None`` (also for ids out of range)."""
    if not 0 < product_id <= search_filters.MAX_INT:
        return None
    query = visible_products().where(Product.id == product_id)
    options = (
        selectinload(Product.tiers),
        selectinload(Product.quality_marks),
        *search_filters.card_loading(),
    )
    return session.scalar(query.options(*options))


def approved_producer(session: Session, producer_id: int) -> Producer | None:
    """The producer with this id if it is approved (public), else ``None``."""
    if not 0 < producer_id <= search_filters.MAX_INT:
        return None
    return session.scalar(
        select(Producer).where(Producer.id == producer_id, Producer.status == ProducerStatus.APPROVED)
    )


def products_of(session: Session, producer: Producer, limit: int | None = None) -> list[Product]:
    """The visible products of ``producer``, newest first."""
    query = visible_products().where(Product.producer_id == producer.id)
    query = (
        query.order_by(*search_filters.ordering(search_filters.Sort.NEWEST))
        .options(*search_filters.card_loading())
        .limit(limit)
    )
    return list(session.scalars(query))


def certified_query(
    county_code: str | None = None,
    q: str | None = None,
    category: Category | None = None,
    today: date | None = None,
) -> Select[Certification]:
    """The SELECT behind the public list: certificates valid ``today`` of visible products, filtered.

    Ordered by county code, producer name, product name and certificate number.
    """
    today = today or shanghai_date()
    query = (
        select(Certification)
        .join(Certification.product)
        .join(Product.producer)
        .join(Region, Region.id == Producer.county_id)
        .where(
            valid_certificate_clause(today),
            Product.is_active.is_(True),
            Producer.status == ProducerStatus.APPROVED,
        )
    )
    if county_code:
        query = query.where(Region.code == county_code)
    if category is not None:
        query = query.where(Product.category == category)
    for term in search_filters.search_terms(q):
        query = query.where(
            or_(
                search_filters.matches_term(term),
                Certification.certificate_no.ilike(search_filters.like_pattern(term), escape="\\"),
            )
        )
    order = (Region.code, Producer.name, Product.name, Certification.certificate_no, Certification.id)
    return query.order_by(*order).options(
        selectinload(Certification.product).selectinload(Product.producer).selectinload(Producer.county)
    )


def certified_list(
    session: Session,
    county_code: str | None = None,
    q: str | None = None,
    category: Category | None = None,
    *,
    today: date | None = None,
) -> list[Certification]:
    """Every certificate of the public list (公示) matching the filters; see :func:`certified_query`."""
    return list(session.scalars(certified_query(county_code, q, category, today)))


def count_certified(session: Session, county_code: str | None = None, *, today: date | None = None) -> int:
    """How many certificates the public list shows (for a county, or overall)."""
    query = certified_query(county_code, today=today).order_by(None)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


#: The kind of data (core.versions) the listing shows: products, producers, certificates, pictures, marks.
CATALOG = "catalog"


def catalog_stamp(session: Session, today: date | None = None) -> tuple[Any, ...]:
    """The version of everything the product listing shows: one primary-key read, whatever the catalog's
    size (``core.versions``), plus the day (certificates start and end with the Asia/Shanghai date)."""
    return (*versions.stamp(session, CATALOG), today or shanghai_date())
