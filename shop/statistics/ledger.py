"""Writing the sales ledger and keeping the roll-ups with it, in the caller's transaction.

What counts, and when (DOMAIN.md "Rules the code must keep"):

- a consumer order line counts when the order is paid: one ``+`` entry per :class:`OrderLine`, on the
  Asia/Shanghai day of ``Order.paid_at``; channel ``online``, or ``staff`` when the buyer linked the order to
  their employer (``Order.staff_institution_id``: buyer kind = that institution's kind, funding source
  ``staff_personal``);
- a refund subtracts: one ``−`` entry per :class:`RefundLine` for the refunded goods (quantity × unit price;
  shipping fees never count), on the day of the refund. It copies every dimension of the sale it reverses —
  including whether the product was certified *on the day of the sale* — so a refund takes back exactly
  what its sale added to each total, even when the certificate lapsed in between;
- a procurement line counts when the institution confirms receipt: one ``+`` entry per
  :class:`SupplierLine` with ``received_quantity > 0`` (received quantity × unit price), on the day of
  ``SupplierOrder.received_at``.

``is_certified`` is ``product.valid_certificate_on(day) is not None`` for the day the sale counted.

Each entry is unique on (source, source_id, kind): writing the same source twice inserts nothing the second
time (``INSERT … ON CONFLICT DO NOTHING``), and only entries really inserted are added to the roll-ups (an
``INSERT … ON CONFLICT (day, dims) DO UPDATE`` adding amount, quantity and count), so concurrent writers never
double count. There are three roll-ups (:data:`ROLLUPS`), each written by such an upsert in the same
transaction: daily (:class:`DailyRollup`, every dimension; the early warning's 30-day windows), monthly
(:class:`MonthlyRollup`, every dimension, ``day`` = the first of the month; the county, producer and partner
figures) and county-monthly (:class:`CountyMonthlyRollup`: county, channel and certification only; the
public page and the county and platform targets). Dashboards need whole months only. The functions here are
also what :mod:`shop.statistics.rebuild` uses to recompute the ledger.

The roll-up key ``dims`` is :func:`dims_key`: the values of the roll-up's dimensions (:data:`DIMENSIONS`
for the daily and monthly ones), in that order, joined by ``|``; ``NULL`` is the empty string, booleans are
``1``/``0``, enums their value. Example: ``12|4|7|3|1|school|5|1|procurement|budget|1``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from catalog.models import Producer
from catalog.product_models import Product
from core.clock import shanghai_date
from core.models import Region, RegionLevel
from shop.orders.models import Order, OrderLine
from shop.payments.models import Refund, RefundLine
from shop.procurement.models import Institution
from shop.procurement.order_models import FundingSource, SupplierLine, SupplierOrder, SupplierStatus
from shop.statistics.models import (
    Channel,
    CountyMonthlyRollup,
    DailyRollup,
    EntryKind,
    EntrySource,
    MonthlyRollup,
    SalesEntry,
)

#: The buyer kind of ordinary consumers (institutions use their kind).
CONSUMER = "consumer"

#: The dimension columns shared by an entry and its roll-up row, in the order of :func:`dims_key`.
DIMENSIONS = (
    "product_id",
    "producer_id",
    "county_id",
    "prefecture_id",
    "province_id",
    "buyer_kind",
    "institution_id",
    "is_paired",
    "channel",
    "funding_source",
    "is_certified",
)

#: The dimensions the county-monthly roll-up keeps, in the order of its ``dims`` key.
COUNTY_DIMENSIONS = ("county_id", "channel", "is_certified")

#: The ledger and roll-up tables, for Core statements (upserts, sums).
ENTRY_TABLE = cast(Table, SalesEntry.__table__)
ROLLUP_TABLE = cast(Table, DailyRollup.__table__)
MONTHLY_TABLE = cast(Table, MonthlyRollup.__table__)
COUNTY_TABLE = cast(Table, CountyMonthlyRollup.__table__)


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
#: Every roll-up, in the order writers update them (the same order everywhere: no deadlocks).
ROLLUPS = (DAILY, MONTHLY, COUNTY_MONTHLY)

#: Supplier-order states in which the institution has confirmed receipt.
RECEIVED_STATES = frozenset({SupplierStatus.RECEIVED, SupplierStatus.SETTLED})


def dims_key(values: Mapping[str, Any], names: Sequence[str] = DIMENSIONS) -> str:
    """The canonical text key of the values of ``names`` (see the module docstring)."""
    parts = []
    for name in names:
        value = values[name]
        if value is None:
            parts.append("")
        elif isinstance(value, bool):
            parts.append("1" if value else "0")
        elif isinstance(value, enum.Enum):
            parts.append(str(value.value))
        else:
            parts.append(str(value))
    return "|".join(parts)


@dataclass(frozen=True)
class EntryRow:
    """The values of one ledger entry, before it is stored (or as read back, for comparison)."""

    kind: EntryKind
    source: EntrySource
    source_id: int
    occurred_at: datetime
    day: date
    amount_fen: int
    quantity: int
    product_id: int
    producer_id: int
    county_id: int | None
    prefecture_id: int | None
    province_id: int | None
    buyer_kind: str
    institution_id: int | None
    is_paired: bool
    channel: Channel
    funding_source: str | None
    is_certified: bool

    @property
    def key(self) -> tuple[str, int, str]:
        """What makes the entry unique: (source, source_id, kind)."""
        return (self.source.value, self.source_id, self.kind.value)

    @property
    def dims(self) -> str:
        """The roll-up key of the entry's dimensions."""
        return dims_key(self.values())

    def values(self) -> dict[str, Any]:
        """Column → value, ready for an INSERT."""
        return asdict(self)


