"""Property: whatever happens — sales by card, bank transfer and cash, refunds, recalls, institutions'
receipts, months closed and payouts made — every statement reconciles with the ledger to the fen.

Hypothesis draws four months of history for one producer. Each month: sales (a method, units of one of two
batches, shipping or none, at hours either side of Asia/Shanghai midnight), refunds of earlier sales, recalls
of a batch, purchase orders received; then the month is closed and part of what may be paid out is proposed
by one administrator and approved by another. An oracle computes every figure from those records alone
(never through the code under test) and the test checks each statement's figures, the ledger total of its
period, the chain brought forward → payable → paid → balance, the holds, and what may still be paid out.
Each example runs in a savepoint that is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orders.models import Allocation, Order, PaymentMethod
from procurement.institutions.models import Institution
from settlement.payouts.services import approve_payout, propose_payout
from settlement.statements.models import Statement
from settlement.statements.services import (
    available_fen,
    close_month,
    live_statement,
    next_month,
    position,
)
from stats.models import SalesEntry
from tests.settlement.farm import PRICE, Farm
from tests.settlement.support import give_payee
from tests.stats.ledger_support import make_order, make_supplier_order, pay, refund, utc
from tests.support import examples
from traceability.models import Batch, BatchStatus

MONTHS = [date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1), date(2025, 8, 1)]
TODAY = date(2025, 9, 20)
HOURS = (0, 8, 15, 16, 23)  # from 16:00 UTC on it is the next day in Shanghai
PLATFORM = (PaymentMethod.STRIPE, PaymentMethod.BANK_TRANSFER)
#: How a buyer hands over money for goods at their price (a points-only flash sale is paid by its sponsor,
#: not the buyer: see tests/promotions/test_flash.py and the sponsored-share test in test_statements.py).
PAID_WITH_MONEY = [method for method in PaymentMethod if method is not PaymentMethod.POINTS]


def shanghai_day(moment: datetime) -> date:
    """The Shanghai calendar day, reckoned independently of the code under test (UTC+8, no DST)."""
    return (moment + timedelta(hours=8)).date()


@dataclass(frozen=True)
class Sale:
    method: PaymentMethod
    batch: int
    units: int
    shipping: bool
    day: int
    hour: int


@dataclass(frozen=True)
class Refund:
    pick: int
    units: int
    day: int


@dataclass(frozen=True)
class Recall:
    batch: int


@dataclass(frozen=True)
class Receipt:
    requested: int
    share: int
    day: int


@dataclass(frozen=True)
class Month:
    actions: list[Sale | Refund | Recall | Receipt]
    payout_share: int


sales = st.builds(
    Sale,
    method=st.sampled_from(PAID_WITH_MONEY),
    batch=st.integers(0, 1),
    units=st.integers(1, 4),
    shipping=st.integers(0, 3).map(bool),
    day=st.integers(0, 27),
    hour=st.sampled_from(HOURS),
)
refunds = st.builds(Refund, pick=st.integers(0, 30), units=st.integers(1, 4), day=st.integers(0, 27))
recalls = st.builds(Recall, batch=st.integers(0, 1))
receipts = st.builds(Receipt, requested=st.integers(1, 30), share=st.integers(0, 100), day=st.integers(0, 27))


def _weighted(pick: int) -> st.SearchStrategy[Sale | Refund | Recall | Receipt]:
    """Mostly sales, then refunds, receipts, and now and then a recall."""
    if pick < 11:
        return sales
    if pick < 16:
        return refunds
    return receipts if pick < 19 else recalls


months = st.builds(
    Month,
    actions=st.lists(st.integers(0, 19).flatmap(_weighted), min_size=2, max_size=6),
    payout_share=st.integers(0, 100),
)


@dataclass
class Sold:
    """The oracle's record of one paid order."""

    order: Order
    method: PaymentMethod
    batch: int
    units: int
    shipping_fen: int
    day: date
    refunded_units: int = 0


