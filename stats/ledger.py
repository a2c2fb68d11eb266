"""Writing the sales ledger and keeping the roll-ups with it, in the caller's transaction.

What counts, and when (DOMAIN.md "Rules the code must keep"):

- a consumer order line counts when the order is paid, for what the buyer paid plus what a sponsor other
  than the producer paid for them (``OrderLine.paid_fen + sponsored_fen``: the list price when a third party
  paid the whole discount; never points at face value; :func:`stats.counting.sale_value_fen`): one ``+``
  entry per :class:`OrderLine`, on the Asia/Shanghai day of ``Order.paid_at``; channel ``Order.channel`` as
  recorded when the order was placed (online shop, livestream, counter, fair, group-buy), and ``staff`` for an
  online-shop order the buyer linked to their employer (``Order.staff_institution_id``: buyer kind = that
  institution's kind, funding source
  ``staff_personal``);
- a refund subtracts: one ``−`` entry per :class:`RefundLine` for the refunded goods (the buyer's money
  given back, ``RefundLine.goods_fen`` — the units' share of what was paid, or the lower amount agreed after
  the sale — plus the sponsors' share of those units, ``RefundLine.sponsored_fen``; shipping fees never
  count; :func:`stats.counting.refund_value_fen`),
  on the day of the refund. It copies every dimension of the sale it reverses — including whether the
  product was certified *on the day of the sale* — so a refund takes back exactly what its sale added to
  each total, even when the certificate lapsed in between;
- a procurement line counts when the institution confirms receipt: one ``+`` entry per
  :class:`SupplierLine` with ``received_quantity > 0`` (received quantity × unit price), on the day of
  ``SupplierOrder.received_at``; units not received that an after-sales request decided the institution
  pays for after all count when the producer confirms that money arrived (``SupplierOrder.conceded_paid_at``):
  one ``+`` entry of kind ``concession`` per :class:`SupplierLine` with ``conceded_fen > 0`` (that money and
  its whole units), certification judged on the day of receipt.

``is_certified`` is :func:`stats.counting.certified_on` for the day the sale counted; what counts, and toward
whom, is decided in :mod:`stats.counting` alone.

Each entry is unique on (source, source_id, kind): writing the same source twice inserts nothing the second
time (``INSERT … ON CONFLICT DO NOTHING``), and only entries really inserted are added to the roll-ups (an
``INSERT … ON CONFLICT (day, dims) DO UPDATE`` adding amount, quantity and count), so concurrent writers never
double count. There are six roll-ups (:data:`ROLLUPS`), each written by such an upsert in the same
transaction: daily (:class:`DailyRollup`, every dimension; the early warning's 30-day windows), monthly
(:class:`MonthlyRollup`, every dimension, ``day`` = the first of the month), and four narrower monthly ones
that keep a county's figures small whatever the size of the ledger: county-monthly
(:class:`CountyMonthlyRollup`: county, channel and certification; the public page and the county and platform
targets), county-kind (:class:`CountyKindRollup`: kinds of buyer, paired or not; the county dashboard's
months, buyer kinds, channels and partners), county-buyer (:class:`CountyBuyerRollup`: single buyers, no
products; the county dashboard's institutions, partner targets, the institution's progress) and
county-product (:class:`CountyProductRollup`: no buyers; the county dashboard's products and idle
producers, the producer dashboard). A query reads the
narrowest that keeps what it needs (:func:`narrowest_rollup`). Dashboards need whole months only. The
functions here are also what :mod:`stats.rebuild` uses to recompute the ledger.

The roll-up key ``dims`` is :func:`dims_key`: the values of the roll-up's dimensions (:data:`DIMENSIONS`
for the daily and monthly ones), in that order, joined by ``|``; ``NULL`` is the empty string, booleans are
``1``/``0``, enums their value. Example: ``12|4|7|3|1|school|5|1|procurement|budget|1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from core.transactions import upsert_insert
from orders.models import Order
from payments.models import Refund
from procurement.ordering.models import SupplierOrder
from stats.dimensions import (
    COUNTY_BUYER_DIMENSIONS,
    COUNTY_DIMENSIONS,
    COUNTY_KIND_DIMENSIONS,
    COUNTY_PRODUCT_DIMENSIONS,
    DIMENSIONS,
    Dimensions,
    EntryRow,
    dims_key,
)
from stats.models import (
    CountyBuyerRollup,
    CountyKindRollup,
    CountyMonthlyRollup,
    CountyProductRollup,
    DailyRollup,
    MonthlyRollup,
    SalesEntry,
)

#: The ledger and roll-up tables, for Core statements (upserts, sums).
ENTRY_TABLE = cast(Table, SalesEntry.__table__)
ROLLUP_TABLE = cast(Table, DailyRollup.__table__)
MONTHLY_TABLE = cast(Table, MonthlyRollup.__table__)
COUNTY_TABLE = cast(Table, CountyMonthlyRollup.__table__)
COUNTY_KIND_TABLE = cast(Table, CountyKindRollup.__table__)
COUNTY_BUYER_TABLE = cast(Table, CountyBuyerRollup.__table__)
COUNTY_PRODUCT_TABLE = cast(Table, CountyProductRollup.__table__)


@dataclass(frozen=True, eq=False)
class Rollup:
    """A roll-up table: whether its ``day`` stands for a day or a month, and which dimensions it keeps."""

    #: How differences in it are reported by the rebuild check.
    name: str
    table: Table
    monthly: bool
    dimensions: Sequence[str]

    def period(self, day: date) -> date:
        """The ``day`` of the row an entry on ``day`` is summed into."""
        return month_of(day) if self.monthly else day


DAILY = Rollup("rollup", ROLLUP_TABLE, False, DIMENSIONS)
MONTHLY = Rollup("monthly", MONTHLY_TABLE, True, DIMENSIONS)
COUNTY_MONTHLY = Rollup("county", COUNTY_TABLE, True, COUNTY_DIMENSIONS)
COUNTY_KIND = Rollup("county_kind", COUNTY_KIND_TABLE, True, COUNTY_KIND_DIMENSIONS)
COUNTY_BUYER = Rollup("county_buyer", COUNTY_BUYER_TABLE, True, COUNTY_BUYER_DIMENSIONS)
COUNTY_PRODUCT = Rollup("county_product", COUNTY_PRODUCT_TABLE, True, COUNTY_PRODUCT_DIMENSIONS)
#: Every roll-up, in the order writers update them (the same order everywhere: no deadlocks).
ROLLUPS = (DAILY, MONTHLY, COUNTY_MONTHLY, COUNTY_KIND, COUNTY_BUYER, COUNTY_PRODUCT)
#: The monthly roll-ups, narrowest first: a query reads the first that keeps every column it needs.
MONTHLY_ROLLUPS = (COUNTY_MONTHLY, COUNTY_KIND, COUNTY_BUYER, COUNTY_PRODUCT, MONTHLY)


def narrowest_rollup(columns: set[str]) -> Rollup:
    """The monthly roll-up with the fewest rows that keeps every dimension column in ``columns``."""
    return next(r for r in MONTHLY_ROLLUPS if columns <= {*r.dimensions, "day"})


def dims_sql(dialect: str, names: Sequence[str]) -> str:
    """SQL for :func:`dims_key` over the columns ``names`` of a ledger or roll-up table (for filling a roll-up
    with ``INSERT … SELECT``): values joined by ``|``, NULL as empty, booleans ``1``/``0``."""
    parts = []
    for name in names:
        if name in ("is_paired", "is_certified"):
            parts.append(
                f"CASE WHEN {name} THEN '1' ELSE '0' END"
                if dialect == "postgresql"
                else f"CAST({name} AS TEXT)"
            )
        else:
            parts.append(f"COALESCE(CAST({name} AS TEXT), '')")
    return " || '|' || ".join(parts)


def write_entries(session: Session, rows: Iterable[EntryRow]) -> list[EntryRow]:
    """Insert the entries not yet in the ledger and add them to the roll-up; return those inserted.

    An entry whose (source, source_id, kind) is already stored is skipped, also when a concurrent
    transaction stored it first. Does not commit.
    """
    rows = list(rows)
    if not rows:
        return []
    session.flush()
    table = ENTRY_TABLE
    stmt = _statement(
        session,
        "entries",
        table,
        lambda insert: insert.on_conflict_do_nothing(
            index_elements=["source", "source_id", "kind"]
        ).returning(table.c.source, table.c.source_id, table.c.kind),
    )
    inserted = {(str(s), int(i), str(k)) for s, i, k in session.execute(stmt, [row.values() for row in rows])}
    written = [row for row in rows if row.key in inserted]
    add_to_rollup(session, written)
    return written


def month_of(day: date) -> date:
    """The first day of ``day``'s month: the ``day`` of its monthly roll-up rows."""
    return day.replace(day=1)


