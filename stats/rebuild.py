"""Rebuilding the sales ledger from the orders, refunds and supplier orders, and proving it equal.

:func:`check_ledger` recomputes every entry the ledger should hold (with the same functions the hooks use,
:class:`stats.ledger.Dimensions`) and compares it with the stored entries, then compares the
stored roll-ups (daily, monthly, county-monthly) with the sums of the stored entries. :func:`rebuild_ledger`
makes all right: it replaces wrong entries, adds missing ones, deletes those without a source, and
materialises every roll-up again from the entries. Neither commits; ``flask --app shop stats rebuild
[--check]`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from orders.models import Order, OrderLine
from payments.models import Refund, RefundLine
from procurement.ordering.models import PurchaseOrder, SupplierOrder
from stats.dimensions import (
    DIMENSIONS,
    RECEIVED_STATES,
    Dimensions,
    EntryRow,
    dims_key,
)
from stats.ledger import (
    ENTRY_TABLE,
    ROLLUPS,
    Rollup,
    fold_rollup,
    write_entries,
)

#: The roll-up's summed columns.
SUMS = ("amount_fen", "quantity", "entries")


@dataclass(frozen=True)
class Difference:
    """One disagreement: what was expected and what is stored (``None`` for a missing side)."""

    #: ``entry`` (ledger vs. orders), or a roll-up vs. the ledger: ``rollup`` (daily), ``monthly``, ``county``
    #: (county-monthly).
    table: str
    key: tuple[Any, ...]
    expected: dict[str, Any] | None
    stored: dict[str, Any] | None

    def describe(self) -> str:
        """One line for the command's output."""
        if self.stored is None:
            return f"{self.table} {self.key}: missing, expected {self.expected}"
        if self.expected is None:
            return f"{self.table} {self.key}: unexpected {self.stored}"
        changed = {
            name: (self.stored.get(name), value)
            for name, value in self.expected.items()
            if self.stored.get(name) != value
        }
        return f"{self.table} {self.key}: stored → expected {changed}"


@dataclass
class LedgerReport:
    """What a check found (and, after a rebuild, what was put right)."""

    entries_expected: int = 0
    entries_stored: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def is_consistent(self) -> bool:
        """Whether the ledger matches the orders and the roll-up matches the ledger."""
        return not self.differences


def expected_entries(session: Session) -> dict[tuple[str, int, str], EntryRow]:
    """Every entry the ledger should hold, computed from orders, refunds and received supplier orders."""
    dims = Dimensions(session)
    rows: list[EntryRow] = []
    orders = session.scalars(
        select(Order)
        .where(Order.paid_at.is_not(None))
        .order_by(Order.id)
        .options(selectinload(Order.lines).selectinload(OrderLine.product), selectinload(Order.producer))
    )
    for order in orders:
        rows.extend(dims.sale_rows(order))
    refunds = session.scalars(
        select(Refund)
        .order_by(Refund.id)
        .options(selectinload(Refund.lines).selectinload(RefundLine.line).selectinload(OrderLine.order))
    )
    for refund in refunds:
        rows.extend(dims.refund_rows(refund))
    supplier_orders = session.scalars(
        select(SupplierOrder)
        .where(SupplierOrder.status.in_(RECEIVED_STATES))
        .order_by(SupplierOrder.id)
        .options(
            selectinload(SupplierOrder.lines),
            selectinload(SupplierOrder.purchase_order).selectinload(PurchaseOrder.institution),
        )
    )
    for supplier_order in supplier_orders:
        rows.extend(dims.receipt_rows(supplier_order))
        rows.extend(dims.concession_rows(supplier_order))
    return {row.key: row for row in rows}


def stored_entries(session: Session) -> dict[tuple[str, int, str], EntryRow]:
    """Every entry stored in the ledger, keyed like :func:`expected_entries`."""
    names = list(EntryRow.__dataclass_fields__)
    columns = [ENTRY_TABLE.c[name] for name in names]
    rows = (EntryRow(**dict(zip(names, values, strict=True))) for values in session.execute(select(*columns)))
    return {row.key: row for row in rows}


