"""What a product search asks for and the SQL that narrows the catalog to it (the search itself, with its
window, ranking and facets: ``catalog.search``).

:class:`SearchFilters` is what a buyer asked for; :func:`where_found` narrows any product query to what the
search text finds through the index of ``catalog.search_index`` (every term must find the product), at
most the newest ``RESULT_WINDOW + 1`` of them; :func:`narrowed_products` applies the other filters;
:func:`ordering` and :func:`card_loading` give the listing's order and eager loading.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    or_,
    select,
)
from sqlalchemy.orm import joinedload, selectinload

from catalog import search_index, search_text
from catalog.eligibility import valid_certificate_clause, visible_products
from catalog.producers.models import Producer
from catalog.products.models import (
    Category,
    Certification,
    Product,
    QualityMark,
    QualityMarkKind,
)
from core.clock import shanghai_date
from core.models import Region

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


#: Where a term is confirmed as text when the index cannot prove it (a term of several parts, or of more
#: than three Chinese characters): the name, English name, brand and producer name.
TEXT_COLUMNS = (Product.name, Product.name_en, Product.brand, Producer.name)

#: A search ranks, counts and splits into facets at most this many of its matches: the newest, plus any
#: whose name is exactly the search. Beyond it the page says "more than" this many and asks for a
#: narrower search, so that a common term (肉 finds a product in ten) costs what a rare one costs.
RESULT_WINDOW = 240
#: At most this many products named exactly as searched are added to a full window.
MAX_EXACT = 24


def contains(term: str) -> ColumnElement[bool]:
    """The product's name, English name, brand or producer name contains ``term`` (case-insensitive)."""
    pattern = like_pattern(term)
    return or_(*(column.ilike(pattern, escape="\\") for column in TEXT_COLUMNS))


def found_by(reading: search_index.QueryTerm, *, partial: bool = True) -> ColumnElement[bool]:
    """The product is found by one term: in its text (through the index, confirmed as a substring when the
    index cannot prove it), as pinyin (``partial``: also a prefix of it) or as its barcode."""
    found: list[ColumnElement[bool]] = []
    for alternative in reading.alternatives(partial=partial):
        match: ColumnElement[bool] = search_index.IndexMatch(Product.id, [alternative])
        if alternative.confirm is not None:
            match = and_(match, contains(alternative.confirm))
        found.append(match)
    barcode = search_index.gtin_match(reading)
    if barcode is not None:
        found.append(barcode)
    if not reading.is_indexable:
        found.append(contains(reading.raw))
    return or_(*found) if found else false()


def matches_term(term: str) -> ColumnElement[bool]:
    """The product is found by ``term`` (every match, however many: for lists that show them all)."""
    return found_by(search_index.query_term(term))


def term_readings(q: str | None) -> list[search_index.QueryTerm]:
    """How the index reads each term of the search text."""
    return [search_index.query_term(term) for term in search_terms(q)]


def newest_ids(query: Select[Any], limit: int) -> Select[int]:
    """The ids of the newest ``limit`` products ``query`` selects."""
    return query.with_only_columns(Product.id).order_by(None).order_by(Product.id.desc()).limit(limit)


def where_found(query: Select[Product], q: str | None) -> Select[Product]:
    """``query`` (over products joined to their producers) narrowed to the products the search text ``q``
    finds (every term must find the product), at most the newest ``RESULT_WINDOW + 1`` of them: the one
    search of the shop, the institution grid and the API. Narrow ``query`` before, not after."""
    readings = term_readings(q)
    if not readings:
        return query
    found = query
    for reading in readings:
        found = found.where(found_by(reading))
    return query.where(Product.id.in_(newest_ids(found, RESULT_WINDOW + 1)))


def county_ids(code: str) -> Select[int]:
    """Ids of the region with division code ``code`` (a county)."""
    return select(Region.id).where(Region.code == code)


def narrowed_products(filters: SearchFilters, today: date, *, by_index: bool = False) -> Select[Product]:
    """Visible products narrowed by ``filters`` other than the search text (unordered). ``by_index``: the
    county and category through the search index, one more posting list to walk with the search's."""
    query = visible_products()
    if by_index and filters.county:
        county = search_index.Alternative(exact=(search_text.COUNTY + filters.county,))
        query = query.where(search_index.IndexMatch(Product.id, [county]))
    elif filters.county:
        query = query.where(Producer.county_id.in_(county_ids(filters.county)))
    if by_index and filters.category is not None:
        category = search_index.Alternative(exact=(search_text.CATEGORY + filters.category.value,))
        query = query.where(search_index.IndexMatch(Product.id, [category]))
    elif filters.category is not None:
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
    return query


def is_narrowed(filters: SearchFilters) -> bool:
    """Whether anything besides the search text narrows the results."""
    return bool(
        filters.county
        or filters.category is not None
        or filters.certified_only
        or filters.quality_mark is not None
        or filters.min_price_fen is not None
        or filters.max_price_fen is not None
    )


def filtered_products(filters: SearchFilters, today: date | None = None) -> Select[Product]:
    """The SELECT of visible products matching ``filters``, in the asked order (a search: at most the
    window of its newest matches, newest first; :func:`search_products` ranks them)."""
    today = today or shanghai_date()
    return where_found(narrowed_products(filters, today), filters.q).order_by(*ordering(filters.sort))


def ordering(sort: Sort) -> tuple[Any, ...]:
    """ORDER BY terms for ``sort`` (relevance without a search is newest first); the id breaks ties."""
    if sort == Sort.PRICE_ASC:
        return (Product.price_fen.asc(), Product.id.asc())
    if sort == Sort.PRICE_DESC:
        return (Product.price_fen.desc(), Product.id.desc())
    if sort == Sort.NAME:
        return (Product.name.asc(), Product.id.asc())
    return (Product.created_at.desc(), Product.id.desc())


def card_loading() -> tuple[Any, ...]:
    """Eager loading for product cards without N+1 queries: producer and county joined to the products
    (one of each per product), certificates and images in one query each."""
    return (
        joinedload(Product.producer, innerjoin=True).joinedload(Producer.county, innerjoin=True),
        selectinload(Product.certifications),
        selectinload(Product.images),
    )
