"""A seeded statistics world for the dashboards benchmark: regions, producers, products, institutions,
targets, and N sales-ledger entries inserted in bulk, with the roll-ups built by the rebuild functions.

The spread is meant to look like a county-level consumption-assistance platform after five years: sales
concentrated in the two big counties (疏勒县, 城口县) and a long tail of products (Zipf-like popularity); most
products certified; consumers buy any product online, institutions buy (and their staff buy) from a basket of
a few dozen products, mostly from their paired county; sales grow over the years; a few refunds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from catalog.producers.models import Producer, ProducerKind, ProducerStatus
from catalog.products.models import (
    Category,
    Certification,
    CertificationStatus,
    Product,
    Unit,
)
from core.clock import SHANGHAI, shanghai_date
from core.models import Region, RegionLevel
from core.regions import get_region, seed_regions
from procurement.institutions.models import Institution, InstitutionKind, InstitutionStatus
from procurement.ordering.models import FundingSource
from stats.dimensions import CONSUMER
from stats.ledger import ENTRY_TABLE
from stats.models import (
    Channel,
    EntryKind,
    EntrySource,
    SalesEntry,
    Target,
    TargetScope,
)

#: Counties beyond the three of the region data (code, name, parent code): "3 counties + a few more".
EXTRA_COUNTIES = (
    ("653121", "疏附县", "653100"),
    ("653123", "英吉沙县", "653100"),
    ("653125", "莎车县", "653100"),
    ("500238", "巫溪县", "500000"),
)
#: Share of producers (and so of sales) per county code.
COUNTY_WEIGHTS = {
    "653122": 30,
    "500229": 30,
    "653131": 16,
    "653121": 6,
    "653123": 6,
    "653125": 6,
    "500238": 6,
}
PRODUCERS, PRODUCTS, INSTITUTIONS, BASKET = 300, 600, 200, 30
#: Share of entries per kind of sale (the rest, ~3 %, are refunds of online sales).
ONLINE, STAFF, PROCUREMENT = 0.62, 0.10, 0.25
DAYS = 5 * 365 + 1
INSERT_CHUNK = 20_000


@dataclass
class World:
    """What the seeded database holds, for choosing the queries to time."""

    start: date
    end: date
    counties: dict[str, int] = field(default_factory=dict)
    producer_ids: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    institution_ids: list[int] = field(default_factory=list)
    entries: int = 0


@dataclass
class _Product:
    """What an entry needs of a product."""

    id: int
    producer_id: int
    county: str
    price_fen: int
    certified: bool


@dataclass
class _Institution:
    """What an entry needs of an institution."""

    id: int
    kind: str
    paired: frozenset[str]
    basket: list[_Product]
    funding: str


def _regions(session: Session) -> dict[str, Region]:
    """The seeded counties (real and extra) by code, with their ancestors in place."""
    seed_regions(session)
    for code, name, parent in EXTRA_COUNTIES:
        if get_region(session, code) is None:
            session.add(
                Region(code=code, name=name, level=RegionLevel.COUNTY, parent=get_region(session, parent))
            )
    session.flush()
    return {code: r for code in COUNTY_WEIGHTS if (r := get_region(session, code)) is not None}


def _catalog(
    session: Session, rng: random.Random, counties: dict[str, Region], start: date
) -> list[_Product]:
    """Producers and products; 85 % of products hold a certificate valid over the whole period."""
    codes = list(COUNTY_WEIGHTS)
    weights = [COUNTY_WEIGHTS[c] for c in codes]
    producers = []
    for number in range(PRODUCERS):
        code = rng.choices(codes, weights)[0]
        producer = Producer(
            name=f"基准合作社{number:03d}",
            kind=rng.choice(list(ProducerKind)),
            status=ProducerStatus.APPROVED,
            county=counties[code],
            lifted_households=rng.randint(0, 80),
            monitored_households=rng.randint(0, 20),
        )
        session.add(producer)
        producers.append((producer, code))
    session.flush()
    products = []
    for number in range(PRODUCTS):
        producer, code = producers[number] if number < PRODUCERS else rng.choice(producers)
        product = Product(
            producer=producer,
            name=f"基准产品{number:03d}",
            category=rng.choice(list(Category)),
            unit=Unit.KG,
            price_fen=rng.randrange(500, 20_000, 10),
        )
        session.add(product)
        products.append((product, code))
    session.flush()
    found = []
    for product, code in products:
        certified = rng.random() < 0.85
        if certified:
            session.add(
                Certification(
                    product_id=product.id,
                    status=CertificationStatus.CERTIFIED,
                    certificate_no=f"XFBF-BENCH-{product.id:05d}",
                    valid_from=start,
                    valid_to=shanghai_date() + timedelta(days=365),
                )
            )
        found.append(_Product(product.id, product.producer_id, code, product.price_fen, certified))
    session.flush()
    return found


def _institutions(
    session: Session,
    rng: random.Random,
    counties: dict[str, Region],
    products: list[_Product],
    weights: list[float],
) -> list[_Institution]:
    """~200 verified institutions of every kind; most paired with a county, buying from a basket."""
    kinds = list(InstitutionKind)
    funding = {
        InstitutionKind.UNION: FundingSource.UNION_FUNDS,
        InstitutionKind.SUPERMARKET: FundingSource.OWN_FUNDS,
        InstitutionKind.PRIVATE_FIRM: FundingSource.OWN_FUNDS,
        InstitutionKind.STATE_FIRM: FundingSource.OWN_FUNDS,
    }
    codes = list(COUNTY_WEIGHTS)
    made = []
    for number in range(INSTITUTIONS):
        kind = kinds[number % len(kinds)]
        institution = Institution(name=f"基准单位{number:03d}", kind=kind, status=InstitutionStatus.VERIFIED)
        paired = set()
        if kind is InstitutionKind.PARTNER or rng.random() < 0.6:
            paired.add(rng.choices(codes, [COUNTY_WEIGHTS[c] for c in codes])[0])
            institution.paired_counties.append(counties[next(iter(paired))])
        session.add(institution)
        local = [p for p in products if p.county in paired]
        basket = rng.sample(local, min(len(local), BASKET * 2 // 3)) if local else []
        basket += rng.choices(products, weights, k=BASKET - len(basket))
        made.append((institution, kind, frozenset(paired), basket))
    session.flush()
    return [
        _Institution(i.id, kind.value, paired, basket, funding.get(kind, FundingSource.BUDGET).value)
        for i, kind, paired, basket in made
    ]


def _targets(session: Session, counties: dict[str, Region], institution: _Institution, end: date) -> None:
    """A 5-year target per county, a partner target and a platform target (as admins would set)."""
    first, last = end.year - 4, end.year
    for county in counties.values():
        session.add(
            Target(
                scope=TargetScope.COUNTY,
                county_id=county.id,
                start_year=first,
                end_year=last,
                amount_fen=10**10,
            )
        )
    if institution.paired:
        code = next(iter(institution.paired))
        session.add(
            Target(
                scope=TargetScope.PARTNER,
                county_id=counties[code].id,
                institution_id=institution.id,
                start_year=last,
                end_year=last,
                amount_fen=10**8,
            )
        )
    session.add(Target(scope=TargetScope.PLATFORM, start_year=first, end_year=last, amount_fen=10**11))
    session.flush()


def _places(session: Session, counties: dict[str, Region]) -> dict[str, tuple[int, int | None, int | None]]:
    """County code → (county, prefecture, province) ids."""
    places = {}
    for code, county in counties.items():
        chain = {r.level: r.id for r in county.ancestors()}
        places[code] = (county.id, chain.get(RegionLevel.PREFECTURE), chain.get(RegionLevel.PROVINCE))
    return places


def _entries(
    rng: random.Random,
    count: int,
    start: date,
    products: list[_Product],
    weights: list[float],
    institutions: list[_Institution],
    places: dict[str, tuple[int, int | None, int | None]],
) -> list[dict[str, Any]]:
    """``count`` entry rows: online, staff and procurement sales over growing days, ~3 % refunds."""
    days = [start + timedelta(days=i) for i in range(DAYS)]
    day_weights = list(accumulate(1.0 + i / DAYS for i in range(DAYS)))  # sales double over five years
    product_weights = list(accumulate(weights))
    institution_weights = list(accumulate(1.0 / (1 + i) ** 0.5 for i in range(len(institutions))))
    rows: list[dict[str, Any]] = []
    source_ids = dict.fromkeys(EntrySource, 0)

    def add(
        kind: EntryKind, source: EntrySource, day: date, product: _Product, **dims: Any
    ) -> dict[str, Any]:
        source_ids[source] += 1
        county, prefecture, province = places[product.county]
        moment = datetime.combine(day, time(10, 30), SHANGHAI).astimezone(UTC)
        row = {
            "kind": kind,
            "source": source,
            "source_id": source_ids[source],
            "occurred_at": moment,
            "day": day,
            "product_id": product.id,
            "producer_id": product.producer_id,
            "county_id": county,
            "prefecture_id": prefecture,
            "province_id": province,
            "is_certified": product.certified and rng.random() > 0.02,  # a few sales while it lapsed
            **dims,
        }
        rows.append(row)
        return row

    while len(rows) < count:
        day = rng.choices(days, cum_weights=day_weights)[0]
        roll = rng.random()
        if roll < ONLINE + STAFF:
            product = rng.choices(products, cum_weights=product_weights)[0]
            quantity = rng.randint(1, 5)
            buyer: dict[str, Any] = {
                "buyer_kind": CONSUMER,
                "institution_id": None,
                "is_paired": False,
                "channel": Channel.ONLINE,
                "funding_source": None,
            }
            if roll >= ONLINE:
                institution = rng.choices(institutions, cum_weights=institution_weights)[0]
                product = rng.choice(institution.basket)
                buyer = {
                    "buyer_kind": institution.kind,
                    "institution_id": institution.id,
                    "is_paired": product.county in institution.paired,
                    "channel": Channel.STAFF,
                    "funding_source": FundingSource.STAFF_PERSONAL.value,
                }
            sale = add(
                EntryKind.SALE,
                EntrySource.ORDER_LINE,
                day,
                product,
                amount_fen=quantity * product.price_fen,
                quantity=quantity,
                **buyer,
            )
            if rng.random() < 0.04 and len(rows) < count:
                refund_day = min(days[-1], day + timedelta(days=rng.randint(0, 10)))
                refund = add(EntryKind.REFUND, EntrySource.REFUND_LINE, refund_day, product, **buyer)
                refund.update(
                    amount_fen=-sale["amount_fen"], quantity=-quantity, is_certified=sale["is_certified"]
                )
        else:
            institution = rng.choices(institutions, cum_weights=institution_weights)[0]
            product = rng.choice(institution.basket)
            quantity = rng.randint(10, 200)
            add(
                EntryKind.SALE,
                EntrySource.SUPPLIER_LINE,
                day,
                product,
                amount_fen=quantity * product.price_fen,
                quantity=quantity,
                buyer_kind=institution.kind,
                institution_id=institution.id,
                is_paired=product.county in institution.paired,
                channel=Channel.PROCUREMENT,
                funding_source=institution.funding,
            )
    return rows[:count]


def seed_world(session: Session, entries: int, seed: int = 20211) -> World:
    """Seed the catalog, institutions and targets, then ``entries`` ledger entries in bulk. Commits."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    end = shanghai_date()
    start = end - timedelta(days=DAYS - 1)
    counties = _regions(session)
    products = _catalog(session, rng, counties, start)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(products))]
    rng.shuffle(weights)
    institutions = _institutions(session, rng, counties, products, weights)
    _targets(session, counties, institutions[8], end)  # every 9th institution is a partner: always paired
    session.commit()
    places = _places(session, counties)
    rows = _entries(rng, entries, start, products, weights, institutions, places)
    for offset in range(0, len(rows), INSERT_CHUNK):
        session.execute(ENTRY_TABLE.insert(), rows[offset : offset + INSERT_CHUNK])
        session.commit()
    return World(
        start=start,
        end=end,
        counties={code: region.id for code, region in counties.items()},
        producer_ids=sorted({p.producer_id for p in products}),
        product_ids=[p.id for p in products],
        institution_ids=[i.id for i in institutions],
        entries=int(session.scalar(select(func.count()).select_from(SalesEntry)) or 0),
    )


def analyze(session: Session) -> None:
    """Give the planner statistics, as autovacuum (PostgreSQL) or a maintenance job (SQLite) would."""
    session.commit()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()
