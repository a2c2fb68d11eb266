"""The money of a period, per producer, read from the sales ledger and the payments — set-based SQL only.

Every query starts from the ledger's ``(producer_id, day)`` index over the producers and Asia/Shanghai days
asked for, and reaches the order, checkout and refund rows of those entries by primary key: nothing reads
the whole ledger, and a month of many producers is a handful of GROUP BY statements.

Who collected the money is :func:`orders.collection.collector_of` of the checkout's payment method:

- **the platform** (Stripe, consumer bank transfers): sales (goods, the ledger's ``+`` entries of order
  lines), shipping fees of those orders, and refunds (the whole amount given back, goods — the ledger's ``−``
  entries — and shipping) are the statement's payable money;
- **the producer** (cash on delivery): the same figures, shown as collected by the producer — except the part
  of a line's price a third-party sponsor paid (a promotion's ``OrderLine.sponsored_fen``): the buyer never
  handed that over, so the platform owes it to the producer, and it is payable goods money like a card sale's;
- **sponsors' money back**: a refund of sponsored units gives the sponsor's share back to its budget
  (``RefundLine.sponsored_fen``), so it is taken back from the producer with the refund, whoever collected;
- **institutions' purchase orders** are paid straight to the producer: the ledger's ``+`` entries of received
  supplier lines, shown as collected by the producer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from orders.collection import Collector, collector_of
from orders.models import Checkout, Order, OrderLine
from payments.models import Refund, RefundLine
from stats.models import EntryKind, EntrySource, SalesEntry

#: Producers per statement (bound parameters stay well below every database's limit).
CHUNK = 500


@dataclass
class Figures:
    """The money of one producer in one period, in fen."""

    #: Platform-collected: goods sold (ledger), shipping of those orders, refunds (all, and goods only).
    sales_fen: int = 0
    shipping_fen: int = 0
    refunds_fen: int = 0
    refunded_goods_fen: int = 0
    #: Collected by the producer: cash on delivery (goods and shipping) and its refunds ...
    cash_sales_fen: int = 0
    cash_refunds_fen: int = 0
    #: ... and purchase-order goods received by institutions (paid directly to the producer).
    procurement_received_fen: int = 0

    @property
    def gross_fen(self) -> int:
        """Platform-collected money of the period before fees: goods and shipping less refunds."""
        return self.sales_fen + self.shipping_fen - self.refunds_fen

    @property
    def cash_collected_fen(self) -> int:
        """Cash the producer collected on delivery, less what it gave back."""
        return self.cash_sales_fen - self.cash_refunds_fen


def fee_of(gross_fen: int, basis_points: int) -> int:
    """The platform's fee on ``gross_fen`` at ``basis_points`` (1/100 of a percent), truncated toward zero,
    so a period whose refunds exceed its sales gives the fee back (integer arithmetic only)."""
    amount = abs(gross_fen) * basis_points // 10_000
    return amount if gross_fen >= 0 else -amount


def _in_period(producer_ids: Sequence[int], start: date, end: date) -> list[ColumnElement[bool]]:
    """The conditions narrowing :class:`SalesEntry` to the producers and days ``[start, end)``."""
    return [SalesEntry.producer_id.in_(producer_ids), SalesEntry.day >= start, SalesEntry.day < end]


def _by_collector(rows: Any) -> list[tuple[int, Collector, int]]:
    return [(int(producer), collector_of(method), int(total or 0)) for producer, method, total in rows]


def period_figures(
    session: Session, producer_ids: Sequence[int], start: date, end: date
) -> dict[int, Figures]:
    """The :class:`Figures` of each producer for the Asia/Shanghai days ``[start, end)``."""
    result: dict[int, Figures] = {}
    ids = sorted(set(producer_ids))
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        for producer_id in chunk:
            result[producer_id] = Figures()
        _consumer_sales(session, result, chunk, start, end)
        _refunds(session, result, chunk, start, end)
        _procurement(session, result, chunk, start, end)
    return result


def _consumer_sales(
    session: Session, result: dict[int, Figures], ids: Sequence[int], start: date, end: date
) -> None:
    entries = (
        select(SalesEntry.producer_id, Checkout.method, func.sum(SalesEntry.amount_fen))
        .join(OrderLine, OrderLine.id == SalesEntry.source_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(SalesEntry.source == EntrySource.ORDER_LINE, SalesEntry.kind == EntryKind.SALE)
        .where(*_in_period(ids, start, end))
    ).group_by(SalesEntry.producer_id, Checkout.method)
    sponsored = (
        select(SalesEntry.producer_id, Checkout.method, func.sum(OrderLine.sponsored_fen))
        .join(OrderLine, OrderLine.id == SalesEntry.source_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(SalesEntry.source == EntrySource.ORDER_LINE, SalesEntry.kind == EntryKind.SALE)
        .where(*_in_period(ids, start, end))
    ).group_by(SalesEntry.producer_id, Checkout.method)
    by_sponsors = {(p, c): t for p, c, t in _by_collector(session.execute(sponsored))}
    for producer, collector, total in _by_collector(session.execute(entries)):
        figures = result[producer]
        if collector is Collector.PLATFORM:
            figures.sales_fen += total
        else:  # the buyer paid the producer all but the sponsors' part, which the platform owes it
            from_sponsors = by_sponsors.get((producer, collector), 0)
            figures.cash_sales_fen += total - from_sponsors
            figures.sales_fen += from_sponsors
    sold = (
        select(OrderLine.order_id)
        .join(SalesEntry, SalesEntry.source_id == OrderLine.id)
        .where(SalesEntry.source == EntrySource.ORDER_LINE, SalesEntry.kind == EntryKind.SALE)
        .where(*_in_period(ids, start, end))
    )
    shipping = (
        select(Order.producer_id, Checkout.method, func.sum(Order.shipping_fen))
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(Order.id.in_(sold))
        .group_by(Order.producer_id, Checkout.method)
    )
    for producer, collector, total in _by_collector(session.execute(shipping)):
        if producer not in result:
            continue
        if collector is Collector.PLATFORM:
            result[producer].shipping_fen += total
        else:
            result[producer].cash_sales_fen += total


def _refunds(
    session: Session, result: dict[int, Figures], ids: Sequence[int], start: date, end: date
) -> None:
    goods = (
        select(SalesEntry.producer_id, Checkout.method, func.sum(SalesEntry.amount_fen))
        .join(RefundLine, RefundLine.id == SalesEntry.source_id)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(Order, Order.id == Refund.order_id)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(SalesEntry.source == EntrySource.REFUND_LINE, SalesEntry.kind == EntryKind.REFUND)
        .where(*_in_period(ids, start, end))
    ).group_by(SalesEntry.producer_id, Checkout.method)
    sponsors_back = (
        select(SalesEntry.producer_id, Checkout.method, func.sum(RefundLine.sponsored_fen))
        .join(RefundLine, RefundLine.id == SalesEntry.source_id)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(Order, Order.id == Refund.order_id)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(SalesEntry.source == EntrySource.REFUND_LINE, SalesEntry.kind == EntryKind.REFUND)
        .where(*_in_period(ids, start, end))
    ).group_by(SalesEntry.producer_id, Checkout.method)
    for producer, collector, total in _by_collector(session.execute(sponsors_back)):
        # the sponsors' share of refunded units goes back to their budgets, through the platform
        result[producer].refunds_fen += total
        if collector is not Collector.PLATFORM:
            result[producer].refunded_goods_fen += total
    for producer, collector, total in _by_collector(session.execute(goods)):
        if collector is Collector.PLATFORM:
            result[producer].refunded_goods_fen += -total
    refunds = (
        select(RefundLine.refund_id)
        .join(SalesEntry, SalesEntry.source_id == RefundLine.id)
        .where(SalesEntry.source == EntrySource.REFUND_LINE, SalesEntry.kind == EntryKind.REFUND)
        .where(*_in_period(ids, start, end))
    )
    amounts = (
        select(Order.producer_id, Checkout.method, func.sum(Refund.amount_fen))
        .join(Order, Order.id == Refund.order_id)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(Refund.id.in_(refunds))
        .group_by(Order.producer_id, Checkout.method)
    )
    for producer, collector, total in _by_collector(session.execute(amounts)):
        if producer not in result:
            continue
        if collector is Collector.PLATFORM:
            result[producer].refunds_fen += total
        else:
            result[producer].cash_refunds_fen += total


def _procurement(
    session: Session, result: dict[int, Figures], ids: Sequence[int], start: date, end: date
) -> None:
    received = (
        select(SalesEntry.producer_id, func.sum(SalesEntry.amount_fen))
        .where(SalesEntry.source == EntrySource.SUPPLIER_LINE)
        .where(*_in_period(ids, start, end))
    ).group_by(SalesEntry.producer_id)
    for producer, total in session.execute(received):
        result[int(producer)].procurement_received_fen += int(total or 0)


def active_producers(session: Session, start: date, end: date) -> list[int]:
    """Producers with ledger entries on the days ``[start, end)`` (the ledger's ``day`` index)."""
    query = (
        select(SalesEntry.producer_id)
        .where(SalesEntry.day >= start, SalesEntry.day < end)
        .distinct()
        .order_by(SalesEntry.producer_id)
    )
    return [int(p) for p in session.scalars(query)]


def first_days(session: Session, producer_ids: Sequence[int]) -> dict[int, date]:
    """The first ledger day of each producer (its ``(producer_id, day)`` index: one seek per producer)."""
    found: dict[int, date] = {}
    ids = sorted(set(producer_ids))
    for offset in range(0, len(ids), CHUNK):
        query = (
            select(SalesEntry.producer_id, func.min(SalesEntry.day))
            .where(SalesEntry.producer_id.in_(ids[offset : offset + CHUNK]))
            .group_by(SalesEntry.producer_id)
        )
        found.update({int(p): day for p, day in session.execute(query) if day is not None})
    return found


@dataclass(frozen=True)
class OrderRow:
    """One consumer order whose sale counted in the period: who collected it, goods and shipping."""

    number: str
    paid_on: date
    collector: Collector
    goods_fen: int
    shipping_fen: int


@dataclass(frozen=True)
class RefundRow:
    """One refund recorded in the period: its order, who gave the money back, the amount."""

    number: str
    refunded_on: date
    collector: Collector
    amount_fen: int


def order_rows(session: Session, producer_id: int, start: date, end: date) -> list[OrderRow]:
    """The producer's consumer orders counted in ``[start, end)``, by day (for the statement's download)."""
    query = (
        select(
            Order.number,
            SalesEntry.day,
            Checkout.method,
            func.sum(SalesEntry.amount_fen),
            Order.shipping_fen,
        )
        .join(OrderLine, OrderLine.id == SalesEntry.source_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(SalesEntry.source == EntrySource.ORDER_LINE, SalesEntry.kind == EntryKind.SALE)
        .where(*_in_period([producer_id], start, end))
    ).group_by(Order.id, Order.number, SalesEntry.day, Checkout.method, Order.shipping_fen)
    rows = [
        OrderRow(str(number), day, collector_of(method), int(goods or 0), int(shipping or 0))
        for number, day, method, goods, shipping in session.execute(query)
    ]
    return sorted(rows, key=lambda r: (r.paid_on, r.number))


def refund_rows(session: Session, producer_id: int, start: date, end: date) -> list[RefundRow]:
    """The refunds of the producer's orders recorded in ``[start, end)``, by day."""
    refunds = (
        select(RefundLine.refund_id)
        .join(SalesEntry, SalesEntry.source_id == RefundLine.id)
        .where(SalesEntry.source == EntrySource.REFUND_LINE, SalesEntry.kind == EntryKind.REFUND)
        .where(*_in_period([producer_id], start, end))
    )
    query = (
        select(Order.number, Refund.created_at, Checkout.method, Refund.amount_fen)
        .join(Order, Order.id == Refund.order_id)
        .join(Checkout, Checkout.id == Order.checkout_id)
        .where(Refund.id.in_(refunds))
        .order_by(Refund.created_at, Refund.id)
    )
    return [
        RefundRow(str(number), shanghai_date(created_at), collector_of(method), int(amount))
        for number, created_at, method, amount in session.execute(query)
    ]
