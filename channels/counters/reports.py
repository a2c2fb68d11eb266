"""What a counter reports: the day's closing (Asia/Shanghai day, with the refunds given back that day), the
stock left, and leakage — sales of products that did not count toward assistance — per counter.

Quantities are never added across units: weights (kg, and 斤 at 0.5 kg) are summed in kg, and pieces and
boxes are counted apart, each under its own unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from catalog.products.models import Product, Unit
from channels.counters.models import ConsignedStock, Counter, CounterPayment, CounterRefund, CounterSale
from core.pagination import Page
from traceability.models import Batch

#: Kilograms in one unit of each weight unit; other units are counts.
KG_PER_UNIT = {Unit.KG: Decimal(1), Unit.JIN: Decimal("0.5")}
#: Lots listed as stock left on a closing report (the largest first).
STOCK_SHOWN = 200


@dataclass
class Quantities:
    """Units sold or held, never mixed: kilograms of weighed goods, and a count per counted unit."""

    kg: Decimal = Decimal(0)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, unit: str, quantity: int) -> None:
        """Add ``quantity`` of ``unit`` (kg and jin to kilograms, pieces and boxes to their own count)."""
        kind = Unit(unit)
        if kind in KG_PER_UNIT:
            self.kg += KG_PER_UNIT[kind] * quantity
        else:
            self.counts[kind.value] = self.counts.get(kind.value, 0) + quantity


@dataclass(frozen=True)
class ProductLine:
    """One product's sales of the day, counted or not."""

    product_id: int
    name: str
    unit: str
    quantity: int
    amount_fen: int
    is_counted: bool


@dataclass(frozen=True)
class StockLine:
    """Units of one lot left at the counter."""

    lot_code: str
    product_name: str
    unit: str
    quantity: int
    is_recalled: bool


@dataclass(frozen=True)
class RefundLine:
    """One product's refunds given back that day (through the payments pages), counted sales or not."""

    name: str
    unit: str
    quantity: int
    restocked: int
    amount_fen: int
    is_counted: bool


@dataclass
class ClosingReport:
    """A counter's day: sales by product and by payment, counted and not, the refunds given back that day
    (whenever the sale was), and the stock left."""

    counter: Counter
    day: date
    products: list[ProductLine]
    by_payment: dict[CounterPayment, int]
    sales_count: int
    total_fen: int
    counted_fen: int
    uncounted_fen: int
    sold: Quantities
    stock: list[StockLine]
    stock_left: Quantities
    refunds: list[RefundLine] = field(default_factory=list)
    refunds_count: int = 0
    refunded_fen: int = 0
    refunded_counted_fen: int = 0
    #: Units that came back to the counter's shelf with the day's refunds.
    returned: Quantities = field(default_factory=Quantities)

    @property
    def net_fen(self) -> int:
        """The day's sales less the day's refunds."""
        return self.total_fen - self.refunded_fen

    @property
    def net_counted_fen(self) -> int:
        """The day's counted sales less the day's refunds of counted sales."""
        return self.counted_fen - self.refunded_counted_fen


def closing_report(session: Session, counter: Counter, day: date) -> ClosingReport:
    """The closing report of ``counter`` for the Asia/Shanghai ``day`` (sales sums read through the
    counter's day index; the stock left is the counter's lots, largest first)."""
    s = CounterSale
    rows = session.execute(
        select(s.product_id, Product.name, s.unit, s.is_counted, func.sum(s.quantity), func.sum(s.amount_fen))
        .join(Product, Product.id == s.product_id)
        .where(s.counter_id == counter.id, s.day == day)
        .group_by(s.product_id, Product.name, s.unit, s.is_counted)
        .order_by(Product.name, s.unit, s.is_counted.desc())
    ).all()
    products = [
        ProductLine(int(pid), str(name), str(unit), int(qty or 0), int(amount or 0), bool(counted))
        for pid, name, unit, counted, qty, amount in rows
    ]
    payments = session.execute(
        select(s.payment, func.sum(s.amount_fen), func.count(s.id))
        .where(s.counter_id == counter.id, s.day == day)
        .group_by(s.payment)
    ).all()
    by_payment: dict[CounterPayment, int] = {CounterPayment(p): int(a or 0) for p, a, _n in payments}
    sold = Quantities()
    for line in products:
        sold.add(line.unit, line.quantity)
    stock = _stock(session, counter)
    stock_left = Quantities()
    for item in stock:
        stock_left.add(item.unit, item.quantity)
    counted = sum(line.amount_fen for line in products if line.is_counted)
    total = sum(line.amount_fen for line in products)
    refunds, refunds_count = _refunds(session, counter, day)
    returned = Quantities()
    for refund in refunds:
        returned.add(refund.unit, refund.restocked)
    return ClosingReport(
        counter=counter,
        day=day,
        products=products,
        by_payment=by_payment,
        sales_count=sum(int(n) for _p, _a, n in payments),
        total_fen=total,
        counted_fen=counted,
        uncounted_fen=total - counted,
        sold=sold,
        stock=stock,
        stock_left=stock_left,
        refunds=refunds,
        refunds_count=refunds_count,
        refunded_fen=sum(r.amount_fen for r in refunds),
        refunded_counted_fen=sum(r.amount_fen for r in refunds if r.is_counted),
        returned=returned,
    )