@dataclass
class Book:
    """The oracle: money per Shanghai day, from the records the test made."""

    sold: list[Sold] = field(default_factory=list)
    #: (day, kind, amount): kinds platform_sale, platform_shipping, platform_refund, cash_in, cash_out, po
    flows: list[tuple[date, str, int]] = field(default_factory=list)
    recalled: set[int] = field(default_factory=set)
    paid: dict[date, int] = field(default_factory=dict)

    def total(self, kind: str, start: date, end: date) -> int:
        return sum(amount for day, k, amount in self.flows if k == kind and start <= day < end)

    def active(self, start: date, end: date) -> bool:
        return any(start <= day < end for day, _k, _a in self.flows)

    def held(self, end: date) -> int:
        """Platform money of paid orders before ``end`` still holding unrefunded units of a recalled batch."""
        return sum(
            s.units * PRICE + s.shipping_fen - s.refunded_units * PRICE
            for s in self.sold
            if s.method in PLATFORM
            and s.batch in self.recalled
            and s.units > s.refunded_units
            and s.day < end
        )


@pytest.fixture()
def batches(farm: Farm, make_batch: Callable[..., Batch]) -> list[Batch]:
    return [farm.batch, make_batch(farm.product, quantity=1000)]


def live_month(
    db: Session, book: Book, farm: Farm, school: Institution, batches: list[Batch], month: Month, start: date
) -> None:
    """Carry out one month's actions, recording what the oracle needs."""
    for action in month.actions:
        if isinstance(action, Sale):
            if batches[action.batch].status is BatchStatus.RECALLED:
                continue  # a recalled lot is not on sale any more
            shipping = 500 if action.shipping else 0
            order = make_order(db, farm.buyer, [(farm.product, action.units, PRICE)], shipping_fen=shipping)
            order.checkout.method = action.method
            order.lines[0].allocations.append(
                Allocation(batch_id=batches[action.batch].id, quantity=action.units)
            )
            moment = utc(start + timedelta(days=action.day), action.hour)
            pay(db, order, moment)
            day = shanghai_day(moment)
            book.sold.append(Sold(order, action.method, action.batch, action.units, shipping, day))
            kind = "platform" if action.method in PLATFORM else "cash"
            book.flows.append((day, f"{kind}_sale", action.units * PRICE))
            book.flows.append((day, f"{kind}_shipping", shipping))
        elif isinstance(action, Refund):
            open_ = [s for s in book.sold if s.units > s.refunded_units]
            if not open_:
                continue
            sold = open_[action.pick % len(open_)]
            units = min(action.units, sold.units - sold.refunded_units)
            moment = max(
                utc(start + timedelta(days=action.day), 12), sold.order.paid_at + timedelta(minutes=1)
            )
            refund(db, sold.order, {sold.order.lines[0]: units}, moment)
            sold.refunded_units += units
            kind = "platform" if sold.method in PLATFORM else "cash"
            book.flows.append((shanghai_day(moment), f"{kind}_refund", units * PRICE))
        elif isinstance(action, Recall):
            batches[action.batch].status = BatchStatus.RECALLED
            book.recalled.add(action.batch)
            db.flush()
        else:
            got = action.requested * action.share // 100
            moment = utc(start + timedelta(days=action.day), 9)
            make_supplier_order(
                db, school, farm.buyer, [(farm.product, action.requested, got, 100)], at=moment
            )
            if got:
                book.flows.append((shanghai_day(moment), "po", got * 100))


