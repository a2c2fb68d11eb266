"""What buyers may see and find: visible products, search with filters, and the public list (公示).

Only active products of approved producers are ever shown to buyers (:func:`visible_products`). Search goes
through the full-text index of ``catalog.search_index`` (FTS5 on SQLite, GIN/tsvector on PostgreSQL): each
term is a substring of the name, English name, brand or producer (牦牛 finds 塔县有机牦牛肉干), or a prefix of
the name's pinyin (maoniu, mnrg) or of a barcode. The index narrows, an exact substring check confirms (so
wildcards and punctuation are taken literally). Results are ranked: the name before the brand before the
producer, an exact name first, certified products before the rest.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from catalog import search_index
from catalog.eligibility import valid_certificate_clause, visible_products
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import (
    Category,
    Certification,
    CertificationStatus,
    Product,
    QualityMark,
    QualityMarkKind,
)
from core import versions
from core.clock import shanghai_date
from core.models import Region
from core.pagination import Page, paginate

#: Longest search text taken into account (longer input is cut, never an error).
MAX_QUERY_LENGTH = 100
#: At most this many whitespace-separated terms are ANDed.
MAX_TERMS = 8
#: Largest id or amount that fits the database's 32-bit integer columns.
MAX_INT = 2**31 - 1


class Sort(enum.StrEnum):
    """Orders the listing offers."""

    RELEVANCE = "relevance"  # best match first when searching; newest first otherwise
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NAME = "name"


@dataclass(frozen=True)
class SearchFilters:
    """What a buyer asked for; every field is optional. Prices are integer fen."""

    q: str | None = None
    county: str | None = None
    category: Category | None = None
    certified_only: bool = False
    quality_mark: QualityMarkKind | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    sort: Sort = Sort.RELEVANCE


class CertificateState(enum.StrEnum):
    """What the public may learn about a product's certificate."""

    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


def search_terms(text: str | None) -> list[str]:
    """Split search text into terms: control characters dropped, cut to a sane length, at most a few terms."""
    if not text:
        return []
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text[:MAX_QUERY_LENGTH])
    return cleaned.split()[:MAX_TERMS]


