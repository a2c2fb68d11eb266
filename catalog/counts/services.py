"""What the catalog counters hold, how a product or producer adds to them, and how pages read them.

Pages show how many products buyers see (per county, per category), how many certified products and
certificates are valid today, how many producers are approved and how many households they bring along.
Counting those rows on each request grows with the catalog; these counters (:class:`CatalogCount`) are read
with a few index lookups instead. Each product and each producer *contributes* to some counters
(:func:`product_contribution`, :func:`producer_contribution`); :mod:`catalog.counts.tracking` applies the
change of contribution of everything a flush touches, in the same transaction.

Certificates expire by date alone, with no write to count on. So a certificate adds one to ``certs_from`` on
its first day and one to ``certs_to`` on its last; the certificates valid on day *T* are then
``Σ certs_to[day ≥ T] − Σ certs_from[day > T]`` (those not ended, minus those not begun): a sum over the days
still to come, which are as many as a certificate's validity is long, not as many as there are products. The
same holds for certified products with the union of their certificates' validity (``certified_*``). The rules
are the ones of the pages that counted before: :func:`catalog.eligibility.visible_products` and
:func:`catalog.eligibility.valid_certificate_clause` (certified, valid that day; a revoked one no longer).

:func:`check_counts` compares the stored counters with a count over the catalog; :func:`rebuild_counts`
rewrites them (after a bulk load); ``flask --app shop catalog counts [--check]`` does either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, or_, select
from sqlalchemy.orm import Session

from catalog.counts.models import CatalogCount
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Certification, CertificationStatus, Product
from core.transactions import upsert_insert

COUNT_TABLE = cast(Table, CatalogCount.__table__)
#: The ``day`` of counters that do not depend on the date.
UNDATED = date(1970, 1, 1)
#: ``county_id`` of the whole platform's counters; ``category`` of every category's.
EVERY_COUNTY = 0
EVERY_CATEGORY = ""

#: Products buyers see (active, of an approved producer): per county and category, and every combination.
VISIBLE = "visible"
#: Certificates of the public list (certified, of a visible product) by their first and last valid day.
CERTS_FROM, CERTS_TO = "certs_from", "certs_to"
#: Visible products holding a certificate, by the first and last day of each span they hold one.
CERTIFIED_FROM, CERTIFIED_TO = "certified_from", "certified_to"
#: Approved producers, and the households they bring along (脱贫户, 监测户).
PRODUCERS, LIFTED, MONITORED = "producers", "lifted", "monitored"

#: (name, county id, category, day) of one counter.
Key = tuple[str, int, str, date]
#: Ids per query: far below SQLite's limit of bound parameters.
CHUNK = 500


@dataclass(frozen=True)
class ProductFacts:
    """What a product's contribution depends on: its county and category, whether buyers see it, and the
    validity (first day, last day) of each of its certificates that counts."""

    county_id: int | None
    category: str
    visible: bool
    certificates: tuple[tuple[date, date], ...] = ()


@dataclass(frozen=True)
class ProducerFacts:
    """What a producer's contribution depends on."""

    county_id: int | None
    approved: bool
    lifted: int
    monitored: int


