"""Keeping each sponsor's running total of the sales its promotions brought, and recomputing it.

The rule, the same as a promotion's report (:func:`promotions.offers.reports.report`): a paid order line
discounted by a sponsor's promotions brings its buyer's and third-party sponsors' money
(``paid_fen + sponsored_fen``) — once per sponsor, however many of that sponsor's promotions discounted it.
A refund takes back what it gave back for the line's units (``RefundLine.goods_fen`` plus
``RefundLine.sponsored_fen``: each a cumulative share of the line, so refunding every unit takes the whole
line back, to the fen). ``orders`` counts the paid orders with at least one such line.

Each change is ``INSERT … ON CONFLICT DO NOTHING`` of the sponsor's row (so two first payments cannot both
insert it) followed by ``UPDATE … SET x = x + :d``, in sponsor order (concurrent writers lock rows in the same
order), in the caller's transaction. None of these functions commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, delete, distinct, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from core.transactions import upsert_insert
from orders.models import LineDiscount, Order, OrderLine, SponsorKind
from payments.models import Refund, RefundLine
from promotions.sponsors.models import PLATFORM_ID, SponsorSalesTotal

#: A sponsor as the totals key it: its kind and id (:data:`PLATFORM_ID` for the platform).
SponsorKey = tuple[SponsorKind, int]


@dataclass
class Figures:
    """What a sponsor's promotions brought (or a change to it)."""

    sales_fen: int = 0
    orders: int = 0
    refunded_fen: int = 0


def sponsor_key(kind: SponsorKind, sponsor_id: int | None) -> SponsorKey:
    """The key of a sponsor (the platform, whose id is ``None``, is :data:`PLATFORM_ID`)."""
    return kind, PLATFORM_ID if sponsor_id is None else sponsor_id


def sponsors_of_line(line: OrderLine) -> set[SponsorKey]:
    """The sponsors whose promotions discounted ``line`` (each once)."""
    return {sponsor_key(discount.sponsor_kind, discount.sponsor_id) for discount in line.discounts}


def refund_value_fen(refund_line: RefundLine) -> int:
    """What a refunded line takes back: the buyer's money given back for the units (their price on refunds
    recorded before discounts existed) plus the third-party sponsors' share of those units (the sales
    ledger's rule)."""
    line = refund_line.line
    buyer_fen = refund_line.goods_fen
    if buyer_fen is None:
        buyer_fen = refund_line.quantity * line.unit_price_fen
    return buyer_fen + refund_line.sponsored_fen


def add(session: Session, changes: dict[SponsorKey, Figures]) -> None:
    """Add ``changes`` to the sponsors' rows (created at zero when missing), in key order. Does not commit."""
    table = SponsorSalesTotal.__table__
    for kind, sponsor_id in sorted(changes, key=lambda key: (key[0].value, key[1])):
        change = changes[(kind, sponsor_id)]
        insert = upsert_insert(session, table).values(  # type: ignore[arg-type]
            sponsor_kind=kind.value, sponsor_id=sponsor_id, sales_fen=0, orders=0, refunded_fen=0
        )
        session.execute(insert.on_conflict_do_nothing(index_elements=["sponsor_kind", "sponsor_id"]))
        session.execute(
            update(SponsorSalesTotal)
            .where(SponsorSalesTotal.sponsor_kind == kind, SponsorSalesTotal.sponsor_id == sponsor_id)
            .values(
                sales_fen=SponsorSalesTotal.sales_fen + change.sales_fen,
                orders=SponsorSalesTotal.orders + change.orders,
                refunded_fen=SponsorSalesTotal.refunded_fen + change.refunded_fen,
            )
            .execution_options(synchronize_session=False)
        )


def count_paid(session: Session, orders: Iterable[Order]) -> None:
    """Add the discounted lines of orders just paid to their sponsors' totals (each line once per
    sponsor, each order once per sponsor). Does not commit."""
    changes: dict[SponsorKey, Figures] = defaultdict(Figures)
    for order in orders:
        if order.paid_at is None:
            continue
        in_order: set[SponsorKey] = set()
        for line in order.lines:
            for key in sponsors_of_line(line):
                changes[key].sales_fen += line.paid_fen + line.sponsored_fen
                in_order.add(key)
        for key in in_order:
            changes[key].orders += 1
    if changes:
        add(session, changes)


def count_refund(session: Session, refund: Refund) -> None:
    """Take a refund's lines back from the totals of the sponsors who discounted them. Does not commit."""
    changes: dict[SponsorKey, Figures] = defaultdict(Figures)
    for refund_line in refund.lines:
        value = refund_value_fen(refund_line)
        for key in sponsors_of_line(refund_line.line):
            changes[key].sales_fen -= value
            changes[key].refunded_fen += value
    if changes:
        add(session, changes)