def _entry_differences(
    expected: dict[tuple[str, int, str], EntryRow], stored: dict[tuple[str, int, str], EntryRow]
) -> list[Difference]:
    """Entries missing, unexpected or different, in key order."""
    found = []
    for key in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(key), stored.get(key)
        if want != have:
            found.append(
                Difference(
                    "entry",
                    key,
                    want.values() if want is not None else None,
                    have.values() if have is not None else None,
                )
            )
    return found


def rollup_from_entries(session: Session) -> dict[tuple[date, str], dict[str, Any]]:
    """The daily roll-up rows the stored entries make up (summed by the database, grouped by every dimension).

    :func:`stats.ledger.fold_rollup` folds them into the rows of the other roll-ups.
    """
    table = ENTRY_TABLE
    group = [table.c.day, *(table.c[name] for name in DIMENSIONS)]
    query = select(
        *group,
        func.sum(table.c.amount_fen).label("amount_fen"),
        func.sum(table.c.quantity).label("quantity"),
        func.count().label("entries"),
    ).group_by(*group)
    totals: dict[tuple[date, str], dict[str, Any]] = {}
    for row in session.execute(query).mappings():
        values = dict(row)
        for name in SUMS:
            values[name] = int(values[name])
        values["dims"] = dims_key(values)
        totals[(values["day"], values["dims"])] = values
    return totals


def stored_rollup(session: Session, rollup: Rollup = ROLLUPS[0]) -> dict[tuple[date, str], dict[str, Any]]:
    """The stored rows of a roll-up (the daily one unless told), keyed by (day, dims)."""
    table = rollup.table
    columns = [table.c.day, table.c.dims, *(table.c[name] for name in (*rollup.dimensions, *SUMS))]
    return {(row["day"], row["dims"]): dict(row) for row in session.execute(select(*columns)).mappings()}


def _rollup_differences(
    expected: dict[tuple[date, str], dict[str, Any]],
    stored: dict[tuple[date, str], dict[str, Any]],
    name: str = "rollup",
) -> list[Difference]:
    """Roll-up rows missing, unexpected or different (a stored row that sums nothing counts as absent)."""
    found = []
    for key in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(key), stored.get(key)
        if have is not None and want is None and not have["entries"]:
            continue
        if want != have:
            found.append(Difference(name, (key[0].isoformat(), key[1]), want, have))
    return found


def _compare(session: Session) -> tuple[LedgerReport, dict[tuple[str, int, str], EntryRow]]:
    """The report of :func:`check_ledger` and the expected entries it was computed from."""
    session.flush()
    expected, stored = expected_entries(session), stored_entries(session)
    differences = _entry_differences(expected, stored)
    daily = rollup_from_entries(session)
    for rollup in ROLLUPS:
        wanted = fold_rollup(daily, rollup)
        differences += _rollup_differences(wanted, stored_rollup(session, rollup), rollup.name)
    return LedgerReport(len(expected), len(stored), differences), expected


def check_ledger(session: Session) -> LedgerReport:
    """Compare the ledger with the orders and every roll-up with the ledger. Writes nothing."""
    return _compare(session)[0]


def rebuild_rollup(session: Session) -> int:
    """Materialise every roll-up again from the stored entries; return the number of daily rows.

    Does not commit.
    """
    session.flush()
    daily = rollup_from_entries(session)
    for rollup in ROLLUPS:
        totals = fold_rollup(daily, rollup)
        session.execute(delete(rollup.table))
        if totals:
            session.execute(rollup.table.insert(), [totals[key] for key in sorted(totals)])
    return len(daily)


def rebuild_ledger(session: Session) -> LedgerReport:
    """Make the ledger equal to what the orders say, and the roll-ups equal to the ledger.

    Entries that differ or have no source are deleted, missing and corrected ones written, then every roll-up
    is rebuilt from the entries. Returns the report of what differed before. Does not commit.
    """
    report, expected = _compare(session)
    wrong = [d.key for d in report.differences if d.table == "entry" and d.stored is not None]
    table = ENTRY_TABLE
    for source, source_id, kind in wrong:
        session.execute(
            delete(table).where(
                table.c.source == source, table.c.source_id == source_id, table.c.kind == kind
            )
        )
    missing = [expected[d.key] for d in report.differences if d.table == "entry" and d.expected is not None]
    write_entries(session, missing)
    rebuild_rollup(session)
    return report
