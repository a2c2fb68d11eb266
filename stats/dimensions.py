"""What a ledger entry says: its dimensions, computed from an order line, a refund line or a supplier line.

:class:`Dimensions` turns a paid order, a refund or a received supplier order into :class:`EntryRow` values
(see :mod:`stats.ledger` for when each counts); :func:`dims_key` is the roll-ups' canonical key.
Nothing here writes to the database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.models import Region, RegionLevel
from orders.models import Order, OrderLine
from payments.models import Refund, RefundLine
from procurement.institutions.models import Institution
from procurement.ordering.models import (
    FundingSource,
    SupplierLine,
    SupplierOrder,
    SupplierStatus,
)
from stats.counting import certified_on, refund_value_fen, sale_value_fen
from stats.models import Channel, EntryKind, EntrySource

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
#: ... the county-kind roll-up (neither products nor single buyers) ...
COUNTY_KIND_DIMENSIONS = ("county_id", "buyer_kind", "is_paired", "channel", "is_certified")
#: ... the county-buyer roll-up (no products) ...
COUNTY_BUYER_DIMENSIONS = (
    "county_id",
    "buyer_kind",
    "institution_id",
    "is_paired",
    "channel",
    "funding_source",
    "is_certified",
)
#: ... and the county-product roll-up (no buyers).
COUNTY_PRODUCT_DIMENSIONS = ("county_id", "product_id", "producer_id", "channel", "is_certified")

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
        """Whether ``product`` held a valid certificate on ``day`` (:func:`stats.counting.certified_on`)."""
        key = (product.id, day)
        if key not in self._certified:
            self._certified[key] = certified_on(product, day)
        return self._certified[key]

    def order_buyer(self, order: Order) -> _Buyer:
        """A consumer order's buyer and channel: the consumer, or their employer for a staff purchase.

        The channel is the order's own (recorded when it was placed); a staff purchase in the online shop is
        channel ``staff``, one through another channel (a livestream) keeps that channel and still counts
        toward the employer.
        """
        channel = Channel(order.channel or Channel.ONLINE)
        institution = self.institution(order.staff_institution_id)
        if institution is None:
            return _Buyer(CONSUMER, None, channel, None)
        if channel is Channel.ONLINE:
            channel = Channel.STAFF
        return _Buyer(institution.kind.value, institution, channel, FundingSource.STAFF_PERSONAL.value)

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
                sale_value_fen(line),
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
            # what was given back for the units (buyer and sponsors), or the amount agreed after the sale
            -refund_value_fen(refund_line),
            -refund_line.quantity,
            shanghai_date(order.paid_at),
        )

    def refund_rows(self, refund: Refund) -> list[EntryRow]:
        """The ``−`` entries of a refund: one per refunded line, for goods only."""
        rows = (self.refund_row(rl, refund.created_at) for rl in refund.lines)
        return [row for row in rows if row is not None]

    def supplier_buyer(self, supplier_order: SupplierOrder) -> _Buyer:
        """The institution that ordered, through procurement, with the purchase order's funding source."""
        purchase = supplier_order.purchase_order
        institution = purchase.institution
        return _Buyer(institution.kind.value, institution, Channel.PROCUREMENT, purchase.funding_source.value)

    def concession_rows(self, supplier_order: SupplierOrder) -> list[EntryRow]:
        """The ``+`` entries of units the institution did not receive but pays for after all (an after-sales
        request ended with less agreed than claimed): one per line with ``conceded_fen``, on the day the
        producer confirmed that money (none before); certification is judged on the day of receipt, like the
        rest of the delivery."""
        moment = supplier_order.conceded_paid_at
        received_at = supplier_order.received_at
        if moment is None or received_at is None or supplier_order.status not in RECEIVED_STATES:
            return []
        buyer = self.supplier_buyer(supplier_order)
        return [
            self.entry(
                EntryKind.CONCESSION,
                EntrySource.SUPPLIER_LINE,
                line.id,
                moment,
                line.product,
                supplier_order.producer,
                buyer,
                line.conceded_fen,
                line.conceded_quantity,
                shanghai_date(received_at),
            )
            for line in supplier_order.lines
            if line.conceded_fen > 0
        ]

    def receipt_rows(self, supplier_order: SupplierOrder) -> list[EntryRow]:
        """The ``+`` entries of a received supplier order (none before receipt)."""
        if supplier_order.status not in RECEIVED_STATES or supplier_order.received_at is None:
            return []
        buyer = self.supplier_buyer(supplier_order)
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
