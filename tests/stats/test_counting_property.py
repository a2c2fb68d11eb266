"""Property: one counting rule, the same number everywhere a figure is shown.

Hypothesis draws random histories: certificates granted for a few days, lapsing and revoked; consumer sales
(some linked to the buyer's employer as staff purchases), refunds days later, and procurement receipts, on
days around a month end and at hours either side of Asia/Shanghai midnight. An independent oracle sums what
each history must count (a sale counts when its product held a valid certificate that day; a refund takes
back what its sale counted). Then every surface that shows a figure must show the oracle's number:

- counted and all sales per county: the public dashboard, its CSV export, the statistics API's summary, each
  county's dashboard, its CSV export and its API answer, and the county target;
- per producer: the producer dashboard, its export, and the county dashboards' products;
- per institution: its progress toward the reserved share (counted receipts, receipts that do not count,
  staff purchases, by county), its workbench page, the county dashboards' top institutions (page, export,
  API) and its partner targets;
- the platform target, and the early warning's recent and previous sales of each product.

Each example runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import CertificationStatus, Product
from core.i18n import format_fen
from core.models import Region, User
from core.tokens.services import issue_token
from orders.models import Order
from procurement.institutions.models import Institution, InstitutionKind, InstitutionRole
from procurement.ordering.models import FundingSource, SupplierStatus
from stats import summaries
from stats.dashboards import Filters
from stats.models import Channel, Target, TargetScope
from stats.progress import received_progress
from stats.targets.services import target_progress
from stats.targets.warnings import Thresholds, falling_products
from tests.conftest import make_certificate
from tests.stats.ledger_support import make_order, make_supplier_order, pay, refund, utc
from tests.support import examples

pytestmark = pytest.mark.usefixtures("english")  # section titles of the exports are read in English

YEAR = 2024
#: Day offsets 0–9 run from 26 February to 6 March 2024 (a leap February): a month end in every history.
START = date(YEAR, 2, 26)
DAYS = 10
#: UTC hours: from 16:00 on, it is already the next day in Shanghai.
HOURS = (0, 8, 15, 16, 23)
SHULE, CHENGKOU = "653122", "500229"
_numbers = itertools.count(1)


def shanghai_day(moment: datetime) -> date:
    """The Shanghai calendar day, reckoned independently of the code under test (UTC+8, no DST)."""
    return (moment + timedelta(hours=8)).date()


@dataclass(frozen=True)
class Grant:
    """A certificate of product ``product``: days ``first``–``first+length`` (offsets), maybe revoked."""

    product: int
    first: int
    length: int
    revoked: int | None  # offset of the day it was revoked (from that day on it no longer counts)


@dataclass(frozen=True)
class Sale:
    """A paid consumer order of one producer (products 0, 1: Shule; 2, 3: Chengkou)."""

    producer_b: bool
    lines: list[tuple[int, int, int]]  # (product of the two, quantity, unit price)
    day: int
    hour: int
    staff: bool


@dataclass(frozen=True)
class Refund:
    """A refund of an earlier sale (picked modulo), some units per line, hours later."""

    pick: int
    units: list[int]
    delay_hours: int


@dataclass(frozen=True)
class Receipt:
    """A procurement line the school received (in part) on ``day``."""

    product: int
    requested: int
    received_share: int
    day: int
    hour: int
    funding: FundingSource


grants = st.builds(
    Grant,
    product=st.integers(0, 3),
    first=st.integers(-3, DAYS - 1),
    length=st.integers(0, 8),
    revoked=st.one_of(st.none(), st.integers(0, DAYS - 1)),
)
sales = st.builds(
    Sale,
    producer_b=st.booleans(),
    lines=st.lists(
        st.tuples(st.integers(0, 1), st.integers(1, 4), st.integers(1, 9_000)), min_size=1, max_size=2
    ),
    day=st.integers(0, DAYS - 1),
    hour=st.sampled_from(HOURS),
    staff=st.booleans(),
)
refunds = st.builds(
    Refund,
    pick=st.integers(0, 20),
    units=st.lists(st.integers(0, 4), min_size=1, max_size=2),
    delay_hours=st.integers(0, 72),
)
receipts = st.builds(
    Receipt,
    product=st.integers(0, 3),
    requested=st.integers(1, 40),
    received_share=st.integers(0, 100),
    day=st.integers(0, DAYS - 1),
    hour=st.sampled_from(HOURS),
    funding=st.sampled_from(list(FundingSource)),
)


@dataclass
class Market:
    """What every example starts from: two counties' producers and products, a school and who looks."""

    products: list[Product]
    producers: list[Producer]
    counties: dict[str, Region]
    school: Institution
    buyer: User
    consumer: User
    owner: User
    admin: User
    secret: str
    targets: dict[str, Target]


