"""What buyers may find: products filtered and searched (what else the public sees: ``catalog.public``).

Only active products of approved producers are ever shown to buyers (:func:`visible_products`). Search goes
through the index of ``catalog.search_index`` (FTS5 on SQLite, ordered postings on PostgreSQL): each term is
a substring of the name, English name, brand or producer (牦牛 finds 塔县有机牦牛肉干), the name's pinyin in
whole syllables or initials, or the start of it (maoniu, mnrg, maon), or a barcode or its start. Terms the
index cannot prove (several parts, more than three Chinese characters) are confirmed as substrings, so
wildcards and punctuation are taken literally.

A search reads at most a window of its matches, the newest :data:`RESULT_WINDOW` (plus any named exactly as
searched), straight off the index's ordered posting lists: its cost does not grow with the catalog. It ranks
that window — an exact name first, then the name before the brand before the producer, certified products
before the rest, newest first — counts it and splits it into facets. Every search finding fewer products is
thus exact; one finding more says so ("more than 240") and is ranked, counted and faceted over the window.
"""

from __future__ import annotations

import enum
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, joinedload, selectinload

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


def _contains(term: str) -> ColumnElement[bool]:
    """The product's name, English name, brand or producer name contains ``term`` (case-insensitive)."""
    pattern = like_pattern(term)
    return or_(*(column.ilike(pattern, escape="\\") for column in TEXT_COLUMNS))


def _found_by(reading: search_index.QueryTerm, *, partial: bool = True) -> ColumnElement[bool]:
    """The product is found by one term: in its text (through the index, confirmed as a substring when the
    index cannot prove it), as pinyin (``partial``: also a prefix of it) or as its barcode."""
    found: list[ColumnElement[bool]] = []
    for alternative in reading.alternatives(partial=partial):
        match: ColumnElement[bool] = search_index.IndexMatch(Product.id, [alternative])
        if alternative.confirm is not None:
            match = and_(match, _contains(alternative.confirm))
        found.append(match)
    barcode = search_index.gtin_match(reading)
    if barcode is not None:
        found.append(barcode)
    if not reading.is_indexable:
        found.append(_contains(reading.raw))
    return or_(*found) if found else false()


def matches_term(term: str) -> ColumnElement[bool]:
    """The product is found by ``term`` (every match, however many: for lists that show them all)."""
    return _found_by(search_index.query_term(term))


def _readings(q: str | None) -> list[search_index.QueryTerm]:
    """How the index reads each term of the search text."""
    return [search_index.query_term(term) for term in search_terms(q)]


def _newest_ids(query: Select[Any], limit: int) -> Select[int]:
    """The ids of the newest ``limit`` products ``query`` selects."""
    return query.with_only_columns(Product.id).order_by(None).order_by(Product.id.desc()).limit(limit)


def where_found(query: Select[Product], q: str | None) -> Select[Product]:
    """``query`` (over products joined to their producers) narrowed to the products the search text ``q``
    finds (every term must find the product), at most the newest ``RESULT_WINDOW + 1`` of them: the one
    search of the shop, the institution grid and the API. Narrow ``query`` before, not after."""
    readings = _readings(q)
    if not readings:
        return query
    found = query
    for reading in readings:
        found = found.where(_found_by(reading))
    return query.where(Product.id.in_(_newest_ids(found, RESULT_WINDOW + 1)))


def _county_ids(code: str) -> Select[int]:
    """Ids of the region with division code ``code`` (a county)."""
    return select(Region.id).where(Region.code == code)


def _narrowed(filters: SearchFilters, today: date, *, by_index: bool = False) -> Select[Product]:
    """Visible products narrowed by ``filters`` other than the search text (unordered). ``by_index``: the
    county and category through the search index, one more posting list to walk with the search's."""
    query = visible_products()
    if by_index and filters.county:
        county = search_index.Alternative(exact=(search_text.COUNTY + filters.county,))
        query = query.where(search_index.IndexMatch(Product.id, [county]))
    elif filters.county:
        query = query.where(Producer.county_id.in_(_county_ids(filters.county)))
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


def _is_narrowed(filters: SearchFilters) -> bool:
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
    return where_found(_narrowed(filters, today), filters.q).order_by(*ordering(filters.sort))


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


@dataclass(frozen=True)
class Facets:
    """How a search's results split: by county (code, name), category, quality mark; how many certified."""

    counties: list[tuple[str, str, int]]
    categories: list[tuple[Category, int]]
    marks: list[tuple[QualityMarkKind, int]]
    certified: int