def like_pattern(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere; ``%``, ``_`` and ``\\`` in it are taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: Where a term is looked for as text, most telling first (the ranking follows this order).
TEXT_COLUMNS = (Product.name, Product.name_en, Product.brand, Producer.name)


def _contains(term: str) -> ColumnElement[bool]:
    """The product's name, English name, brand or producer name contains ``term`` (case-insensitive)."""
    pattern = like_pattern(term)
    return or_(*(column.ilike(pattern, escape="\\") for column in TEXT_COLUMNS))


def _matches_term(term: str) -> ColumnElement[bool]:
    """The product is found by ``term``: as text (the index narrows, a substring check confirms), as pinyin
    or as a barcode. A term of punctuation only is a plain substring check."""
    reading = search_index.query_term(term)
    as_text = _contains(reading.raw)
    if reading.is_indexable:
        as_text = and_(search_index.text_match(reading), as_text)
    other = search_index.other_match(reading)
    return as_text if other is None else or_(as_text, other)


def where_found(query: Select[Product], q: str | None) -> Select[Product]:
    """``query`` (over products joined to their producers) narrowed to the products the search text ``q``
    finds: every term must find the product. The one search of the shop, the institution grid and the API."""
    for term in search_terms(q):
        query = query.where(_matches_term(term))
    return query


def _relevance(terms: list[str], today: date) -> tuple[Any, ...]:
    """ORDER BY terms of a search: exact name, then where the terms were found, then certified, newest."""
    readings = [search_index.query_term(term).raw for term in terms[:3]]
    found_in = [
        case(
            (Product.name.ilike(like_pattern(raw), escape="\\"), 4),
            (func.coalesce(Product.brand, "").ilike(like_pattern(raw), escape="\\"), 3),
            (Producer.name.ilike(like_pattern(raw), escape="\\"), 2),
            else_=1,
        )
        for raw in readings
    ]
    certified = exists().where(Certification.product_id == Product.id, valid_certificate_clause(today))
    exact = Product.name == " ".join(terms)
    score = sum(found_in[1:], found_in[0])
    return (exact.desc(), score.desc(), certified.desc(), Product.created_at.desc(), Product.id.desc())


def _county_ids(code: str) -> Select[int]:
    """Ids of the region with division code ``code`` (a county)."""
    return select(Region.id).where(Region.code == code)


def filtered_products(filters: SearchFilters, today: date | None = None) -> Select[Product]:
    """The SELECT of visible products matching ``filters``, in the asked order."""
    today = today or shanghai_date()
    terms = search_terms(filters.q)
    query = where_found(visible_products(), filters.q)
    if filters.county:
        query = query.where(Producer.county_id.in_(_county_ids(filters.county)))
    if filters.category is not None:
        query = query.where(Product.category == filters.category)
    if filters.certified_only:
        query = query.where(
            exists().where(Certification.product_id == Product.id, valid_certificate_clause(today))
        )
    if filters.quality_mark is not None:
        query = query.where(
            exists().where(QualityMark.product_id == Product.id, QualityMark.kind == filters.quality_mark)
        )
    if filters.min_price_fen is not None:
        query = query.where(Product.price_fen >= filters.min_price_fen)
    if filters.max_price_fen is not None:
        query = query.where(Product.price_fen <= filters.max_price_fen)
    if filters.sort == Sort.RELEVANCE and terms:
        return query.order_by(*_relevance(terms, today))
    return query.order_by(*_ordering(filters.sort))


def _ordering(sort: Sort) -> tuple[Any, ...]:
    """ORDER BY terms for ``sort`` (relevance without a search is newest first); the id breaks ties."""
    if sort == Sort.PRICE_ASC:
        return (Product.price_fen.asc(), Product.id.asc())
    if sort == Sort.PRICE_DESC:
        return (Product.price_fen.desc(), Product.id.desc())
    if sort == Sort.NAME:
        return (Product.name.asc(), Product.id.asc())
    return (Product.created_at.desc(), Product.id.desc())


def _card_loading() -> tuple[Any, ...]:
    """Eager loading for product cards (producer and county, certificates, images) without N+1 queries."""
    return (
        selectinload(Product.producer).selectinload(Producer.county),
        selectinload(Product.certifications),
        selectinload(Product.images),
    )


def search_products(
    session: Session, filters: SearchFilters, page: int = 1, per_page: int = 20, *, today: date | None = None
) -> Page[Product]:
    """One page of visible products matching ``filters`` (read-only; ``today`` is an Asia/Shanghai date)."""
    query = filtered_products(filters, today).options(*_card_loading())
    return paginate(session, query, page, per_page)


@dataclass(frozen=True)
class Facets:
    """How a search's results split: by county (code, name), category, quality mark; how many certified."""

    counties: list[tuple[str, str, int]]
    categories: list[tuple[Category, int]]
    marks: list[tuple[QualityMarkKind, int]]
    certified: int


#: At most this many counties are offered to narrow a search (the most frequent first).
FACET_COUNTIES = 12


def search_facets(session: Session, filters: SearchFilters, *, today: date | None = None) -> Facets:
    """The facets of the products ``filters`` find (read-only). Only a search has facets: their cost grows
    with its results, which a search keeps small, not with the whole catalog."""
    today = today or shanghai_date()
    found = filtered_products(filters, today).order_by(None).with_only_columns(Product.id).subquery()
    in_found = Product.id.in_(select(found.c.id))
    counties = session.execute(
        select(Region.code, Region.name, func.count())
        .select_from(Product)
        .join(Producer, Producer.id == Product.producer_id)
        .join(Region, Region.id == Producer.county_id)
        .where(in_found)
        .group_by(Region.code, Region.name)
        .order_by(func.count().desc(), Region.code)
        .limit(FACET_COUNTIES)
    ).all()
    categories = session.execute(
        select(Product.category, func.count())
        .where(in_found)
        .group_by(Product.category)
        .order_by(func.count().desc(), Product.category)
    ).all()
    marks = session.execute(
        select(QualityMark.kind, func.count(func.distinct(QualityMark.product_id)))
        .where(QualityMark.product_id.in_(select(found.c.id)))
        .group_by(QualityMark.kind)
        .order_by(QualityMark.kind)
    ).all()
    certified_products = exists().where(
        Certification.product_id == Product.id, valid_certificate_clause(today)
    )
    certified = session.scalar(select(func.count()).select_from(Product).where(in_found, certified_products))
    return Facets(
        counties=[(code or "", name, count) for code, name, count in counties],
        categories=[(Category(category), count) for category, count in categories],
        marks=[(QualityMarkKind(kind), count) for kind, count in marks],
        certified=certified or 0,
    )


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
    if not 0 < product_id <= MAX_INT:
        return None
    query = visible_products().where(Product.id == product_id)
    options = (
        selectinload(Product.tiers),
        selectinload(Product.quality_marks),
        *_card_loading(),
    )
    return session.scalar(query.options(*options))


def approved_producer(session: Session, producer_id: int) -> Producer | None:
    """The producer with this id if it is approved (public), else ``None``."""
    if not 0 < producer_id <= MAX_INT:
        return None
    return session.scalar(
        select(Producer).where(Producer.id == producer_id, Producer.status == ProducerStatus.APPROVED)
    )


def products_of(session: Session, producer: Producer, limit: int | None = None) -> list[Product]:
    """The visible products of ``producer``, newest first."""
    query = visible_products().where(Product.producer_id == producer.id)
    query = query.order_by(*_ordering(Sort.NEWEST)).options(*_card_loading()).limit(limit)
    return list(session.scalars(query))


def producers_in_county(session: Session, county: Region) -> list[Producer]:
    """The approved producers of ``county``, by name."""
    return list(
        session.scalars(
            select(Producer)
            .where(Producer.county_id == county.id, Producer.status == ProducerStatus.APPROVED)
            .order_by(Producer.name, Producer.id)
        )
    )


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
    for term in search_terms(q):
        query = query.where(
            or_(_matches_term(term), Certification.certificate_no.ilike(like_pattern(term), escape="\\"))
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