@pytest.fixture()
def market(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> Market:
    """Products 0, 1 of a Shule producer and 2, 3 of a Chengkou one (one owner), a school paired with Shule,
    its buyer, an admin with an API token, and county, partner and platform targets for the year."""
    owner, buyer, consumer = make_user(name="社长"), make_user(name="采购员"), make_user(name="消费者")
    school = make_institution(buyer, kind=InstitutionKind.SCHOOL, role=InstitutionRole.BUYER)
    counties = {SHULE: region(SHULE), CHENGKOU: region(CHENGKOU)}
    school.paired_counties.append(counties[SHULE])
    producers = [make_producer(owner), make_producer(owner, county_code=CHENGKOU)]
    products = [make_product(producers[i // 2], price_fen=100) for i in range(4)]
    admin = make_user(is_admin=True)
    _token, secret = issue_token(db, admin, "property")
    targets = {
        "county": Target(scope=TargetScope.COUNTY, county_id=counties[SHULE].id),
        "partner_shule": Target(
            scope=TargetScope.PARTNER, county_id=counties[SHULE].id, institution_id=school.id
        ),
        "partner_chengkou": Target(
            scope=TargetScope.PARTNER, county_id=counties[CHENGKOU].id, institution_id=school.id
        ),
        "platform": Target(scope=TargetScope.PLATFORM),
    }
    for target in targets.values():
        target.start_year, target.end_year, target.amount_fen = YEAR, YEAR, 10**9
        db.add(target)
    db.flush()
    return Market(products, producers, counties, school, buyer, consumer, owner, admin, secret, targets)


# --- the oracle -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """What one ledger row must add: when, where, for whom, how much, and whether it counts."""

    day: date
    product: int
    channel: Channel
    fen: int
    counted: bool


def certified(windows: list[Grant], product: int, day: date) -> bool:
    """Whether ``product`` held a certificate on ``day``: inside a grant's days and before its revocation."""
    offset = (day - START).days
    return any(
        g.product == product
        and g.first <= offset <= g.first + g.length
        and (g.revoked is None or offset < g.revoked)
        for g in windows
    )


def grant(db: Session, market: Market, windows: list[Grant]) -> None:
    """Issue the drawn certificates (before any sale: the ledger judges each sale when it is written)."""
    for g in windows:
        product = market.products[g.product]
        cert = make_certificate(
            db,
            product,
            valid_from=START + timedelta(days=g.first),
            valid_to=START + timedelta(days=g.first + g.length),
        )
        cert.certificate_no = f"PROP-{next(_numbers):07d}"
        if g.revoked is not None:
            cert.status = CertificationStatus.REVOKED
            cert.revoked_at = utc(START + timedelta(days=g.revoked))  # noon in Shanghai that day
    db.flush()


def run(
    db: Session, market: Market, windows: list[Grant], actions: list[Sale | Refund | Receipt]
) -> list[Contribution]:
    """Carry out the history; return the oracle's contributions."""
    grant(db, market, windows)
    expected: list[Contribution] = []
    paid: list[tuple[Order, list[int], Channel]] = []
    for action in actions:
        if isinstance(action, Sale):
            offset = 2 if action.producer_b else 0
            lines = [(market.products[offset + p], qty, price) for p, qty, price in action.lines]
            staff = market.school if action.staff else None
            order = make_order(db, market.consumer, lines, shipping_fen=800, staff_institution=staff)
            moment = utc(START + timedelta(days=action.day), action.hour)
            pay(db, order, moment)
            day = shanghai_day(moment)
            channel = Channel.STAFF if action.staff else Channel.ONLINE
            for p, qty, price in action.lines:
                expected.append(
                    Contribution(day, offset + p, channel, qty * price, certified(windows, offset + p, day))
                )
            paid.append((order, [offset + p for p, _q, _pr in action.lines], channel))
        elif isinstance(action, Refund):
            if not paid:
                continue
            order, indexes, channel = paid[action.pick % len(paid)]
            wanted = {}
            for i, line in enumerate(order.lines):
                units = min(action.units[i % len(action.units)], line.quantity - line.refunded_quantity)
                if units:
                    wanted[line] = units
            if not wanted:
                continue
            assert order.paid_at is not None
            moment = order.paid_at + timedelta(hours=action.delay_hours)
            refund(db, order, wanted, moment)
            sale_day = shanghai_day(order.paid_at)
            for i, line in enumerate(order.lines):
                if line in wanted:
                    fen = -wanted[line] * line.unit_price_fen
                    counts = certified(windows, indexes[i], sale_day)
                    expected.append(Contribution(shanghai_day(moment), indexes[i], channel, fen, counts))
        else:
            got = action.requested * action.received_share // 100
            price = 100 + action.requested
            moment = utc(START + timedelta(days=action.day), action.hour)
            product = market.products[action.product]
            line = (product, action.requested, got, price)
            make_supplier_order(
                db,
                market.school,
                market.buyer,
                [line],
                funding=action.funding,
                status=SupplierStatus.RECEIVED,
                at=moment,
            )
            if got:
                day = shanghai_day(moment)
                counts = certified(windows, action.product, day)
                expected.append(Contribution(day, action.product, Channel.PROCUREMENT, got * price, counts))
    return expected


@dataclass
class Sums:
    """Counted and all sales."""

    counted: int = 0
    sales: int = 0

    def add(self, item: Contribution) -> None:
        self.counted += item.fen if item.counted else 0
        self.sales += item.fen


def sums(items: list[Contribution], key: Callable[[Contribution], Any]) -> dict[Any, Sums]:
    """Counted and all sales per ``key`` of the contributions of ``YEAR``."""
    found: dict[Any, Sums] = defaultdict(Sums)
    for item in items:
        if item.day.year == YEAR:
            found[key(item)].add(item)
    return found


# --- reading the surfaces ---------------------------------------------------------------------------------


def fen(text: str) -> int:
    """Yuan text of an export (``-12.34``) as fen."""
    return int(Decimal(text) * 100)


def sections(body: bytes) -> dict[str, list[list[str]]]:
    """An export's sections by title: their rows under the heading row."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    found: dict[str, list[list[str]]] = {}
    index = 0
    while index < len(rows):
        if rows[index] == [] and index + 2 < len(rows):
            title = rows[index + 1][0]
            index += 3
            found[title] = []
            while index < len(rows) and rows[index] != []:
                found[title].append(rows[index])
                index += 1
        else:
            index += 1
    return found


def get(client: FlaskClient, url: str, **kwargs: Any) -> Any:
    """A 200 response to ``url``."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response


def check_surfaces(
    db: Session, market: Market, expected: list[Contribution], as_user: Callable[[User | None], FlaskClient]
) -> None:
    """Every surface shows the oracle's figures (see the module docstring)."""
    county_of = {i: SHULE if i < 2 else CHENGKOU for i in range(4)}
    by_county = sums(expected, lambda c: county_of[c.product])
    by_product = sums(expected, lambda c: c.product)
    institution = [c for c in expected if c.channel in (Channel.PROCUREMENT, Channel.STAFF)]
    school_by_county = sums(institution, lambda c: county_of[c.product])
    receipts = sums([c for c in expected if c.channel is Channel.PROCUREMENT], lambda c: None)[None]
    staff = sums([c for c in expected if c.channel is Channel.STAFF], lambda c: None)[None]
    total = sums(expected, lambda c: None)[None]
    filters = Filters.months(YEAR)
    admin = as_user(market.admin)
    bearer = {"Authorization": f"Bearer {market.secret}"}

    # public results: page data, export, API
    public = summaries.public_dashboard(db, filters, list(market.counties.values()), START)
    assert (public.period.counted_fen, public.period.sales_fen) == (total.counted, total.sales)
    export = sections(get(admin, f"/stats/export.csv?year={YEAR}").data)
    api = get(admin, f"/api/v1/stats/summary?year={YEAR}", headers=bearer).get_json()
    assert (api["totals"]["counted_fen"], api["totals"]["sales_fen"]) == (total.counted, total.sales)
    exported = {row[0]: (fen(row[1]), fen(row[2])) for row in export["By county"]}
    shown = {line["code"]: line["period"] for line in api["counties"]}
    for code, county in market.counties.items():
        want = (by_county[code].counted, by_county[code].sales)
        [line] = [ln for ln in public.counties if ln.county.code == code]
        assert (line.period.counted_fen, line.period.sales_fen) == want
        assert exported[county.name] == want
        assert (shown[code]["counted_fen"], shown[code]["sales_fen"]) == want

        # the county: dashboard, export, API, its target, its institutions
        dashboard = summaries.county_dashboard(
            db, county, Filters.months(YEAR, county_ids=(county.id,)), START
        )
        assert (dashboard.totals.counted_fen, dashboard.totals.sales_fen) == want
        county_export = sections(get(admin, f"/stats/county/{code}/export.csv?year={YEAR}").data)
        [totals_row] = county_export["Totals"]
        assert (fen(totals_row[1]), fen(totals_row[3])) == want
        county_api = get(admin, f"/api/v1/stats/counties/{code}?year={YEAR}", headers=bearer).get_json()
        assert (county_api["totals"]["counted_fen"], county_api["totals"]["sales_fen"]) == want
        school = school_by_county[code]
        top = {row.key: row.figures.counted_fen for row in dashboard.top_institutions}
        assert top.get(market.school.id, 0) == school.counted
        top_export = {row[0]: fen(row[2]) for row in county_export["Top institutions"]}
        assert top_export.get(market.school.name, 0) == school.counted
        top_api = {row["key"]: row["counted_fen"] for row in county_api["top_institutions"]}
        assert top_api.get(market.school.id, 0) == school.counted
        for row in dashboard.by_product:
            index = next(i for i, p in enumerate(market.products) if p.id == row.key)
            assert (row.figures.counted_fen, row.figures.sales_fen) == (
                by_product[index].counted,
                by_product[index].sales,
            )
        partner = market.targets["partner_shule" if code == SHULE else "partner_chengkou"]
        assert target_progress(db, partner)[0] == school.counted
        [partner_row] = [row for row in county_export["Targets"] if market.school.name in row[0]]
        assert fen(partner_row[3]) == school.counted
        target_api = {row["id"]: row["counted_fen"] for row in county_api["targets"]}
        assert target_api[partner.id] == school.counted
        if code == SHULE:
            [county_row] = [row for row in county_export["Targets"] if market.school.name not in row[0]]
            assert fen(county_row[3]) == target_api[market.targets["county"].id] == want[0]
    assert target_progress(db, market.targets["county"])[0] == by_county[SHULE].counted
    assert target_progress(db, market.targets["platform"])[0] == total.counted

    # producers: dashboard and export
    owner = as_user(market.owner)
    for index, producer in enumerate(market.producers):
        want_producer = (
            by_product[2 * index].counted + by_product[2 * index + 1].counted,
            by_product[2 * index].sales + by_product[2 * index + 1].sales,
        )
        board = summaries.producer_dashboard(db, producer, Filters.months(YEAR, producer_ids=(producer.id,)))
        assert (board.totals.counted_fen, board.totals.sales_fen) == want_producer
        url = f"/stats/producer/export.csv?year={YEAR}&producer={producer.id}"
        [row] = sections(get(owner, url).data)["Totals"]
        assert (fen(row[1]), fen(row[3])) == want_producer

    # the institution: progress toward the reserved share, its page
    progress = received_progress(db, market.school, YEAR)
    assert progress.received_fen == receipts.counted
    assert progress.uncounted_fen == receipts.sales - receipts.counted
    assert progress.staff_fen == staff.counted
    assert sum(fen_ for _source, fen_ in progress.by_funding) == receipts.counted
    assert sum(fen_ for _month, fen_ in progress.by_month) == receipts.counted
    per_county = {line.county.code: line.total_fen for line in progress.counted_by_county}
    if progress.counted_by_county:
        for code in market.counties:
            assert per_county.get(code, 0) == school_by_county[code].counted
    page = get(as_user(market.buyer), f"/institution/?year={YEAR}").get_data(as_text=True)
    assert format_fen(progress.received_fen) in page

    # early warning: each product's counted sales in the two windows before the last day
    today = START + timedelta(days=DAYS - 1)
    limits = Thresholds(window_days=5, drop_percent=0, min_previous_fen=1)
    drops = {d.product.id: (d.previous_fen, d.recent_fen) for d in falling_products(db, today, None, limits)}
    for index, product in enumerate(market.products):
        recent = sum(c.fen for c in expected if c.product == index and c.counted and (today - c.day).days < 5)
        previous = sum(
            c.fen for c in expected if c.product == index and c.counted and 5 <= (today - c.day).days < 10
        )
        if previous >= 1 and recent < previous:
            assert drops[product.id] == (previous, recent)
        else:
            assert product.id not in drops


@settings(
    max_examples=examples(12),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    windows=st.lists(grants, max_size=5),
    actions=st.lists(st.one_of(sales, refunds, receipts), min_size=1, max_size=8),
)
def test_every_surface_shows_the_same_counted_figures(
    db: Session,
    market: Market,
    as_user: Callable[[User | None], FlaskClient],
    windows: list[Grant],
    actions: list[Sale | Refund | Receipt],
) -> None:
    savepoint = db.begin_nested()
    try:
        expected = run(db, market, windows, actions)
        check_surfaces(db, market, expected, as_user)
    finally:
        savepoint.rollback()


def test_a_receipt_after_the_certificate_was_revoked_never_counts_toward_the_reserved_share(
    db: Session, market: Market, as_user: Callable[[User | None], FlaskClient]
) -> None:
    """The issue's example: revoke, then receive; the institution's progress must agree with the rest."""
    windows = [Grant(product=0, first=0, length=9, revoked=3)]
    before = Receipt(0, 10, 100, day=2, hour=4, funding=FundingSource.BUDGET)
    after = Receipt(0, 20, 100, day=5, hour=4, funding=FundingSource.BUDGET)
    expected = run(db, market, windows, [before, after])
    progress = received_progress(db, market.school, YEAR)
    assert progress.received_fen == 10 * 110  # the receipt before the revocation
    assert progress.uncounted_fen == 20 * 120
    page = get(as_user(market.buyer), f"/institution/?year={YEAR}").get_data(as_text=True)
    assert f"{format_fen(20 * 120)} received of products that held no valid certificate" in page
    check_surfaces(db, market, expected, as_user)


def test_only_the_counting_module_decides_what_counts() -> None:
    """No other statistics module filters or judges certification itself (it asks stats.counting)."""
    root = Path(__file__).resolve().parents[2]
    decides = re.compile(r"is_certified\.is_\(|is_certified\s*==|valid_certificate_on\(|if certified\b")
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for package in ("stats", "procurement")
        for path in sorted((root / package).rglob("*.py"))
        if path.name != "counting.py"
        for match in decides.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