@dataclass
class SearchPage(Page[Product]):
    """A page of products; for a search also its facets, and whether more products matched than the
    window it ranks and counts (``total`` is then the window's size, not every match)."""

    is_capped: bool = False
    facets: Facets | None = None


#: At most this many counties are offered to narrow a search (the most frequent first).
FACET_COUNTIES = 12


class _Match(NamedTuple):
    """What ranking and facets need of one product a search found."""

    id: int
    name: str
    name_en: str | None
    brand: str | None
    producer: str
    created_at: Any
    price_fen: int
    category: Category
    county_code: str
    county_name: str
    certified: bool
    for_sale: bool


@dataclass(frozen=True)
class _Window:
    """The matches a search ranks and counts (newest first), and whether more products matched."""

    matches: list[_Match]
    marks: dict[int, set[QualityMarkKind]]
    is_capped: bool


def _window_ids(
    session: Session, filters: SearchFilters, readings: list[search_index.QueryTerm], today: date
) -> tuple[list[int], bool]:
    """Ids of the newest ``RESULT_WINDOW`` products the search finds (plus exact names when more match),
    and whether more match. Whole pinyin syllables are tried first; pinyin as a prefix only when they find
    fewer than the window, as a prefix is a range of lexemes to read."""
    limit = RESULT_WINDOW + 1
    narrowed = _narrowed(filters, today, by_index=True)
    ids: list[int] = []
    for partial in (False, True):
        if partial and not any(reading.has_partial_reading for reading in readings):
            break
        found = None
        if not _is_narrowed(filters):
            found = search_index.newest_found(session, readings, limit, partial=partial)
        if found is None:
            query = narrowed
            for reading in readings:
                query = query.where(_found_by(reading, partial=partial))
            found = list(session.scalars(_newest_ids(query, limit)))
        ids = found
        if len(ids) >= limit:
            break
    if len(ids) < limit:
        return ids, False
    exact_name = " ".join(search_terms(filters.q))
    exact = list(session.scalars(_newest_ids(narrowed.where(Product.name == exact_name), MAX_EXACT)))
    ids = list(dict.fromkeys(exact + ids))[:RESULT_WINDOW]
    return ids, True