def computed_totals(session: Session) -> dict[SponsorKey, Figures]:
    """Every sponsor's figures computed from the orders, discounts and refunds themselves (reads them all:
    for the rebuild command, never for a page)."""
    sponsor_id = func.coalesce(LineDiscount.sponsor_id, PLATFORM_ID)
    lines = (
        select(LineDiscount.sponsor_kind.label("kind"), sponsor_id.label("sponsor_id"), LineDiscount.line_id)
        .join(OrderLine, OrderLine.id == LineDiscount.line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.paid_at.is_not(None))
        .distinct()
        .subquery()
    )
    buyer_fen = case(
        (RefundLine.goods_fen.is_not(None), RefundLine.goods_fen),
        else_=RefundLine.quantity * OrderLine.unit_price_fen,
    )
    refunds = (
        select(RefundLine.line_id, func.sum(buyer_fen + RefundLine.sponsored_fen).label("back_fen"))
        .join(OrderLine, OrderLine.id == RefundLine.line_id)
        .group_by(RefundLine.line_id)
        .subquery()
    )
    back = func.coalesce(refunds.c.back_fen, 0)
    rows = session.execute(
        select(
            lines.c.kind,
            lines.c.sponsor_id,
            func.sum(OrderLine.paid_fen + OrderLine.sponsored_fen - back),
            func.count(distinct(OrderLine.order_id)),
            func.sum(back),
        )
        .select_from(lines)
        .join(OrderLine, OrderLine.id == lines.c.line_id)
        .outerjoin(refunds, refunds.c.line_id == lines.c.line_id)
        .group_by(lines.c.kind, lines.c.sponsor_id)
    )
    return {
        (SponsorKind(kind), int(sid)): Figures(int(sales), int(orders), int(refunded))
        for kind, sid, sales, orders, refunded in rows
    }


def _figures(row: SponsorSalesTotal) -> Figures:
    """A stored row's figures."""
    return Figures(row.sales_fen, row.orders, row.refunded_fen)


def sales_of(session: Session, keys: list[SponsorKey]) -> dict[SponsorKey, Figures]:
    """The stored running totals of the sponsors ``keys`` (at most a page of them: one query on the primary
    key); a sponsor without a row is absent."""
    if not keys:
        return {}
    rows = session.scalars(
        select(SponsorSalesTotal).where(
            or_(
                *[
                    (SponsorSalesTotal.sponsor_kind == kind) & (SponsorSalesTotal.sponsor_id == sponsor_id)
                    for kind, sponsor_id in keys
                ]
            )
        )
    )
    return {(row.sponsor_kind, row.sponsor_id): _figures(row) for row in rows}


def stored_totals(session: Session) -> dict[SponsorKey, Figures]:
    """The running totals as stored."""
    rows = session.scalars(select(SponsorSalesTotal))
    return {(row.sponsor_kind, row.sponsor_id): _figures(row) for row in rows}


@dataclass(frozen=True)
class Difference:
    """A sponsor whose stored figures differ from the computed ones (``None``: no row)."""

    key: SponsorKey
    expected: Figures | None
    stored: Figures | None

    def describe(self) -> str:
        """One line for the command's output."""
        kind, sponsor_id = self.key
        return f"{kind.value} {sponsor_id}: stored {self.stored} → expected {self.expected}"


def differences(session: Session, expected: dict[SponsorKey, Figures] | None = None) -> list[Difference]:
    """Sponsors whose running totals differ from a computation over the orders (``expected``, computed when
    not given); a row of zeros equals no row."""
    expected = computed_totals(session) if expected is None else expected
    stored = stored_totals(session)
    found = []
    for key in sorted(set(expected) | set(stored), key=lambda k: (k[0].value, k[1])):
        want, have = expected.get(key), stored.get(key)
        if (want or Figures()) != (have or Figures()):
            found.append(Difference(key, want, have))
    return found


def rebuild(session: Session) -> list[Difference]:
    """Rewrite every sponsor's running total from the orders; return the differences found before. Does not
    commit.

    On PostgreSQL the table is locked first (``EXCLUSIVE``: reads go on, writers wait): a payment that already
    added to it is waited for and then seen by the computation; one that comes later waits and adds its
    lines after the rewrite. SQLite has a single writer: the caller holds the write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE promotions_sponsor_total IN EXCLUSIVE MODE"))
    expected = computed_totals(session)
    found = differences(session, expected)
    session.execute(delete(SponsorSalesTotal))
    if expected:
        session.execute(
            insert(SponsorSalesTotal),
            [
                {
                    "sponsor_kind": kind,
                    "sponsor_id": sponsor_id,
                    "sales_fen": figures.sales_fen,
                    "orders": figures.orders,
                    "refunded_fen": figures.refunded_fen,
                }
                for (kind, sponsor_id), figures in expected.items()
            ],
        )
    return found
