"""Pages of the public catalog whose cost does not grow with the catalog: the listing without a search, a
county's showcase and a producer's products.

Rows come in the order of an index (newest, price, name), what can be bought first (:mod:`catalog.shelf`), and
stop at the page; the listing goes at most
:data:`MAX_PAGES` deep. Totals come from the catalog counters (:mod:`catalog.counts.services`) when the
filters are only a county and a category; other filters are counted up to :data:`COUNT_CAP` results and the
page then says "more than". A search (``q``) is :func:`catalog.search.search_products`'s business.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from catalog import search_filters, shelf
from catalog.counts import services as counts
from catalog.eligibility import visible_products
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Product
from core.clock import shanghai_date
from core.models import Region
from core.pagination import Page, capped_count
from core.regions import get_region

#: The deepest listing page offered: deeper ones would make the database walk ever more rows (narrowing the
#: filters finds the rest).
MAX_PAGES = 50
#: Listing pages hold this many products.
PER_PAGE = 24
#: Filtered listings are counted up to this many results (every page offered), then shown as "more than".
COUNT_CAP = MAX_PAGES * PER_PAGE


def _card_loading() -> tuple[Any, ...]:
    """Eager loading for product cards: producer and county, certificates, images (no N+1 queries)."""
    return (
        selectinload(Product.producer).selectinload(Producer.county),
        selectinload(Product.certifications),
        selectinload(Product.images),
    )


def counted_by_counters(filters: search_filters.SearchFilters) -> bool:
    """Whether the catalog counters hold the total of ``filters``: no search, at most a county and a
    category."""
    plain = search_filters.SearchFilters(county=filters.county, category=filters.category, sort=filters.sort)
    return filters == plain


def browse_products(
    session: Session,
    filters: search_filters.SearchFilters,
    page: int = 1,
    per_page: int = PER_PAGE,
    *,
    county: Region | None = None,
) -> Page[Product]:
    """One page of the visible products ``filters`` (without a search text) select, in their order
    (``county``: the region of ``filters.county``, if the caller has it already).

    Read-only; pages past :data:`MAX_PAGES` are empty.
    """
    page = max(1, page)
    today = shanghai_date()
    query = search_filters.filtered_products(replace(filters, county=None), today)
    county_id = None
    if filters.county:
        # a county's products in the order of its own index (catalog.products.placement)
        region = county if county is not None else get_region(session, filters.county)
        county_id = region.id if region is not None else -1
        query = query.where(Product.county_id == county_id)
    if counted_by_counters(filters):
        category = filters.category.value if filters.category is not None else None
        total, more = counts.visible_products(session, county_id, category), False
    else:
        total, more = capped_count(session, query.with_only_columns(Product.id), MAX_PAGES * per_page)
    items: list[Product] = []
    if page <= MAX_PAGES and (page - 1) * per_page < total:
        # what can be bought first, then the rest: each read in the order of an index (catalog.shelf)
        order, offset = search_filters.ordering(filters.sort), (page - 1) * per_page
        cards = _card_loading()
        items = shelf.for_sale_first(session, query.order_by(None), order, offset, per_page, today, cards)
    return Page(items=items, page=page, per_page=per_page, total=total, more=more, last_page=MAX_PAGES)


def producer_products(
    session: Session, producer: Producer, page: int = 1, per_page: int = PER_PAGE
) -> Page[Product]:
    """One page of ``producer``'s visible products, what can be bought first, newest first (their number is
    the producer's own)."""
    page = max(1, page)
    query = visible_products().where(Product.producer_id == producer.id)
    total = int(session.scalar(query.with_only_columns(func.count(Product.id))) or 0)
    items: list[Product] = []
    if (page - 1) * per_page < total:
        # every product's producer is ``producer``: the session has it (and its county) already
        cards = (selectinload(Product.certifications), selectinload(Product.images))
        newest, offset = search_filters.ordering(search_filters.Sort.NEWEST), (page - 1) * per_page
        # what can be bought first, as on the listing
        items = shelf.for_sale_first(session, query, newest, offset, per_page, shanghai_date(), cards)
    return Page(items=items, page=page, per_page=per_page, total=total)


def county_producers(
    session: Session, county: Region, page: int = 1, per_page: int = PER_PAGE
) -> Page[Producer]:
    """One page of ``county``'s approved producers by name (their number from the counters)."""
    page = max(1, page)
    total = counts.producer_counts(session, [county.id]).producers
    items: list[Producer] = []
    if (page - 1) * per_page < total:
        query = (
            select(Producer)
            .where(Producer.county_id == county.id, Producer.status == ProducerStatus.APPROVED)
            .order_by(Producer.name, Producer.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        items = list(session.scalars(query))
    return Page(items=items, page=page, per_page=per_page, total=total)


def product_page(session: Session, product_id: int) -> Product | None:
    """The product with this id if buyers may see it, with what its page shows: producer and county in the
    same query, tiers, marks, certificates and pictures in one query each; ``None`` if hidden or unknown."""
    if not 0 < product_id <= search_filters.MAX_INT:
        return None
    query = (
        visible_products()
        .where(Product.id == product_id)
        .options(
            contains_eager(Product.producer).joinedload(Producer.county),
            selectinload(Product.tiers),
            selectinload(Product.quality_marks),
            selectinload(Product.certifications),
            selectinload(Product.images),
        )
    )
    return session.scalar(query)