def spans(certificates: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """The days covered by some certificate, as disjoint spans (overlapping or touching ones joined)."""
    joined: list[tuple[date, date]] = []
    for start, end in sorted(certificates):
        if joined and start <= joined[-1][1] + timedelta(days=1):
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def product_contribution(facts: ProductFacts) -> Counter[Key]:
    """The counters a product adds one to (nothing while buyers do not see it)."""
    found: Counter[Key] = Counter()
    if not facts.visible or facts.county_id is None:
        return found
    for county in (facts.county_id, EVERY_COUNTY):
        for category in (facts.category, EVERY_CATEGORY):
            found[(VISIBLE, county, category, UNDATED)] += 1
        for start, end in facts.certificates:
            found[(CERTS_FROM, county, EVERY_CATEGORY, start)] += 1
            found[(CERTS_TO, county, EVERY_CATEGORY, end)] += 1
        for start, end in spans(facts.certificates):
            found[(CERTIFIED_FROM, county, EVERY_CATEGORY, start)] += 1
            found[(CERTIFIED_TO, county, EVERY_CATEGORY, end)] += 1
    return found


def producer_contribution(facts: ProducerFacts) -> Counter[Key]:
    """The counters an approved producer adds to: one producer, and its households."""
    found: Counter[Key] = Counter()
    if not facts.approved or facts.county_id is None:
        return found
    for county in (facts.county_id, EVERY_COUNTY):
        found[(PRODUCERS, county, EVERY_CATEGORY, UNDATED)] += 1
        found[(LIFTED, county, EVERY_CATEGORY, UNDATED)] += facts.lifted
        found[(MONITORED, county, EVERY_CATEGORY, UNDATED)] += facts.monitored
    return found


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """``ids`` sorted, in lists small enough for one IN (…)."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _product_rows(session: Session, ids: Sequence[int] | None) -> Iterator[tuple[Any, ...]]:
    """(id, category, visible, county id) of the products ``ids`` (every product for ``None``)."""
    visible = Product.is_active.is_(True) & (Producer.status == ProducerStatus.APPROVED)
    query = select(Product.id, Product.category, case((visible, True), else_=False), Producer.county_id).join(
        Producer, Producer.id == Product.producer_id
    )
    if ids is None:
        yield from session.execute(query)
        return
    for chunk in _chunks(ids):
        yield from session.execute(query.where(Product.id.in_(chunk)))


def _certificate_rows(session: Session, ids: Sequence[int] | None) -> Iterator[tuple[Any, ...]]:
    """(product id, first day, last day) of the certificates that count, of the products ``ids``."""
    query = select(Certification.product_id, Certification.valid_from, Certification.valid_to).where(
        Certification.status == CertificationStatus.CERTIFIED,
        Certification.valid_from.is_not(None),
        Certification.valid_to.is_not(None),
    )
    if ids is None:
        yield from session.execute(query)
        return
    for chunk in _chunks(ids):
        yield from session.execute(query.where(Certification.product_id.in_(chunk)))


def product_facts(session: Session, ids: Sequence[int] | None = None) -> dict[int, ProductFacts]:
    """The facts of the products ``ids`` as the database holds them now (every product for ``None``)."""
    certificates: dict[int, list[tuple[date, date]]] = {}
    for product_id, start, end in _certificate_rows(session, ids):
        certificates.setdefault(product_id, []).append((start, end))
    return {
        product_id: ProductFacts(
            county_id,
            str(getattr(category, "value", category)),
            bool(visible),
            tuple(certificates.get(product_id, ())),
        )
        for product_id, category, visible, county_id in _product_rows(session, ids)
    }


def producer_facts(session: Session, ids: Sequence[int] | None = None) -> dict[int, ProducerFacts]:
    """The facts of the producers ``ids`` as the database holds them now (every producer for ``None``)."""
    query = select(
        Producer.id,
        Producer.county_id,
        Producer.status,
        Producer.lifted_households,
        Producer.monitored_households,
    )
    chunks = [query] if ids is None else [query.where(Producer.id.in_(chunk)) for chunk in _chunks(ids)]
    return {
        producer_id: ProducerFacts(county_id, status == ProducerStatus.APPROVED, lifted or 0, monitored or 0)
        for chunk in chunks
        for producer_id, county_id, status, lifted, monitored in session.execute(chunk)
    }


def contributions(
    session: Session, product_ids: Sequence[int] | None, producer_ids: Sequence[int] | None
) -> Counter[Key]:
    """Everything the products and producers add to the counters now (``None``: all of them)."""
    total: Counter[Key] = Counter()
    if product_ids is None or product_ids:
        for facts in product_facts(session, product_ids).values():
            total.update(product_contribution(facts))
    if producer_ids is None or producer_ids:
        for producer in producer_facts(session, producer_ids).values():
            total.update(producer_contribution(producer))
    return total


def difference(after: Counter[Key], before: Counter[Key]) -> dict[Key, int]:
    """``after − before`` per counter, zeros left out (negative values kept, unlike ``Counter``'s ``-``)."""
    changes = {key: after.get(key, 0) - before.get(key, 0) for key in after.keys() | before.keys()}
    return {key: value for key, value in changes.items() if value}


def add(session: Session, changes: dict[Key, int]) -> None:
    """Add ``changes`` to the counters: one upsert, in key order (concurrent writers never deadlock on them).

    Does not commit.
    """
    if not changes:
        return
    rows = [
        {"name": name, "county_id": county, "category": category, "day": day, "value": changes[key]}
        for key in sorted(changes)
        for name, county, category, day in (key,)
    ]
    table = COUNT_TABLE
    stmt = upsert_insert(session, table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name", "county_id", "category", "day"],
        set_={"value": table.c.value + stmt.excluded.value},
    )
    session.execute(stmt)


def stored_counts(session: Session) -> Counter[Key]:
    """Every counter as stored (zeros left out)."""
    rows = session.execute(
        select(
            CatalogCount.name,
            CatalogCount.county_id,
            CatalogCount.category,
            CatalogCount.day,
            CatalogCount.value,
        )
    )
    return Counter(
        {(name, county, category, day): value for name, county, category, day, value in rows if value}
    )


def check_counts(session: Session) -> dict[Key, tuple[int, int]]:
    """Counters whose stored value differs from a count over the catalog: key → (stored, counted)."""
    stored, counted = stored_counts(session), contributions(session, None, None)
    return {
        key: (stored.get(key, 0), counted.get(key, 0))
        for key in sorted(stored.keys() | counted.keys())
        if stored.get(key, 0) != counted.get(key, 0)
    }


def rebuild_counts(session: Session) -> int:
    """Rewrite every counter from the catalog as it is (after a bulk load); return how many rows. Does not
    commit."""
    counted = contributions(session, None, None)
    session.execute(delete(CatalogCount))
    rows = [
        {"name": name, "county_id": county, "category": category, "day": day, "value": value}
        for (name, county, category, day), value in sorted(counted.items())
        if value
    ]
    for start in range(0, len(rows), 1000):
        session.execute(COUNT_TABLE.insert(), rows[start : start + 1000])
    return len(rows)


# --- reading ----------------------------------------------------------------------------------------------


def _counties(county_ids: Sequence[int] | None) -> list[int]:
    """The ``county_id`` values to sum: the counties given, or the platform's own counters."""
    return [EVERY_COUNTY] if county_ids is None else list(county_ids)


def visible_products(session: Session, county_id: int | None = None, category: str | None = None) -> int:
    """How many products buyers see, in the county with this region id and of this category (either may be
    ``None``: all). One index lookup."""
    c = COUNT_TABLE.c
    query = select(c.value).where(
        c.name == VISIBLE,
        c.county_id == (EVERY_COUNTY if county_id is None else county_id),
        c.category == (category or EVERY_CATEGORY),
        c.day == UNDATED,
    )
    return int(session.scalar(query) or 0)


def _valid_on(session: Session, first: str, last: str, county_ids: Sequence[int] | None, day: date) -> int:
    """Σ ``last``[days ≥ ``day``] − Σ ``first``[days > ``day``]: what is valid on ``day`` (see the module)."""
    c = COUNT_TABLE.c
    ended = (c.name == last) & (c.day >= day)
    begun_later = (c.name == first) & (c.day > day)
    query = select(func.coalesce(func.sum(case((c.name == last, c.value), else_=-c.value)), 0)).where(
        c.county_id.in_(_counties(county_ids)),
        c.category == EVERY_CATEGORY,
        or_(ended, begun_later),
    )
    return int(session.scalar(query) or 0)


def certificates_valid(session: Session, day: date, county_ids: Sequence[int] | None = None) -> int:
    """How many certificates the public list shows on ``day`` (in these counties; ``None``: everywhere)."""
    return _valid_on(session, CERTS_FROM, CERTS_TO, county_ids, day)


def certified_products(session: Session, day: date, county_ids: Sequence[int] | None = None) -> int:
    """How many products buyers see hold a certificate valid on ``day`` (in these counties, or everywhere)."""
    return _valid_on(session, CERTIFIED_FROM, CERTIFIED_TO, county_ids, day)


@dataclass(frozen=True)
class ProducerCounts:
    """Approved producers and the households they bring along."""

    producers: int
    lifted: int
    monitored: int


def producer_counts(session: Session, county_ids: Sequence[int] | None = None) -> ProducerCounts:
    """Approved producers and their households in these counties (``None``: everywhere)."""
    c = COUNT_TABLE.c
    rows = dict(
        session.execute(
            select(c.name, func.sum(c.value))
            .where(
                c.name.in_((PRODUCERS, LIFTED, MONITORED)),
                c.county_id.in_(_counties(county_ids)),
                c.category == EVERY_CATEGORY,
                c.day == UNDATED,
            )
            .group_by(c.name)
        ).all()
    )
    return ProducerCounts(*(int(rows.get(name) or 0) for name in (PRODUCERS, LIFTED, MONITORED)))
