"""Payment records, processed Stripe events (each applied once) and refunds."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import User
from orders.models import Checkout, Order, OrderLine


class PaymentStatus(enum.StrEnum):
    """Where a payment stands."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(Base):
    """Money received for a checkout: one succeeded Stripe payment for the checkout, or one confirmed by hand
    per order (bank transfer, confirmed by a platform administrator for every order of the checkout at once;
    cash on delivery, by the producer)."""

    __tablename__ = "shop_payment"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("shop_checkout.id"), index=True)
    provider: Mapped[str] = mapped_column(String(24))  # "stripe", "bank_transfer", "cash_on_delivery"
    provider_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, 16), default=PaymentStatus.PENDING)
    #: A succeeded payment for the checkout: unique, so paying twice is impossible by construction.
    succeeded_checkout_id: Mapped[int | None] = mapped_column(ForeignKey("shop_checkout.id"), unique=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    #: The bank's own reference of the transfer that paid it, as on the platform's bank statement (bank
    #: transfers): indexed, so one transfer cannot be booked for two checkouts.
    bank_reference: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    checkout: Mapped[Checkout] = relationship(foreign_keys=[checkout_id])


class StripeEvent(Base):
    """A Stripe webhook event id, stored once: a replayed or duplicated event changes nothing."""

    __tablename__ = "shop_stripe_event"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(Base):
    """Money given back for part or all of an order (through Stripe when paid by Stripe)."""

    __tablename__ = "shop_refund"
    # 0 only for an order paid with points alone (a flash sale): its units and points go back
    __table_args__ = (CheckConstraint("amount_fen >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Whether the refunded units went back to their batches (only if the goods never shipped).
    restocked: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[RefundLine]] = relationship(back_populates="refund")


class RefundLine(Base):
    """How many units of an order line a refund covers, the buyer's money given back for them
    (``goods_fen``: their share of what was paid, or the lower amount agreed in an after-sales settlement;
    ``None`` on refunds recorded before discounts existed: the units at their price), and the third-party
    sponsors' share of those units that is taken back from the sales counted (``sponsored_fen``)."""

    __tablename__ = "shop_refund_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="qty_positive"),
        CheckConstraint("goods_fen IS NULL OR goods_fen >= 0", name="goods_fen_not_negative"),
        CheckConstraint("sponsored_fen >= 0", name="sponsored_fen_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("shop_refund.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("shop_order_line.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    goods_fen: Mapped[int | None] = mapped_column(Integer)
    sponsored_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    refund: Mapped[Refund] = relationship(back_populates="lines")
    line: Mapped[OrderLine] = relationship()