def _refunds(session: Session, counter: Counter, day: date) -> tuple[list[RefundLine], int]:
    """The refunds of the counter's sales given back on ``day``, per product, and how many (read through the
    counter's day index)."""
    r = CounterRefund
    rows = session.execute(
        select(
            Product.name,
            r.unit,
            r.is_counted,
            func.sum(r.quantity),
            func.sum(r.restocked),
            func.sum(r.amount_fen),
            func.count(r.id),
        )
        .join(Product, Product.id == r.product_id)
        .where(r.counter_id == counter.id, r.day == day)
        .group_by(r.product_id, Product.name, r.unit, r.is_counted)
        .order_by(Product.name, r.unit, r.is_counted.desc())
    ).all()
    lines = [
        RefundLine(str(name), str(unit), int(qty or 0), int(back or 0), int(amount or 0), bool(counted))
        for name, unit, counted, qty, back, amount, _n in rows
    ]
    return lines, sum(int(n) for *_rest, n in rows)


def _stock(session: Session, counter: Counter) -> list[StockLine]:
    """The lots the counter still holds units of."""
    rows = session.execute(
        select(Batch.lot_code, Product.name, Product.unit, ConsignedStock.quantity, Batch.status)
        .join(Batch, Batch.id == ConsignedStock.batch_id)
        .join(Product, Product.id == ConsignedStock.product_id)
        .where(ConsignedStock.counter_id == counter.id, ConsignedStock.quantity > 0)
        .order_by(ConsignedStock.quantity.desc(), Batch.lot_code)
        .limit(STOCK_SHOWN)
    ).all()
    return [
        StockLine(str(lot), str(name), Unit(unit).value, int(qty), str(status) == "recalled")
        for lot, name, unit, qty, status in rows
    ]


@dataclass(frozen=True)
class LeakageLine:
    """One counter's sales in a period, and how much of them did not count (sold uncertified)."""

    counter: Counter
    sales_fen: int
    uncounted_fen: int
    uncounted_sales: int


def leakage_query(start: date, end: date) -> Select[Any]:
    """Per counter with sales or refunds between ``start`` and ``end``: sales less refunds, the uncounted
    amount less its refunds, and the number of uncounted sales, the leakiest first. A refund is taken back on
    the day it was given, as the closing report does (a sale refunded whole leaves no leakage behind)."""
    s, r = CounterSale, CounterRefund
    sold = select(
        s.counter_id.label("counter_id"),
        s.amount_fen.label("amount"),
        case((s.is_counted.is_(False), s.amount_fen), else_=0).label("uncounted"),
        case((s.is_counted.is_(False), 1), else_=0).label("uncounted_sales"),
    ).where(s.day >= start, s.day <= end)
    refunded = select(
        r.counter_id,
        -r.amount_fen,
        case((r.is_counted.is_(False), -r.amount_fen), else_=0),
        literal(0),
    ).where(r.day >= start, r.day <= end)
    rows = union_all(sold, refunded).subquery()
    uncounted = func.coalesce(func.sum(rows.c.uncounted), 0)
    return (
        select(
            rows.c.counter_id,
            func.coalesce(func.sum(rows.c.amount), 0),
            uncounted,
            func.coalesce(func.sum(rows.c.uncounted_sales), 0),
        )
        .group_by(rows.c.counter_id)
        .order_by(uncounted.desc(), rows.c.counter_id)
    )


def leakage(session: Session, start: date, end: date, page: int) -> Page[LeakageLine]:
    """One page of :func:`leakage_query`, with the counters loaded."""
    query = leakage_query(start, end)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    per_page = 50
    page = max(1, min(page, 100_000))
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    counters = {c.id: c for c in session.scalars(select(Counter).where(Counter.id.in_([r[0] for r in rows])))}
    items = [LeakageLine(counters[int(cid)], int(a), int(u), int(n)) for cid, a, u, n in rows]
    return Page(items=items, page=page, per_page=per_page, total=total)


def by_counter_totals(session: Session, counter: Counter, start: date, end: date) -> dict[bool, int]:
    """A counter's sales between two days, counted (True) and not (False)."""
    totals: dict[bool, int] = defaultdict(int)
    for counted, amount in session.execute(
        select(CounterSale.is_counted, func.sum(CounterSale.amount_fen))
        .where(CounterSale.counter_id == counter.id, CounterSale.day >= start, CounterSale.day <= end)
        .group_by(CounterSale.is_counted)
    ):
        totals[bool(counted)] += int(amount or 0)
    return dict(totals)
