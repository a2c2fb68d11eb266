"""Counters (专馆/专柜/专区) and fairs, the stock producers consign to them, and the sales made there.

A counter belongs to an operator (a user acting for an institution, an enterprise or a county office) at a
real place; a fair is a counter open between two dates. Consigned units leave the batch's online stock when
the producer ships them (a shipping event) and reach the counter's own stock when its operator confirms
receipt (a receiving event: the counter is a trace point). A sale at the counter draws from that stock, one
lot at a time, with a conditional UPDATE, and is a paid order of channel ``counter`` (or ``fair``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.products.models import Product
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User
from orders.channel import Channel
from orders.models import Order
from traceability.models import Batch


class CounterKind(enum.StrEnum):
    """What kind of place sells: a hall, a counter or a zone of a shop (三专), or a fair with dates."""

    HALL = "hall"  # 专馆
    COUNTER = "counter"  # 专柜
    ZONE = "zone"  # 专区
    FAIR = "fair"  # 展销会: a temporary counter


class CounterPayment(enum.StrEnum):
    """How a buyer paid at the counter."""

    CASH = "cash"
    QR = "qr"  # 扫码支付 (WeChat Pay / Alipay code)
    CARD = "card"


class Counter(Base):
    """A place selling the counties' products offline, run by one operator account."""

    __tablename__ = "channels_counter"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'fair' AND starts_on IS NOT NULL AND ends_on IS NOT NULL AND ends_on >= starts_on)"
            " OR (kind <> 'fair' AND starts_on IS NULL AND ends_on IS NULL)",
            name="fair_dates",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: The organisation that runs it, shown publicly (an institution, an enterprise, a county office).
    operator_name: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    kind: Mapped[CounterKind] = mapped_column(str_enum(CounterKind, 16))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    operator: Mapped[User] = relationship()
    region: Mapped[Region] = relationship()

    @property
    def channel(self) -> Channel:
        """The channel its sales are recorded under: ``fair`` for a fair, ``counter`` otherwise."""
        return Channel.FAIR if self.kind is CounterKind.FAIR else Channel.COUNTER

    @property
    def channel_ref(self) -> str:
        """What its orders carry in ``Order.channel_ref``."""
        return f"counter:{self.id}"

    def is_open_on(self, day: date) -> bool:
        """Whether it may sell on ``day`` (a fair only between its dates)."""
        if self.starts_on is None or self.ends_on is None:
            return True
        return self.starts_on <= day <= self.ends_on


class Consignment(Base):
    """Units of one lot a producer shipped to a counter; received once its operator confirms them."""

    __tablename__ = "channels_consignment"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_channels_consignment_counter_received", "counter_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("channels_counter.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    counter: Mapped[Counter] = relationship()
    batch: Mapped[Batch] = relationship()


class ConsignedStock(Base):
    """The units of one lot on hand at one counter; moved only by conditional UPDATEs."""

    __tablename__ = "channels_consigned_stock"
    __table_args__ = (
        UniqueConstraint("counter_id", "batch_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("received_total >= 0 AND sold_total >= 0", name="totals_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("channels_counter.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"))
    #: Units on hand now.
    quantity: Mapped[int] = mapped_column(Integer)
    received_total: Mapped[int] = mapped_column(Integer, default=0)
    sold_total: Mapped[int] = mapped_column(Integer, default=0)

    batch: Mapped[Batch] = relationship()
    product: Mapped[Product] = relationship()


class CounterSale(Base):
    """One sale at a counter: the paid order it made, the lot it drew from and how it was paid."""

    __tablename__ = "channels_counter_sale"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND amount_fen > 0", name="values_positive"),
        # the day's closing report and the leakage report read one counter's days
        Index("ix_channels_counter_sale_counter_day", "counter_id", "day"),
        # the leakage report reads every counter's sales of a period
        Index("ix_channels_counter_sale_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("channels_counter.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    #: The product's unit at the time (kg, jin, piece, box): reports never add weights to counts.
    unit: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(Integer)
    payment: Mapped[CounterPayment] = mapped_column(str_enum(CounterPayment, 8))
    #: The product held a valid certificate that day: the sale counts toward assistance.
    is_counted: Mapped[bool] = mapped_column(Boolean)
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The Asia/Shanghai day of ``sold_at`` (the closing report's day).
    day: Mapped[date] = mapped_column(Date)
    sold_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    order: Mapped[Order] = relationship()
    batch: Mapped[Batch] = relationship()
    product: Mapped[Product] = relationship()


class CounterRefund(Base):
    """Money given back for a counter sale through the payments pages, on the day it was given back, and the
    units that returned to the counter's stock (none when the lot was recalled: it never goes back on the
    shelf)."""

    __tablename__ = "channels_counter_refund"
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND amount_fen >= 0 AND restocked >= 0", name="values_not_negative"),
        # the day's closing report reads one counter's days
        Index("ix_channels_counter_refund_counter_day", "counter_id", "day"),
        # the leakage report reads every counter's refunds of a period
        Index("ix_channels_counter_refund_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("channels_counter.id"))
    refund_id: Mapped[int] = mapped_column(ForeignKey("shop_refund.id"), unique=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("channels_counter_sale.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"))
    #: Units refunded, in ``unit``, and how many of them went back to the counter's stock.
    quantity: Mapped[int] = mapped_column(Integer)
    restocked: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(Integer)
    #: Whether the sale counted toward assistance (its refund then takes back a counted amount).
    is_counted: Mapped[bool] = mapped_column(Boolean)
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The Asia/Shanghai day of ``refunded_at`` (the closing report's day).
    day: Mapped[date] = mapped_column(Date)

    sale: Mapped[CounterSale] = relationship()
    product: Mapped[Product] = relationship()