def check(db: Session, book: Book, farm: Farm, basis_points: int) -> None:
    """Every closed statement and the live one against the oracle."""
    statements = list(
        db.scalars(
            select(Statement).where(Statement.producer_id == farm.producer.id).order_by(Statement.month)
        )
    )
    # a statement exactly for each month with money, and none for a month without
    assert [s.month for s in statements] == [m for m in MONTHS if book.active(m, next_month(m))]
    cumulative, previous_balance, previous_end = 0, 0, MONTHS[0]
    for statement in statements:
        start, end = statement.period_start, statement.period_end
        assert start == previous_end or statement is statements[0]
        sales = book.total("platform_sale", start, end)
        shipping = book.total("platform_shipping", start, end)
        refunds = book.total("platform_refund", start, end)
        gross = sales + shipping - refunds
        fees = abs(gross) * basis_points // 10_000 * (1 if gross >= 0 else -1)
        assert (statement.sales_fen, statement.shipping_fen, statement.refunds_fen) == (
            sales,
            shipping,
            refunds,
        )
        assert statement.refunded_goods_fen == refunds  # refunds here give goods back, never shipping
        assert (statement.fees_fen, statement.net_fen) == (fees, gross - fees)
        cash = book.total("cash_sale", start, end) + book.total("cash_shipping", start, end)
        assert statement.cash_collected_fen == cash - book.total("cash_refund", start, end)
        assert statement.procurement_received_fen == book.total("po", start, end)
        cumulative += gross - fees
        assert statement.cumulative_net_fen == cumulative
        # the ledger of the period, to the fen: what the platform and the producer collected, goods only
        ledger = db.scalar(
            select(func.coalesce(func.sum(SalesEntry.amount_fen), 0)).where(
                SalesEntry.producer_id == farm.producer.id, SalesEntry.day >= start, SalesEntry.day < end
            )
        )
        goods = sales - refunds + book.total("cash_sale", start, end) - book.total("cash_refund", start, end)
        assert ledger == goods + book.total("po", start, end)
        where = position(db, statement)
        paid_here = book.paid.get(statement.month, 0)
        paid_before = sum(amount for month, amount in book.paid.items() if month < statement.month)
        assert where.brought_forward_fen == previous_balance
        assert where.payable_fen == cumulative - book.held(end) - paid_before
        assert (where.paid_fen, where.balance_fen) == (paid_here, where.payable_fen - paid_here)
        assert where.held_fen == book.held(end) - book.held(
            start if statement is not statements[0] else MONTHS[0]
        )
        previous_balance, previous_end = where.balance_fen, end
    live = position(db, live_statement(db, farm.producer, basis_points, TODAY))
    everything = cumulative - book.held(date.max) - sum(book.paid.values())
    assert live.balance_fen == everything  # nothing happened after the last close


@settings(
    max_examples=examples(8),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(months, min_size=4, max_size=4), basis_points=st.sampled_from([0, 0, 250]))
def test_statements_reconcile_with_the_ledger_to_the_fen(
    db: Session,
    farm: Farm,
    batches: list[Batch],
    make_institution: Callable[..., Institution],
    history: list[Month],
    basis_points: int,
) -> None:
    savepoint = db.begin_nested()
    try:
        school = make_institution(farm.buyer)
        give_payee(db, farm.producer)
        book = Book()
        for start, month in zip(MONTHS, history, strict=True):
            live_month(db, book, farm, school, batches, month, start)
            closed = close_month(db, start, basis_points, TODAY, notify_members=False).created
            if not closed:
                continue
            [statement] = closed
            available = available_fen(db, farm.producer, basis_points)
            balance = cumulative_balance(db, farm, book, basis_points)
            assert available == balance  # nothing proposed, nothing after the close
            if available <= 0:
                continue
            amount = available * month.payout_share // 100
            if amount:
                payout = propose_payout(db, farm.maker, statement, amount, None, basis_points)
                approve_payout(db, farm.checker, payout, f"B{payout.id}", TODAY, basis_points, TODAY)
                book.paid[statement.month] = book.paid.get(statement.month, 0) + amount
        check(db, book, farm, basis_points)
    finally:
        savepoint.rollback()
        for batch in batches:
            db.refresh(batch)


def cumulative_balance(db: Session, farm: Farm, book: Book, basis_points: int) -> int:
    """The oracle's balance after the latest close: every net so far, less holds now and payouts."""
    total = 0
    for statement in db.scalars(select(Statement).where(Statement.producer_id == farm.producer.id)):
        start, end = statement.period_start, statement.period_end
        gross = (
            book.total("platform_sale", start, end)
            + book.total("platform_shipping", start, end)
            - book.total("platform_refund", start, end)
        )
        total += gross - abs(gross) * basis_points // 10_000 * (1 if gross >= 0 else -1)
    return total - book.held(date.max) - sum(book.paid.values())
