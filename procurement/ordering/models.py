"""Purchase orders (one per submission), supplier orders (one per producer), their lines, and RFQs.

A purchase order is what a buyer submits; it is split into one supplier order per producer. State changes
go through model methods that raise :class:`core.errors.InvalidTransition` for moves not allowed.

Purchase order: awaiting_approval → approved (or rejected), or straight to approved when no approval is
needed; cancelled before approval, or once every supplier order of it was cancelled. Supplier order:
awaiting_approval → awaiting_confirmation → confirmed (or declined when every line is declined) → shipped →
received → settled, and cancelled from every open state but received. Who may take which exit is the table
in :mod:`procurement.ordering.lifecycle`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.errors import InvalidTransition
from core.models import User
from procurement.institutions.models import Institution
from traceability.models import Batch


class FundingSource(enum.StrEnum):
    """Whose money pays for a purchase order (reported separately toward quotas)."""

    BUDGET = "budget"  # 预算资金
    UNION_FUNDS = "union_funds"  # 工会经费
    OWN_FUNDS = "own_funds"  # 单位自有资金
    STAFF_PERSONAL = "staff_personal"  # 职工个人


class PurchaseStatus(enum.StrEnum):
    """Where a purchase order stands as a whole."""

    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class SupplierStatus(enum.StrEnum):
    """Where one producer's part of a purchase order stands."""

    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    SHIPPED = "shipped"
    RECEIVED = "received"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class LineDecision(enum.StrEnum):
    """The producer's answer to one line."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    ADJUSTED = "adjusted"
    DECLINED = "declined"


SUPPLIER_TRANSITIONS: dict[SupplierStatus, frozenset[SupplierStatus]] = {
    SupplierStatus.AWAITING_APPROVAL: frozenset(
        {SupplierStatus.AWAITING_CONFIRMATION, SupplierStatus.CANCELLED}
    ),
    SupplierStatus.AWAITING_CONFIRMATION: frozenset(
        {SupplierStatus.CONFIRMED, SupplierStatus.DECLINED, SupplierStatus.CANCELLED}
    ),
    SupplierStatus.CONFIRMED: frozenset({SupplierStatus.SHIPPED, SupplierStatus.CANCELLED}),
    SupplierStatus.DECLINED: frozenset(),
    SupplierStatus.SHIPPED: frozenset({SupplierStatus.RECEIVED, SupplierStatus.CANCELLED}),
    SupplierStatus.RECEIVED: frozenset({SupplierStatus.SETTLED}),
    SupplierStatus.SETTLED: frozenset(),
    SupplierStatus.CANCELLED: frozenset(),
}


class PurchaseOrder(Base):
    """One submission by an institution's buyer: delivery, funding source, approval; split per producer."""

    __tablename__ = "shop_purchase_order"
    __table_args__ = (CheckConstraint("total_fen > 0", name="total_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Readable, e.g. PO-2611-2348-0517.
    number: Mapped[str] = mapped_column(String(24), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("shop_institution.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    status: Mapped[PurchaseStatus] = mapped_column(str_enum(PurchaseStatus, 24), index=True)
    funding_source: Mapped[FundingSource] = mapped_column(str_enum(FundingSource, 24))
    delivery_date: Mapped[date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(60))
    mobile: Mapped[str] = mapped_column(String(11))
    province: Mapped[str] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(40))
    address_detail: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    #: Total at submission (requested quantities × agreed unit prices).
    total_fen: Mapped[int] = mapped_column(Integer)
    #: Client-chosen key: a repeated or concurrent identical submit returns the same purchase order.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: Set when the purchase order came from an accepted quote.
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("shop_quote.id"), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))

    institution: Mapped[Institution] = relationship()
    buyer: Mapped[User] = relationship(foreign_keys=[buyer_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    supplier_orders: Mapped[list[SupplierOrder]] = relationship(
        back_populates="purchase_order", order_by="SupplierOrder.id"
    )

    def _decide(self, target: PurchaseStatus, approver: User | None, note: str | None) -> None:
        if self.status is not PurchaseStatus.AWAITING_APPROVAL:
            raise InvalidTransition()
        self.status = target
        self.approver, self.decision_note, self.decided_at = approver, note, utcnow()

    def approve(self, approver: User, note: str | None = None) -> None:
        """awaiting_approval → approved; its supplier orders go to the producers."""
        self._decide(PurchaseStatus.APPROVED, approver, note)
        for order in self.supplier_orders:
            order.move(SupplierStatus.AWAITING_CONFIRMATION)

    def reject(self, approver: User, note: str) -> None:
        """awaiting_approval → rejected, with the approver's reason; its supplier orders are cancelled."""
        self._decide(PurchaseStatus.REJECTED, approver, note)
        for order in self.supplier_orders:
            order.move(SupplierStatus.CANCELLED)

    def cancel(self, note: str | None = None) -> None:
        """awaiting_approval → cancelled (withdrawn by the buyer, cancelled by an admin, or expired)."""
        self._decide(PurchaseStatus.CANCELLED, None, note)
        for order in self.supplier_orders:
            order.move(SupplierStatus.CANCELLED)

    @property
    def lines_above_reference(self) -> int:
        """How many of its lines were ordered above their product's reference price (flagged)."""
        lines = [line for order in self.supplier_orders for line in order.lines]
        return sum(1 for line in lines if line.reference_price_fen is not None)

    def close_if_all_cancelled(self) -> bool:
        """approved → cancelled once every supplier order of it has been cancelled; whether it was closed."""
        if self.status is PurchaseStatus.APPROVED and all(
            o.status is SupplierStatus.CANCELLED for o in self.supplier_orders
        ):
            self.status = PurchaseStatus.CANCELLED
            return True
        return False


class SupplierOrder(Base):
    """One producer's part of a purchase order: lines to confirm, ship, receive and settle."""

    __tablename__ = "shop_supplier_order"
    # the producer's workbench counts its open supplier orders by state without reading finished ones
    __table_args__ = (Index("ix_shop_supplier_order_producer_status", "producer_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_purchase_order.id", ondelete="CASCADE"), index=True
    )
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    status: Mapped[SupplierStatus] = mapped_column(str_enum(SupplierStatus, 24), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    #: Stored invoice file (PDF or image) uploaded at receipt.
    invoice_key: Mapped[str | None] = mapped_column(String(64))
    invoice_filename: Mapped[str | None] = mapped_column(String(120))
    invoice_mimetype: Mapped[str | None] = mapped_column(String(40))
    #: Bank-transfer reference the institution records when it pays.
    transfer_reference: Mapped[str | None] = mapped_column(String(64))
    transfer_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Owed after the first transfer was recorded (or the order settled): units an after-sales request
    #: decided the institution pays for after all (:mod:`procurement.receiving.balance`); 0: none.
    balance_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Bank-transfer reference the institution records when it pays the balance.
    balance_reference: Mapped[str | None] = mapped_column(String(64))
    balance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the producer confirmed the balance arrived.
    balance_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it was cancelled and by whom (None: the platform, e.g. when it expired).
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="supplier_orders")
    producer: Mapped[Producer] = relationship()
    lines: Mapped[list[SupplierLine]] = relationship(back_populates="order", order_by="SupplierLine.id")

    def move(self, target: SupplierStatus) -> None:
        """Change state if the state machine allows it, else raise InvalidTransition."""
        if target not in SUPPLIER_TRANSITIONS[self.status]:
            raise InvalidTransition()
        self.status = target
        now = utcnow()
        if target is SupplierStatus.CONFIRMED:
            self.confirmed_at = now
        elif target is SupplierStatus.SHIPPED:
            self.shipped_at = now
        elif target is SupplierStatus.RECEIVED:
            self.received_at = now
        elif target is SupplierStatus.SETTLED:
            self.settled_at = now
        elif target is SupplierStatus.CANCELLED:
            self.cancelled_at = now

    @property
    def requested_fen(self) -> int:
        """Requested quantities × unit prices."""
        return sum(line.requested_quantity * line.unit_price_fen for line in self.lines)

    @property
    def confirmed_fen(self) -> int:
        """Confirmed quantities × unit prices (0 until the producer decides)."""
        return sum((line.confirmed_quantity or 0) * line.unit_price_fen for line in self.lines)

    @property
    def received_fen(self) -> int:
        """Received quantities × unit prices: what counts toward the institution's quota."""
        return sum((line.received_quantity or 0) * line.unit_price_fen for line in self.lines)

    @property
    def payable_fen(self) -> int:
        """What the institution owes: received units that do not come from a recalled lot, × unit prices."""
        return sum(line.payable_fen for line in self.lines)

    @property
    def conceded_fen(self) -> int:
        """What after-sales decided the institution pays for units it did not receive (in ``payable_fen``)."""
        return sum(line.conceded_fen for line in self.lines)

    @property
    def first_transfer_fen(self) -> int:
        """What the first transfer pays: the payable amount less any balance asked for after it."""
        return self.payable_fen - self.balance_fen

    @property
    def balance_note(self) -> str:
        """What the institution writes on the balance's bank transfer, so the producer can match it."""
        return f"{self.number}-B"

    @property
    def conceded_paid_at(self) -> datetime | None:
        """When the producer confirmed the money for conceded units arrived: the balance's confirmation, or
        the settlement when the concession came before the first transfer (None: not paid yet, or none)."""
        if self.conceded_fen <= 0:
            return None
        if self.balance_fen > 0:
            return self.balance_confirmed_at
        return self.settled_at if self.status is SupplierStatus.SETTLED else None

    @property
    def recalled_quantity(self) -> int:
        """Shipped units that come from recalled lots."""
        return sum(line.recalled_quantity for line in self.lines)

    @property
    def is_all_recalled(self) -> bool:
        """Shipped, and every shipped unit comes from a recalled lot (nothing left to receive or pay)."""
        shipped = sum(a.quantity for line in self.lines for a in line.allocations)
        return shipped > 0 and self.recalled_quantity == shipped


class SupplierLine(Base):
    """A product on a supplier order: requested, confirmed (maybe adjusted), shipped, received."""

    __tablename__ = "shop_supplier_line"
    __table_args__ = (
        CheckConstraint("requested_quantity > 0 AND unit_price_fen > 0", name="values_positive"),
        CheckConstraint(
            "confirmed_quantity IS NULL OR "
            "(confirmed_quantity >= 0 AND confirmed_quantity <= requested_quantity)",
            name="confirmed_within",
        ),
        CheckConstraint(
            "received_quantity IS NULL OR "
            "(received_quantity >= 0 AND received_quantity <= confirmed_quantity)",
            name="received_within",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_supplier_order.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(8))
    #: Snapshot: tier price for the requested quantity, or the accepted quote's price.
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    #: The product's reference price when the line was ordered above it (flagged on the purchase order);
    #: None: not above any reference.
    reference_price_fen: Mapped[int | None] = mapped_column(Integer)
    requested_quantity: Mapped[int] = mapped_column(Integer)
    decision: Mapped[LineDecision] = mapped_column(str_enum(LineDecision, 16), default=LineDecision.PENDING)
    confirmed_quantity: Mapped[int | None] = mapped_column(Integer)
    decision_reason: Mapped[str | None] = mapped_column(String(300))
    received_quantity: Mapped[int | None] = mapped_column(Integer)
    #: Units that arrived and were refused at inspection (not received); the rest of the units not received
    #: are a shortfall. Either opens an after-sales request (oversight reacts to the receipt's signal).
    rejected_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Units not received that the after-sales request decided the institution pays for after all (the
    #: producer's refusal upheld, a lower amount agreed, the request withdrawn): whole units of
    #: ``conceded_fen``, which is the money (an agreed amount need not be whole units).
    conceded_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    conceded_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    inspection_note: Mapped[str | None] = mapped_column(String(500))

    order: Mapped[SupplierOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    allocations: Mapped[list[SupplierAllocation]] = relationship(
        back_populates="line", order_by="SupplierAllocation.id"
    )

    @property
    def received_fen(self) -> int:
        """Received quantity × unit price."""
        return (self.received_quantity or 0) * self.unit_price_fen

    @property
    def recalled_quantity(self) -> int:
        """Units shipped from recalled lots: they are neither received nor paid for."""
        return sum(a.quantity for a in self.allocations if a.batch.is_recalled)

    @property
    def receivable_quantity(self) -> int:
        """At most what may be received: the confirmed quantity less the units of recalled lots."""
        return max((self.confirmed_quantity or 0) - self.recalled_quantity, 0)

    @property
    def payable_fen(self) -> int:
        """Received units not from a recalled lot (also when the recall came after receipt) × unit price, plus
        what the after-sales decided is owed for units not received (``conceded_fen``)."""
        received = min(self.received_quantity or 0, self.receivable_quantity) * self.unit_price_fen
        return received + self.conceded_fen


class SupplierAllocation(Base):
    """Units of a supplier line shipped from one batch (a shipping event is recorded on the batch)."""

    __tablename__ = "shop_supplier_allocation"
    __table_args__ = (CheckConstraint("quantity > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("shop_supplier_line.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    line: Mapped[SupplierLine] = relationship(back_populates="allocations")
    batch: Mapped[Batch] = relationship()


class QuoteRequestStatus(enum.StrEnum):
    """An RFQ is open until a quote is accepted or the institution closes it."""

    OPEN = "open"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class QuoteStatus(enum.StrEnum):
    """One invited producer's answer."""

    INVITED = "invited"
    ANSWERED = "answered"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    NOT_CHOSEN = "not_chosen"


class QuoteRequest(Base):
    """An institution's request for quotation: an item (listed or not), quantity and date, to producers."""

    __tablename__ = "shop_quote_request"
    __table_args__ = (CheckConstraint("quantity > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("shop_institution.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    #: What is wanted, in the buyer's words (an unlisted item) …
    item: Mapped[str] = mapped_column(String(120))
    #: … or a listed product.
    product_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_product.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))
    wanted_by: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[QuoteRequestStatus] = mapped_column(
        str_enum(QuoteRequestStatus, 16), default=QuoteRequestStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship()
    requested_by: Mapped[User] = relationship()
    product: Mapped[Product | None] = relationship()
    quotes: Mapped[list[Quote]] = relationship(back_populates="request", order_by="Quote.id")


class Quote(Base):
    """A producer's answer to an RFQ: which of its products, price, quantity and delivery date."""

    __tablename__ = "shop_quote"
    __table_args__ = (
        UniqueConstraint("request_id", "producer_id"),
        CheckConstraint("unit_price_fen IS NULL OR unit_price_fen > 0", name="price_positive"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="qty_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("shop_quote_request.id", ondelete="CASCADE"), index=True
    )
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    status: Mapped[QuoteStatus] = mapped_column(str_enum(QuoteStatus, 16), default=QuoteStatus.INVITED)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_product.id"))
    unit_price_fen: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int | None] = mapped_column(Integer)
    delivery_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    request: Mapped[QuoteRequest] = relationship(back_populates="quotes")
    producer: Mapped[Producer] = relationship()
    product: Mapped[Product | None] = relationship()