def _among(session: Session, column: search_index.IdColumn, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column`` is one of ``ids``: on PostgreSQL ``= ANY(array)``, one parameter (a driver spends longer
    on a statement of hundreds of parameters than the database does on the rows); elsewhere ``IN``."""
    ids = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        array = "{" + ",".join(str(int(i)) for i in ids) + "}"  # its text form: one string to send
        return column == any_(cast(bindparam(None, array, type_=String(), unique=True), ARRAY(Integer())))
    return column.in_(ids)


def _window(session: Session, filters: SearchFilters, today: date) -> _Window:
    """The window of a search: its matches with what ranking and facets need, in one query of key lookups
    (each product, its producer and county, a certificate valid today, its quality marks): a few hundred
    index probes, however large the catalog."""
    ids, capped = _window_ids(session, filters, _readings(filters.q), today)
    if not ids:
        return _Window([], {}, capped)
    certified = (  # a LIMIT keeps it a probe per product (an EXISTS may be planned as a hash of all)
        select(Certification.id)
        .where(Certification.product_id == Product.id, valid_certificate_clause(today))
        .limit(1)
        .scalar_subquery()
    )
    kinds = QualityMark.kind.cast(String())
    joined = (
        func.string_agg(kinds, " ")
        if session.get_bind().dialect.name == "postgresql"
        else func.group_concat(kinds, " ")
    )
    marks = select(joined).where(QualityMark.product_id == Product.id).scalar_subquery()
    rows = session.execute(
        visible_products()
        .join(Region, Region.id == Producer.county_id)
        .with_only_columns(
            Product.id,
            Product.name,
            Product.name_en,
            Product.brand,
            Producer.name,
            Product.created_at,
            Product.price_fen,
            Product.category,
            Region.code,
            Region.name,
            certified,
            marks,
            Product.is_for_sale,
            Product.for_sale_until,
        )
        .where(_among(session, Product.id, ids))
    ).all()
    matches = [
        _Match(
            *row[:7], Category(row[7]), row[8] or "", row[9], row[10] is not None, _on_sale(row[12:], today)
        )
        for row in rows
    ]
    found_marks = {row[0]: {QualityMarkKind(kind) for kind in row[11].split()} for row in rows if row[11]}
    return _Window(matches, found_marks, capped)


def _on_sale(key: Any, today: date) -> bool:
    """Whether a product's stored for-sale key (flag, last day) holds on ``today`` (``catalog.shelf``)."""
    is_for_sale, until = key
    return bool(is_for_sale) and until is not None and until >= today


def _tier(match: _Match, raw: str) -> int:
    """Where ``raw`` was found: the name (4) before the brand (3) before the producer (2); else as pinyin or
    a barcode (1)."""
    if raw in search_text.normalise(match.name) or raw in search_text.normalise(match.name_en or ""):
        return 4
    if raw in search_text.normalise(match.brand or ""):
        return 3
    if raw in search_text.normalise(match.producer):
        return 2
    return 1


def _ranked(session: Session, window: _Window, filters: SearchFilters) -> list[int]:
    """The window's ids in the asked order, what can be bought first: by relevance (an exact name first,
    then where the first three terms were found, certified first, newest first), by price, by name or newest
    first."""
    ordered = _ordered(session, window, filters)
    for_sale = {m.id for m in window.matches if m.for_sale}
    return [i for i in ordered if i in for_sale] + [i for i in ordered if i not in for_sale]


def _ordered(session: Session, window: _Window, filters: SearchFilters) -> list[int]:
    """The window's ids in the asked order (:func:`_ranked` puts what can be bought first)."""
    matches = window.matches
    if filters.sort == Sort.RELEVANCE:
        terms = search_terms(filters.q)
        raws = [search_index.query_term(term).raw for term in terms[:3]]
        exact = " ".join(terms)
        matches = sorted(
            matches,
            key=lambda m: (
                m.name == exact,
                sum(_tier(m, raw) for raw in raws),
                m.certified,
                m.created_at,
                m.id,
            ),
            reverse=True,
        )
    elif filters.sort == Sort.PRICE_ASC:
        matches = sorted(matches, key=lambda m: (m.price_fen, m.id))
    elif filters.sort == Sort.PRICE_DESC:
        matches = sorted(matches, key=lambda m: (m.price_fen, m.id), reverse=True)
    elif filters.sort == Sort.NAME:  # the database's collation, as without a search
        ids = [m.id for m in matches]
        return list(
            session.scalars(
                select(Product.id).where(_among(session, Product.id, ids)).order_by(*ordering(Sort.NAME))
            )
        )
    else:
        matches = sorted(matches, key=lambda m: (m.created_at, m.id), reverse=True)
    return [m.id for m in matches]


def _facets(window: _Window) -> Facets:
    """How the window's matches split (all of a search's matches unless the window is full)."""
    counties = Counter((m.county_code, m.county_name) for m in window.matches)
    categories = Counter(m.category for m in window.matches)
    marks = Counter(kind for kinds in window.marks.values() for kind in kinds)
    return Facets(
        counties=[
            (code, name, n) for (code, name), n in sorted(counties.items(), key=lambda c: (-c[1], c[0][0]))
        ][:FACET_COUNTIES],
        categories=sorted(categories.items(), key=lambda c: (-c[1], c[0].value)),
        marks=sorted(marks.items(), key=lambda c: c[0].value),
        certified=sum(1 for m in window.matches if m.certified),
    )


def search_products(
    session: Session, filters: SearchFilters, page: int = 1, per_page: int = 20, *, today: date | None = None
) -> SearchPage:
    """One page of visible products matching ``filters`` (read-only; ``today`` is an Asia/Shanghai date).

    A search reads at most the window of its newest matches (:data:`RESULT_WINDOW`), ranks them and
    splits them into facets: exact for every search finding fewer, and then ``is_capped`` is false."""
    today = today or shanghai_date()
    if not search_terms(filters.q):
        listed = paginate(session, filtered_products(filters, today).options(*card_loading()), page, per_page)
        return SearchPage(
            listed.items, listed.page, listed.per_page, listed.total, listed.more, listed.last_page
        )
    page = max(1, min(page, 100_000))
    window = _window(session, filters, today)
    ranked = _ranked(session, window, filters)
    shown = ranked[(page - 1) * per_page : page * per_page]
    products = (
        {
            product.id: product
            for product in session.scalars(
                select(Product).where(Product.id.in_(shown)).options(*card_loading())
            )
        }
        if shown
        else {}
    )
    items = [products[product_id] for product_id in shown if product_id in products]
    capped = window.is_capped
    return SearchPage(
        items, page, per_page, len(ranked), more=capped, is_capped=capped, facets=_facets(window)
    )


def search_facets(session: Session, filters: SearchFilters, *, today: date | None = None) -> Facets:
    """The facets of the products ``filters`` find (read-only): of the search's window of matches, so
    their cost never grows with the catalog (``search_products`` returns them with its page too)."""
    return _facets(_window(session, filters, today or shanghai_date()))