def rollup_rows(rows: Iterable[EntryRow]) -> dict[tuple[date, str], dict[str, Any]]:
    """Sum entries per (day, dims): the values of the daily roll-up rows they make up."""
    totals: dict[tuple[date, str], dict[str, Any]] = {}
    for row in rows:
        values = row.values()
        key = (row.day, dims_key(values))
        total = totals.get(key)
        if total is None:
            total = {name: values[name] for name in DIMENSIONS}
            total.update(day=row.day, dims=key[1], amount_fen=0, quantity=0, entries=0)
            totals[key] = total
        total["amount_fen"] += row.amount_fen
        total["quantity"] += row.quantity
        total["entries"] += 1
    return totals


def fold_rollup(
    daily: Mapping[tuple[date, str], Mapping[str, Any]], rollup: Rollup
) -> dict[tuple[date, str], dict[str, Any]]:
    """Fold daily roll-up rows (every dimension, see :func:`rollup_rows`) into the rows of ``rollup``."""
    if rollup is DAILY:
        return {key: dict(values) for key, values in daily.items()}
    totals: dict[tuple[date, str], dict[str, Any]] = {}
    for (day, _dims), values in daily.items():
        key = (rollup.period(day), dims_key(values, rollup.dimensions))
        total = totals.get(key)
        if total is None:
            total = {name: values[name] for name in rollup.dimensions}
            total.update(day=key[0], dims=key[1], amount_fen=0, quantity=0, entries=0)
            totals[key] = total
        total["amount_fen"] += values["amount_fen"]
        total["quantity"] += values["quantity"]
        total["entries"] += values["entries"]
    return totals


