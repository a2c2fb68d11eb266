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

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Session

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
from catalog.search_filters import (
    MAX_EXACT,
    RESULT_WINDOW,
    SearchFilters,
    Sort,
    card_loading,
    filtered_products,
    found_by,
    is_narrowed,
    narrowed_products,
    newest_ids,
    ordering,
    search_terms,
    term_readings,
)
from core.clock import shanghai_date
from core.models import Region
from core.pagination import Page, paginate


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
    narrowed = narrowed_products(filters, today, by_index=True)
    ids: list[int] = []
    for partial in (False, True):
        if partial and not any(reading.has_partial_reading for reading in readings):
            break
        found = None
        if not is_narrowed(filters):
            found = search_index.newest_found(session, readings, limit, partial=partial)
        if found is None:
            query = narrowed
            for reading in readings:
                query = query.where(found_by(reading, partial=partial))
            found = list(session.scalars(newest_ids(query, limit)))
        ids = found
        if len(ids) >= limit:
            break
    if len(ids) < limit:
        return ids, False
    exact_name = " ".join(search_terms(filters.q))
    exact = list(session.scalars(newest_ids(narrowed.where(Product.name == exact_name), MAX_EXACT)))
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
    ids, capped = _window_ids(session, filters, term_readings(filters.q), today)
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
