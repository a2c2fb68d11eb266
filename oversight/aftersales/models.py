"""After-sales requests (售后): a buyer asks for money back, a return or a replacement for a received order.

One request per order may be open at a time (``open_order_id`` carries the order's id while it is open and
is unique; it is cleared when the request ends). It moves

    requested → accepted | proposed (a partial amount) | refused (with a reason)
    proposed  → the buyer accepts it, or escalates to the county reviewer
    refused   → the buyer escalates to the county reviewer
    escalated → the reviewer arbitrates an amount (or none) with a reason
    → refund_due (the money was paid by hand: whoever collected it gives it back on the refund page)
    → done

``next_due_at`` is the deadline of the answer it waits for: the producer's (a producer who does not answer
is deemed to accept) or the buyer's after a proposal (deemed to take it) or a refusal (the request ends).
While open, the disputed amount is held out of the producer's settlement (:mod:`settlement.statements.holds`).

An institution's receipt with a shortfall or rejected goods opens a request too (:mod:`oversight.aftersales
.receipts`): it names the delivery (``supplier_order_id``, unique: one request per delivery, ever) instead of
a consumer's order, its lines name delivery lines, and ``reason_code`` says ``shortfall`` or ``rejected``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User
from orders.models import Order, OrderLine
from payments.models import Refund
from procurement.ordering.models import SupplierLine, SupplierOrder


class AftersalesKind(enum.StrEnum):
    """What the buyer asks for."""

    REFUND = "refund"  # 仅退款
    RETURN = "return"  # 退货退款
    REPLACEMENT = "replacement"  # 换货


class ReceiptReason(enum.StrEnum):
    """Why an institution's receipt opened a request."""

    SHORTFALL = "shortfall"  # 短缺: fewer units arrived than were shipped
    REJECTED = "rejected"  # 拒收: units arrived and were refused at inspection


class AftersalesStatus(enum.StrEnum):
    """Where a request stands (see the module's docstring)."""

    REQUESTED = "requested"
    PROPOSED = "proposed"
    REFUSED = "refused"
    ESCALATED = "escalated"
    REFUND_DUE = "refund_due"
    DONE = "done"


#: States in which the request is open: its disputed money is held.
OPEN_STATUSES = frozenset(
    {
        AftersalesStatus.REQUESTED,
        AftersalesStatus.PROPOSED,
        AftersalesStatus.REFUSED,
        AftersalesStatus.ESCALATED,
        AftersalesStatus.REFUND_DUE,
    }
)