@dataclass(frozen=True)
class _Place:
    """The producer's county and the prefecture and province above it."""

    county_id: int | None
    prefecture_id: int | None
    province_id: int | None


@dataclass(frozen=True)
class _Buyer:
    """Who bought, through which channel, with whose money."""

    buyer_kind: str
    institution: Institution | None
    channel: Channel
    funding_source: str | None


class Dimensions:
    """Looks up the dimensions of entries, caching regions, institutions and certificates on the way.

    One instance per unit of work (a hook call, or a whole rebuild).
    """

    def __init__(self, session: Session) -> None:
        """Start with empty caches on ``session``."""
        self.session = session
        self._places: dict[int, _Place] = {}
        self._institutions: dict[int, Institution | None] = {}
        self._certified: dict[tuple[int, date], bool] = {}
        self._paired: dict[int, frozenset[int]] = {}

    def place(self, producer: Producer) -> _Place:
        """The producer's county, prefecture and province (walking ``Region.parent``)."""
        county: Region | None = producer.county
        if county is None:
            return _Place(None, None, None)
        if county.id not in self._places:
            prefecture = province = None
            node = county.parent
            while node is not None:
                if node.level is RegionLevel.PREFECTURE and prefecture is None:
                    prefecture = node.id
                elif node.level is RegionLevel.PROVINCE and province is None:
                    province = node.id
                node = node.parent
            self._places[county.id] = _Place(county.id, prefecture, province)
        return self._places[county.id]

    def institution(self, institution_id: int | None) -> Institution | None:
        """The institution with this id (``None`` for none)."""
        if institution_id is None:
            return None
        if institution_id not in self._institutions:
            self._institutions[institution_id] = self.session.get(Institution, institution_id)
        return self._institutions[institution_id]

    def is_paired(self, institution: Institution | None, county_id: int | None) -> bool:
        """Whether ``institution`` is paired with the county (对口帮扶)."""
        if institution is None or county_id is None:
            return False
        if institution.id not in self._paired:
            self._paired[institution.id] = frozenset(c.id for c in institution.paired_counties)
        return county_id in self._paired[institution.id]

    def is_certified(self, product: Product, day: date) -> bool:
        """Whether ``product`` held a valid certificate on ``day``."""
        key = (product.id, day)
        if key not in self._certified:
            self._certified[key] = product.valid_certificate_on(day) is not None
        return self._certified[key]

    def order_buyer(self, order: Order) -> _Buyer:
        """A consumer order's buyer: the consumer, or their employer for a staff purchase."""
        institution = self.institution(order.staff_institution_id)
        if institution is None:
            return _Buyer(CONSUMER, None, Channel.ONLINE, None)
        return _Buyer(institution.kind.value, institution, Channel.STAFF, FundingSource.STAFF_PERSONAL.value)

    def entry(
        self,
        kind: EntryKind,
        source: EntrySource,
        source_id: int,
        moment: datetime,
        product: Product,
        producer: Producer,
        buyer: _Buyer,
        amount_fen: int,
        quantity: int,
        certified_on: date,
    ) -> EntryRow:
        """One entry with every dimension filled in; certification is judged on ``certified_on``."""
        place = self.place(producer)
        return EntryRow(
            kind=kind,
            source=source,
            source_id=source_id,
            occurred_at=moment,
            day=shanghai_date(moment),
            amount_fen=amount_fen,
            quantity=quantity,
            product_id=product.id,
            producer_id=producer.id,
            county_id=place.county_id,
            prefecture_id=place.prefecture_id,
            province_id=place.province_id,
            buyer_kind=buyer.buyer_kind,
            institution_id=buyer.institution.id if buyer.institution is not None else None,
            is_paired=self.is_paired(buyer.institution, place.county_id),
            channel=buyer.channel,
            funding_source=buyer.funding_source,
            is_certified=self.is_certified(product, certified_on),
        )

    def sale_rows(self, order: Order) -> list[EntryRow]:
        """The ``+`` entries of a paid consumer order (none while it is unpaid)."""
        if order.paid_at is None:
            return []
        buyer = self.order_buyer(order)
        day = shanghai_date(order.paid_at)
        return [
            self.entry(
                EntryKind.SALE,
                EntrySource.ORDER_LINE,
                line.id,
                order.paid_at,
                line.product,
                order.producer,
                buyer,
                line.quantity * line.unit_price_fen,
                line.quantity,
                day,
            )
            for line in order.lines
        ]

    def refund_row(self, refund_line: RefundLine, moment: datetime) -> EntryRow | None:
        """The ``−`` entry of one refunded line, with its sale's dimensions (``None`` if never paid)."""
        line: OrderLine = refund_line.line
        order = line.order
        if order.paid_at is None:
            return None
        return self.entry(
            EntryKind.REFUND,
            EntrySource.REFUND_LINE,
            refund_line.id,
            moment,
            line.product,
            order.producer,
            self.order_buyer(order),
            -refund_line.quantity * line.unit_price_fen,
            -refund_line.quantity,
            shanghai_date(order.paid_at),
        )

    def refund_rows(self, refund: Refund) -> list[EntryRow]:
        """The ``−`` entries of a refund: one per refunded line, for goods only."""
        rows = (self.refund_row(rl, refund.created_at) for rl in refund.lines)
        return [row for row in rows if row is not None]

    def receipt_rows(self, supplier_order: SupplierOrder) -> list[EntryRow]:
        """The ``+`` entries of a received supplier order (none before receipt)."""
        if supplier_order.status not in RECEIVED_STATES or supplier_order.received_at is None:
            return []
        purchase = supplier_order.purchase_order
        institution = purchase.institution
        buyer = _Buyer(
            institution.kind.value, institution, Channel.PROCUREMENT, purchase.funding_source.value
        )
        moment = supplier_order.received_at
        lines: list[SupplierLine] = [
            line for line in supplier_order.lines if (line.received_quantity or 0) > 0
        ]
        return [
            self.entry(
                EntryKind.SALE,
                EntrySource.SUPPLIER_LINE,
                line.id,
                moment,
                line.product,
                supplier_order.producer,
                buyer,
                (line.received_quantity or 0) * line.unit_price_fen,
                line.received_quantity or 0,
                shanghai_date(moment),
            )
            for line in lines
        ]


def _insert(session: Session, table: Table) -> Any:
    """A dialect-specific INSERT (PostgreSQL or SQLite), which has ON CONFLICT clauses."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the sales ledger needs PostgreSQL or SQLite, not {dialect}")


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
    stmt = (
        _insert(session, table)
        .values([row.values() for row in rows])
        .on_conflict_do_nothing(index_elements=["source", "source_id", "kind"])
        .returning(table.c.source, table.c.source_id, table.c.kind)
    )
    inserted = {(str(s), int(i), str(k)) for s, i, k in session.execute(stmt)}
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


def _upsert(session: Session, table: Table, totals: dict[tuple[date, str], dict[str, Any]]) -> None:
    """Add ``totals`` to the roll-up rows of ``table``: one statement, rows in key order (no deadlocks)."""
    stmt = _insert(session, table).values([totals[key] for key in sorted(totals)])
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "dims"],
        set_={
            "amount_fen": table.c.amount_fen + stmt.excluded.amount_fen,
            "quantity": table.c.quantity + stmt.excluded.quantity,
            "entries": table.c.entries + stmt.excluded.entries,
        },
    )
    session.execute(stmt)


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
