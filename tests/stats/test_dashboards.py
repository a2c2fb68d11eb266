"""Dashboard queries read the monthly roll-ups and give figures to the fen: counted (certified that day) apart
from ordinary sales, by Asia/Shanghai month, county, product, buyer kind, channel, partner and institution."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import CertificationStatus, Product
from core.clock import SHANGHAI, shanghai_date
from core.db import utcnow
from core.models import Region
from procurement.institutions.models import Institution, InstitutionKind
from stats import dashboards
from stats.dashboards import Filters, InvalidFilters
from stats.ledger import EntryRow, add_to_rollup
from stats.models import (
    Channel,
    EntryKind,
    EntrySource,
    Target,
    TargetScope,
)
from tests.conftest import make_certificate

_sources = itertools.count(1)


def add_rollup(
    db: Session,
    product: Product,
    day: date,
    amount_fen: int,
    *,
    certified: bool = True,
    quantity: int = 1,
    channel: Channel = Channel.ONLINE,
    buyer_kind: str = "consumer",
    institution: Institution | None = None,
    paired: bool = False,
    funding_source: str | None = None,
) -> None:
    """Sum a sale of ``product`` on ``day`` into the roll-ups, as the ledger does (the dashboards read only
    the roll-ups, so no ledger entry is written)."""
    county = product.producer.county
    chain = {r.level.value: r.id for r in county.ancestors()}
    sale = EntryRow(
        kind=EntryKind.SALE,
        source=EntrySource.ORDER_LINE,
        source_id=next(_sources),
        occurred_at=datetime.combine(day, time(12), SHANGHAI),
        day=day,
        amount_fen=amount_fen,
        quantity=quantity,
        product_id=product.id,
        producer_id=product.producer_id,
        county_id=county.id,
        prefecture_id=chain.get("prefecture"),
        province_id=chain.get("province"),
        buyer_kind=buyer_kind,
        institution_id=institution.id if institution else None,
        is_paired=paired,
        channel=channel,
        funding_source=funding_source,
        is_certified=certified,
    )
    add_to_rollup(db, [sale])


@pytest.fixture()
def shop(make_producer: Callable[..., Producer], make_product: Callable[..., Product]) -> dict[str, Product]:
    """Two 疏勒县 products of one producer and a 城口县 product."""
    shule = make_producer(name="疏勒县绿源合作社", county_code="653122")
    chengkou = make_producer(name="城口县腊肉公司", county_code="500229")
    return {
        "melon": make_product(shule, name="郭牌西瓜"),
        "jujube": make_product(shule, name="骏枣"),
        "pork": make_product(chengkou, name="城口老腊肉"),
    }


def test_counted_is_only_certified_sales_and_ordinary_is_the_rest(
    db: Session, shop: dict[str, Product]
) -> None:
    add_rollup(db, shop["melon"], date(2025, 3, 1), 12_345, quantity=3)
    add_rollup(db, shop["melon"], date(2025, 3, 2), 1_001, certified=False)
    add_rollup(db, shop["jujube"], date(2025, 3, 3), -2_000, quantity=-1)  # a refund after counting
    figures = dashboards.totals(db, Filters.months(2025))
    assert figures.sales_fen == 12_345 + 1_001 - 2_000
    assert figures.counted_fen == 12_345 - 2_000
    assert figures.ordinary_fen == 1_001
    assert (figures.quantity, figures.entries) == (3, 3)


def test_months_follow_the_shanghai_calendar_months_of_the_rollup(
    db: Session, shop: dict[str, Product]
) -> None:
    add_rollup(db, shop["melon"], date(2024, 12, 31), 700)
    add_rollup(db, shop["melon"], date(2025, 1, 1), 100)
    add_rollup(db, shop["melon"], date(2025, 1, 31), 200)
    add_rollup(db, shop["melon"], date(2025, 2, 1), 300)
    add_rollup(db, shop["melon"], date(2025, 3, 31), 400)
    add_rollup(db, shop["melon"], date(2025, 4, 1), 500)

    rows = dashboards.monthly(db, Filters.months(2025))
    assert [r.key for r in rows] == [f"2025-{m:02d}" for m in range(1, 13)]  # every month, zeros included
    assert [r.figures.sales_fen for r in rows[:5]] == [300, 300, 400, 500, 0]

    spring = Filters.months(2025, 2, 3)
    assert (spring.start, spring.end) == (date(2025, 2, 1), date(2025, 3, 31))
    assert [(r.key, r.figures.counted_fen) for r in dashboards.monthly(db, spring)] == [
        ("2025-02", 300),
        ("2025-03", 400),
    ]
    assert dashboards.totals(db, spring).sales_fen == 700
    assert dashboards.totals(db, Filters.months(2024, 12, 12)).sales_fen == 700
    assert dashboards.totals(db, Filters.months(2024, 2, 2)).sales_fen == 0
    all_time = dashboards.monthly(db, Filters())
    assert [r.key for r in all_time] == ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04"]


def test_leap_february_ends_on_the_29th(db: Session, shop: dict[str, Product]) -> None:
    add_rollup(db, shop["melon"], date(2024, 2, 29), 999)
    assert Filters.months(2024, 2, 2).end == date(2024, 2, 29)
    assert dashboards.totals(db, Filters.months(2024, 2, 2)).sales_fen == 999


def test_by_county_gives_every_county_in_order_and_filters_narrow(
    db: Session, shop: dict[str, Product], region: Callable[[str], Region]
) -> None:
    add_rollup(db, shop["melon"], date(2025, 5, 1), 1_000)
    add_rollup(db, shop["pork"], date(2025, 5, 2), 2_500, certified=False)
    add_rollup(db, shop["pork"], date(2024, 5, 2), 4_000)
    counties = [region("653122"), region("653131"), region("500229")]

    year = {r.key: r.figures for r in dashboards.by_county(db, Filters.months(2025), counties)}
    assert (year["653122"].counted_fen, year["653131"].sales_fen, year["500229"].sales_fen) == (
        1_000,
        0,
        2_500,
    )
    all_time = {r.key: r.figures for r in dashboards.by_county(db, Filters.months(2025).all_time(), counties)}
    assert (all_time["500229"].sales_fen, all_time["500229"].counted_fen) == (6_500, 4_000)

    chengkou = Filters.months(2025, county_ids=(region("500229").id,))
    assert dashboards.totals(db, chengkou).sales_fen == 2_500
    assert dashboards.totals(db, Filters.months(2025, county_ids=())).sales_fen == 0


def test_breakdowns_by_product_buyer_channel_and_partner(
    db: Session, shop: dict[str, Product], make_institution: Callable[..., Institution]
) -> None:
    school = make_institution(kind=InstitutionKind.SCHOOL)
    partner = make_institution(kind=InstitutionKind.PARTNER)
    day = date(2025, 6, 10)
    add_rollup(db, shop["melon"], day, 5_000, quantity=2)
    add_rollup(
        db, shop["melon"], day, 30_000, channel=Channel.PROCUREMENT, buyer_kind="school", institution=school
    )
    add_rollup(
        db,
        shop["jujube"],
        day,
        80_000,
        channel=Channel.PROCUREMENT,
        buyer_kind="partner",
        institution=partner,
        paired=True,
    )
    add_rollup(db, shop["jujube"], day, 1_200, certified=False, channel=Channel.STAFF, institution=school)
    filters = Filters.months(2025)

    products = dashboards.by_product(db, filters)
    assert [(r.name, r.extra["producer"], r.figures.sales_fen) for r in products] == [
        ("骏枣", "疏勒县绿源合作社", 81_200),
        ("郭牌西瓜", "疏勒县绿源合作社", 35_000),
    ]
    assert [r.name for r in dashboards.by_product(db, filters, limit=1)] == ["骏枣"]

    buyers = {r.key: r.figures.sales_fen for r in dashboards.by_buyer_kind(db, filters)}
    assert buyers == {"partner": 80_000, "school": 30_000, "consumer": 6_200}
    assert [r.key for r in dashboards.by_channel(db, filters)] == ["online", "procurement", "staff"]
    channels = {
        r.key: (r.figures.counted_fen, r.figures.sales_fen) for r in dashboards.by_channel(db, filters)
    }
    assert channels == {"online": (5_000, 5_000), "procurement": (110_000, 110_000), "staff": (0, 1_200)}

    partners = dashboards.by_partner(db, filters)
    assert [(r.key, r.figures.sales_fen) for r in partners] == [(True, 80_000), (False, 36_200)]

    top = dashboards.top_institutions(db, filters)
    assert [(r.name, r.extra["paired"], r.figures.sales_fen, r.figures.counted_fen) for r in top] == [
        (partner.name, True, 80_000, 80_000),
        (school.name, False, 31_200, 30_000),
    ]
    assert len(dashboards.top_institutions(db, filters, limit=1)) == 1

    online = Filters.months(2025, channel=Channel.ONLINE)
    assert dashboards.totals(db, online).sales_fen == 5_000
    only_melon = Filters.months(2025, producer_ids=(shop["melon"].producer_id,))
    assert dashboards.totals(db, only_melon).sales_fen == 116_200  # both products share the producer


def test_idle_producers_are_approved_ones_without_rows_in_the_quarter(
    db: Session,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
) -> None:
    start, end = dashboards.quarter_of(date(2025, 5, 20))
    assert (start, end) == (date(2025, 4, 1), date(2025, 6, 30))
    seller = make_producer(name="甲 有销售")
    quiet = make_producer(name="乙 无销售")
    sold_before = make_producer(name="丙 上季度有销售")
    make_producer(name="丁 待审核", status=ProducerStatus.PENDING)
    make_producer(name="戊 城口", county_code="500229")
    refunded = make_producer(name="己 只有退款")
    add_rollup(db, make_product(seller), date(2025, 6, 30), 100)
    add_rollup(db, make_product(sold_before), date(2025, 3, 31), 100)
    add_rollup(db, make_product(refunded), date(2025, 4, 1), -100)

    idle = dashboards.idle_producers(db, (region("653122").id,), start, end)
    assert [p.name for p in idle] == [sold_before.name, quiet.name]
    assert dashboards.quarter_of(date(2025, 12, 31)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert dashboards.quarter_of(date(2024, 2, 29)) == (date(2024, 1, 1), date(2024, 3, 31))


def test_catalog_counts_certified_today_approved_producers_and_households(
    db: Session,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
) -> None:
    today = shanghai_date()
    a = make_producer()
    a.lifted_households, a.monitored_households = 12, 3
    b = make_producer(county_code="500229")
    b.lifted_households = 40
    pending = make_producer(status=ProducerStatus.PENDING)
    pending.lifted_households = 1000
    make_product(a, certified=True)
    twice = make_product(a, certified=True)
    make_certificate(db, twice)  # two valid certificates, one product
    make_product(b, certified=True)
    make_product(pending, certified=True)  # its producer is not approved
    make_product(a, certified=True, is_active=False)
    expired = make_product(a)
    make_certificate(db, expired, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1))
    revoked = make_product(a)
    cert = make_certificate(db, revoked, status=CertificationStatus.REVOKED)
    cert.revoked_at = utcnow()
    make_product(a)  # never certified
    db.flush()

    everywhere = dashboards.catalog_counts(db, None, today)
    assert (everywhere.certified_products, everywhere.approved_producers) == (3, 2)
    assert (everywhere.lifted_households, everywhere.monitored_households, everywhere.households) == (
        52,
        3,
        55,
    )
    shule = dashboards.catalog_counts(db, (region("653122").id,), today)
    assert (shule.certified_products, shule.approved_producers, shule.households) == (2, 1, 15)


def test_target_progress_sums_certified_sales_in_the_target_years_and_county(
    db: Session, shop: dict[str, Product], region: Callable[[str], Region]
) -> None:
    chengkou = region("500229")
    target = Target(
        scope=TargetScope.COUNTY,
        county_id=chengkou.id,
        start_year=2021,
        end_year=2025,
        amount_fen=30_000_000_000,
    )
    db.add(target)
    db.flush()
    add_rollup(db, shop["pork"], date(2021, 1, 1), 10_000)
    add_rollup(db, shop["pork"], date(2025, 12, 31), 20_000)
    add_rollup(db, shop["pork"], date(2025, 6, 1), 5_000, certified=False)  # ordinary: does not count
    add_rollup(db, shop["pork"], date(2026, 1, 1), 40_000)  # after the period
    add_rollup(db, shop["melon"], date(2023, 1, 1), 80_000)  # another county
    assert dashboards.target_progress(db, target) == (30_000, 30_000_000_000)
    assert [t.id for t in dashboards.targets_for_county(db, chengkou)] == [target.id]


@pytest.mark.parametrize(
    ("year", "first", "last"), [(1999, 1, 12), (2101, 1, 12), (2025, 0, 12), (2025, 5, 4)]
)
def test_filters_refuse_impossible_periods(year: int, first: int, last: int) -> None:
    with pytest.raises(InvalidFilters):
        Filters.months(year, first, last)


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2025, 1, 2), None), (None, date(2025, 1, 30)), (date(2025, 2, 1), date(2025, 2, 27))],
)
def test_a_period_cut_inside_a_month_is_refused(start: date | None, end: date | None) -> None:
    with pytest.raises(ValueError, match="month"):
        Filters(start=start, end=end)


def test_each_dashboard_reads_few_small_groupings_from_the_narrowest_rollup(
    db: Session, shop: dict[str, Product], region: Callable[[str], Region]
) -> None:
    add_rollup(db, shop["melon"], date(2025, 6, 10), 5_000)
    add_rollup(db, shop["pork"], date(2024, 6, 10), 7_000, channel=Channel.STAFF)
    counties = [region("653122"), region("500229")]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        period = dashboards.Sales(db, Filters.months(2025), "county", "month")
        assert [r.figures.sales_fen for r in period.by_county(counties)] == [5_000, 0]
        assert period.totals().sales_fen == sum(r.figures.sales_fen for r in period.monthly()) == 5_000
        public = list(statements)
        statements.clear()
        county = dashboards.Sales(
            db,
            Filters.months(2025, county_ids=(counties[0].id,)),
            "month",
            "product",
            "buyer_kind",
            "channel",
            "paired",
            "institution",
        )
        assert county.totals().sales_fen == 5_000
        assert [r.key for r in county.by_buyer_kind()] == ["consumer"]
        assert [r.key for r in county.by_channel()] == ["online"] and len(county.monthly()) == 12
        assert len(statements) == 1  # one grouping so far, shared by these breakdowns
        assert [r.name for r in county.by_product()] == ["郭牌西瓜"]
        assert [r.key for r in county.by_partner()] == [False] and county.top_institutions() == []
    finally:
        event.remove(connection, "before_cursor_execute", seen)

    # The public page's period is one query on the county-monthly roll-up.
    assert len(public) == 1 and "FROM stats_county_monthly_rollup" in public[0]
    # The county dashboard: few-valued dimensions together on the county-kind roll-up, products on the
    # county-product one, institutions on the county-buyer one (plus the names of those products and
    # institutions); never the monthly roll-up, whose rows split every product by every buyer.
    rollup = [s for s in statements if "_rollup" in s]
    assert [s.split("FROM ")[1].split()[0] for s in rollup] == [
        "stats_county_kind_rollup",
        "stats_county_product_rollup",
        "stats_county_buyer_rollup",
    ]
    assert len(statements) == 5