#: Upserts built once per database kind and table: building one (its ``excluded`` alias) costs more than
#: running it, and given its rows as parameters (not as a multi-row VALUES, which SQLAlchemy cannot cache)
#: it is compiled once too. Every paid order, refund and receipt writes seven.
_STATEMENTS: dict[tuple[str, str, str], Any] = {}


def _statement(session: Session, purpose: str, table: Table, build: Callable[[Any], Any]) -> Any:
    """What ``build`` makes of an upsert INSERT into ``table`` for ``session``'s database, built once."""
    key = (session.get_bind().dialect.name, purpose, table.name)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build(upsert_insert(session, table))
    return stmt


def _add_totals(insert: Any) -> Any:
    """An upsert adding the inserted row's amounts to the roll-up row of its key, if there is one."""
    table = insert.table
    return insert.on_conflict_do_update(
        index_elements=["day", "dims"],
        set_={
            "amount_fen": table.c.amount_fen + insert.excluded.amount_fen,
            "quantity": table.c.quantity + insert.excluded.quantity,
            "entries": table.c.entries + insert.excluded.entries,
        },
    )


def _upsert(session: Session, table: Table, totals: dict[tuple[date, str], dict[str, Any]]) -> None:
    """Add ``totals`` to the roll-up rows of ``table``: one statement, rows in key order (no deadlocks)."""
    session.execute(
        _statement(session, "rollup", table, _add_totals), [totals[key] for key in sorted(totals)]
    )


def add_to_rollup(session: Session, rows: Iterable[EntryRow]) -> None:
    """Add entries to their rows in every roll-up (one upsert per table, in :data:`ROLLUPS` and key order).

    Every writer takes the tables in the same order and the rows in key order, so writers never deadlock.
    Does not commit.
    """
    daily = rollup_rows(rows)
    if not daily:
        return
    for rollup in ROLLUPS:
        _upsert(session, rollup.table, fold_rollup(daily, rollup))


def record_order_paid(session: Session, order: Order) -> int:
    """Write the ``+`` entries of a consumer order that has just been paid; return how many were new.

    Call in the transaction that marks it paid (after ``mark_paid``). Does not commit.
    """
    return len(write_entries(session, Dimensions(session).sale_rows(order)))


def record_orders_paid(session: Session, orders: Iterable[Order]) -> int:
    """:func:`record_order_paid` for several orders (one checkout). Does not commit."""
    dims = Dimensions(session)
    return len(write_entries(session, [row for order in orders for row in dims.sale_rows(order)]))


def record_refund(session: Session, refund: Refund) -> int:
    """Write the ``−`` entries of a refund (after it and its lines were flushed); return how many were new.

    Does not commit.
    """
    session.flush()
    return len(write_entries(session, Dimensions(session).refund_rows(refund)))


def record_supplier_order_received(session: Session, supplier_order: SupplierOrder) -> int:
    """Write the ``+`` entries of a supplier order whose receipt was just confirmed; return how many were new.

    Does not commit.
    """
    return len(write_entries(session, Dimensions(session).receipt_rows(supplier_order)))


def record_concession_paid(session: Session, supplier_order: SupplierOrder) -> int:
    """Write the ``+`` entries of conceded units whose money the producer just confirmed; return how many were
    new (none when already written). Does not commit."""
    return len(write_entries(session, Dimensions(session).concession_rows(supplier_order)))