class AftersalesRequest(Base):
    """One after-sales request for one order, from the buyer's request to its outcome."""

    __tablename__ = "oversight_aftersales"
    __table_args__ = (
        CheckConstraint("claimed_fen >= 0", name="claimed_not_negative"),
        CheckConstraint("proposed_fen IS NULL OR proposed_fen >= 0", name="proposed_not_negative"),
        CheckConstraint("agreed_fen IS NULL OR agreed_fen >= 0", name="agreed_not_negative"),
        # the deadline job: waiting requests by their deadline
        Index("ix_oversight_aftersales_next_due_at", "next_due_at"),
        # the reviewer's queue: a county's requests by state
        Index("ix_oversight_aftersales_county_status", "county_id", "status"),
        # the producer's list and the settlement hold
        Index("ix_oversight_aftersales_producer_status", "producer_id", "status"),
        # an institution's delivery opens at most one request, ever (receipt is recorded once)
        Index("uq_oversight_aftersales_supplier_order_id", "supplier_order_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The consumer's order (None for an institution's delivery, see ``supplier_order_id``).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"), index=True)
    #: The institution's delivery whose receipt had a shortfall or rejected goods (None for an order).
    supplier_order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_supplier_order.id"))
    #: For a delivery: :class:`ReceiptReason` (shortfall or rejected); None for a consumer's request.
    reason_code: Mapped[ReceiptReason | None] = mapped_column(str_enum(ReceiptReason, 16))
    #: The order's id while the request is open, None once it ended: at most one open request per order.
    open_order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    #: The producer's county when the request was made: its reviewers arbitrate.
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    kind: Mapped[AftersalesKind] = mapped_column(str_enum(AftersalesKind, 16))
    status: Mapped[AftersalesStatus] = mapped_column(
        str_enum(AftersalesStatus, 16), default=AftersalesStatus.REQUESTED
    )
    reason: Mapped[str] = mapped_column(Text)
    #: Keys of up to three photos (checked and re-encoded like complaint photos) under ``aftersales``.
    photo_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The goods value of the lines asked about, capped at what is left of the order: the disputed amount.
    claimed_fen: Mapped[int] = mapped_column(Integer)
    proposed_fen: Mapped[int | None] = mapped_column(Integer)
    #: The amount settled on (accepted, proposal taken or arbitrated); 0 for none; None while undecided.
    agreed_fen: Mapped[int | None] = mapped_column(Integer)
    producer_reason: Mapped[str | None] = mapped_column(Text)
    arbitration_reason: Mapped[str | None] = mapped_column(Text)
    #: How it ended, in words of the state machine: accepted, deemed_accepted, proposal_taken, arbitrated,
    #: refusal_kept, withdrawn.
    outcome: Mapped[str | None] = mapped_column(String(24))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("shop_refund.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arbitrated_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    order: Mapped[Order | None] = relationship(foreign_keys=[order_id])
    supplier_order: Mapped[SupplierOrder | None] = relationship()
    buyer: Mapped[User] = relationship(foreign_keys=[buyer_id])
    producer: Mapped[Producer] = relationship()
    county: Mapped[Region] = relationship()
    refund: Mapped[Refund | None] = relationship()
    lines: Mapped[list[AftersalesLine]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AftersalesLine.id"
    )

    @property
    def is_open(self) -> bool:
        """Whether it still waits for someone (and holds money)."""
        return self.status in OPEN_STATUSES

    @property
    def number(self) -> str:
        """The number of what it is about: the consumer's order or the institution's delivery."""
        if self.supplier_order is not None:
            return self.supplier_order.number
        return self.order.number if self.order is not None else ""

    @property
    def is_receipt(self) -> bool:
        """Whether an institution's receipt opened it (no card refund, no settlement hold)."""
        return self.supplier_order_id is not None

    @property
    def reference(self) -> str:
        """The number people quote: ``SH`` and the id, zero-padded."""
        return f"SH{self.id:08d}"

    def quantities(self) -> dict[int, int]:
        """Units asked about per order line id."""
        return {line.line_id: line.quantity for line in self.lines if line.line_id is not None}

    def audit_view(self) -> dict[str, Any]:
        """What the audit log keeps."""
        return {
            "order_id": self.order_id,
            "supplier_order_id": self.supplier_order_id,
            "reason_code": self.reason_code.value if self.reason_code else None,
            "kind": self.kind.value,
            "status": self.status.value,
            "lines": {str(line.line_id or line.supplier_line_id): line.quantity for line in self.lines},
            "claimed_fen": self.claimed_fen,
            "proposed_fen": self.proposed_fen,
            "agreed_fen": self.agreed_fen,
            "outcome": self.outcome,
            "refund_id": self.refund_id,
            "photos": len(self.photo_keys or []),
        }


class AftersalesLine(Base):
    """Units of one order line (or, for an institution's receipt, one delivery line) a request is about."""

    __tablename__ = "oversight_aftersales_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("oversight_aftersales.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order_line.id"), index=True)
    supplier_line_id: Mapped[int | None] = mapped_column(ForeignKey("shop_supplier_line.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    request: Mapped[AftersalesRequest] = relationship(back_populates="lines")
    line: Mapped[OrderLine | None] = relationship()
    supplier_line: Mapped[SupplierLine | None] = relationship()

    @property
    def product_name(self) -> str:
        """The product's name as the order or delivery line recorded it."""
        if self.supplier_line is not None:
            return self.supplier_line.product_name
        return self.line.product_name if self.line is not None else ""
