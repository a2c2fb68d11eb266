"""Property: whatever sequence of orders, payments, refunds and receipts happens, the ledger adds up.

Hypothesis generates consumer orders (paid or left unpaid, some linked to the buyer's employer), partial and
full refunds days later, and supplier orders received (in part) or only shipped, on days around certificate
lapses and at hours either side of Asia/Shanghai midnight. The ledger's totals — all sales and certified
sales, per Shanghai day — must equal a direct computation from those records to the fen, the roll-up must
agree with the ledger, and the rebuild check must find no difference. Each example runs in a savepoint that
is rolled back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.models import Region, User
from orders.models import Order
from procurement.institutions.models import Institution, InstitutionKind
from procurement.ordering.models import FundingSource, SupplierStatus
from stats.models import (
    CountyMonthlyRollup,
    DailyRollup,
    MonthlyRollup,
    SalesEntry,
)
from stats.rebuild import check_ledger
from tests.conftest import make_certificate
from tests.stats.ledger_support import make_order, make_supplier_order, pay, refund, utc
from tests.support import examples

START = date(2024, 3, 1)
#: Certificate windows per product, as day offsets from START (inclusive): 0 and 1 belong to a Shule
#: producer, 2 and 3 to a Chengkou one. Product 1 lapses on days 5–6, product 2 is never certified.
WINDOWS: dict[int, list[tuple[int, int]]] = {0: [(0, 40)], 1: [(0, 4), (7, 40)], 2: [], 3: [(3, 8)]}
#: UTC hours: from 16:00 on, it is already the next day in Shanghai.
HOURS = (0, 8, 15, 16, 23)


def shanghai_day(moment: datetime) -> date:
    """The Shanghai calendar day, computed independently of the code under test (UTC+8, no DST)."""
    return (moment + timedelta(hours=8)).date()


def certified(product: int, day: date) -> bool:
    """Whether product ``product`` held a certificate on ``day`` (the oracle's own reckoning)."""
    offset = (day - START).days
    return any(first <= offset <= last for first, last in WINDOWS[product])


@dataclass(frozen=True)
class Sale:
    """A consumer order: producer A (products 0, 1) or B (2, 3); lines (product of the two, qty, price)."""

    producer_b: bool
    lines: list[tuple[int, int, int]]
    paid: bool
    day: int
    hour: int
    staff: bool


@dataclass(frozen=True)
class Refund:
    """A refund of one earlier paid order (picked modulo), some units per line, days later."""

    pick: int
    units: list[int]
    delay_hours: int


@dataclass(frozen=True)
class Receipt:
    """A supplier order received (in part) or only shipped."""

    product: int
    requested: int
    received_share: int
    received: bool
    day: int
    hour: int
    funding: FundingSource


sales = st.builds(
    Sale,
    producer_b=st.booleans(),
    lines=st.lists(
        st.tuples(st.integers(0, 1), st.integers(1, 5), st.integers(1, 20_000)), min_size=1, max_size=3
    ),
    paid=st.booleans(),
    day=st.integers(0, 9),
    hour=st.sampled_from(HOURS),
    staff=st.booleans(),
)
refunds = st.builds(
    Refund,
    pick=st.integers(0, 20),
    units=st.lists(st.integers(0, 5), min_size=1, max_size=3),
    delay_hours=st.integers(0, 96),
)
receipts = st.builds(
    Receipt,
    product=st.integers(0, 3),
    requested=st.integers(1, 60),
    received_share=st.integers(0, 100),
    received=st.booleans(),
    day=st.integers(0, 9),
    hour=st.sampled_from(HOURS),
    funding=st.sampled_from(list(FundingSource)),
)


@dataclass
class Market:
    """What every example starts from."""

    buyer: User
    institution: Institution
    products: list[Product]


@pytest.fixture()
def market(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Any,
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> Market:
    """Four products with the certificate windows of WINDOWS, a buyer and a school paired with Shule."""
    buyer = make_user()
    school = make_institution(buyer, kind=InstitutionKind.SCHOOL)
    school.paired_counties.append(region("653122"))
    shule, chengkou = make_producer(), make_producer(county_code="500229")
    products = [make_product(shule if i < 2 else chengkou, price_fen=100) for i in range(4)]
    for index, product in enumerate(products):
        for first, last in WINDOWS[index]:
            make_certificate(
                db, product, valid_from=START + timedelta(days=first), valid_to=START + timedelta(days=last)
            )
    db.flush()
    return Market(buyer, school, products)


def run(db: Session, market: Market, actions: list[Sale | Refund | Receipt]) -> list[tuple[date, int, bool]]:
    """Carry out ``actions``; return the oracle's contributions (day, signed fen, certified)."""
    expected: list[tuple[date, int, bool]] = []
    paid: list[tuple[Order, list[int]]] = []
    for action in actions:
        if isinstance(action, Sale):
            offset = 2 if action.producer_b else 0
            lines = [(market.products[offset + p], qty, price) for p, qty, price in action.lines]
            staff = market.institution if action.staff else None
            order = make_order(db, market.buyer, lines, shipping_fen=500, staff_institution=staff)
            if action.paid:
                moment = utc(START + timedelta(days=action.day), action.hour)
                pay(db, order, moment)
                day = shanghai_day(moment)
                for p, qty, price in action.lines:
                    expected.append((day, qty * price, certified(offset + p, day)))
                paid.append((order, [offset + p for p, _q, _pr in action.lines]))
        elif isinstance(action, Refund):
            if not paid:
                continue
            order, indexes = paid[action.pick % len(paid)]
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
                    expected.append(
                        (
                            shanghai_day(moment),
                            -wanted[line] * line.unit_price_fen,
                            certified(indexes[i], sale_day),
                        )
                    )
        else:
            product = market.products[action.product]
            got = action.requested * action.received_share // 100
            price = 100 + action.requested
            moment = utc(START + timedelta(days=action.day), action.hour)
            status = SupplierStatus.RECEIVED if action.received else SupplierStatus.SHIPPED
            make_supplier_order(
                db,
                market.institution,
                market.buyer,
                [(product, action.requested, got, price)],
                funding=action.funding,
                status=status,
                at=moment,
            )
            if action.received and got:
                day = shanghai_day(moment)
                expected.append((day, got * price, certified(action.product, day)))
    return expected


def per_day(
    db: Session,
    model: type[SalesEntry] | type[DailyRollup] | type[MonthlyRollup] | type[CountyMonthlyRollup],
) -> dict[date, tuple[int, int]]:
    """(all, certified) fen per day from the ledger or the roll-up, days with no sales left out."""
    certified_sum = func.sum(model.amount_fen).filter(model.is_certified.is_(True))
    query = select(model.day, func.sum(model.amount_fen), func.coalesce(certified_sum, 0)).group_by(model.day)
    found = {day: (int(total), int(counted)) for day, total, counted in db.execute(query)}
    return {day: sums for day, sums in found.items() if sums != (0, 0)}


@settings(
    max_examples=examples(15),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(st.one_of(sales, refunds, receipts), max_size=12))
def test_ledger_totals_equal_a_direct_computation_from_the_orders(
    db: Session, market: Market, actions: list[Sale | Refund | Receipt]
) -> None:
    savepoint = db.begin_nested()
    try:
        expected = run(db, market, actions)

        oracle: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for day, fen, is_certified in expected:
            oracle[day][0] += fen
            oracle[day][1] += fen if is_certified else 0
        wanted = {
            day: (total, counted) for day, (total, counted) in oracle.items() if (total, counted) != (0, 0)
        }
        assert per_day(db, SalesEntry) == wanted
        assert per_day(db, DailyRollup) == wanted
        months: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for day, (total, counted) in oracle.items():
            months[day.replace(day=1)][0] += total
            months[day.replace(day=1)][1] += counted
        wanted_months = {m: (t, c) for m, (t, c) in months.items() if (t, c) != (0, 0)}
        assert per_day(db, MonthlyRollup) == per_day(db, CountyMonthlyRollup) == wanted_months
        report = check_ledger(db)
        assert report.is_consistent, [d.describe() for d in report.differences[:5]]
    finally:
        savepoint.rollback()
