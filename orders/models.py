"""Carts, checkouts (one payment), orders (one per producer), their lines and batch allocations.

An order's state changes only through its methods, which raise :class:`core.errors.InvalidTransition` for
moves the state machine does not allow: pending_payment → paid → shipped → received → completed, plus
cancelled and refunded. Cash on delivery ships before it is paid (pending_payment → shipped); the producer
confirms the cash once collected (``paid_at``), and such an order completes only after that. Nothing paid is
ever cancelled (paid orders are refunded); a cash-on-delivery order whose cash was never collected may be
cancelled after shipping too (its goods were recalled: nobody pays for them).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.errors import InvalidTransition
from core.models import User
from orders.channel import Channel
from traceability.models import Batch


class SponsorKind(enum.StrEnum):
    """Who pays a discount: the platform, the producer itself, or a third party (an institution: a paired
    partner city, an assistance group, an enterprise). Only money that reaches the producer counts toward
    assistance: a producer's own discount is not paid by anyone (see :mod:`stats.counting`)."""

    PLATFORM = "platform"
    PRODUCER = "producer"
    INSTITUTION = "institution"


class OrderStatus(enum.StrEnum):
    """Where an order stands."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    RECEIVED = "received"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentMethod(enum.StrEnum):
    """How a checkout is paid: through Stripe (card, Alipay, WeChat Pay) or offline."""

    STRIPE = "stripe"
    BANK_TRANSFER = "bank_transfer"
    CASH_ON_DELIVERY = "cash_on_delivery"
    AT_COUNTER = "at_counter"  # paid at a counter or fair in cash, by QR code or card (channels.counters)
    POINTS = "points"  # paid with points alone in a flash sale (promotions.flash); its sponsor pays

    @property
    def is_offline(self) -> bool:
        """Paid outside Stripe: confirmed by hand by whoever collects it (see :mod:`orders.collection`)."""
        return self is not PaymentMethod.STRIPE


#: Allowed moves of the order state machine.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # pending_payment → shipped only for cash on delivery (checked in Order.mark_shipped)
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.REFUNDED}),
    # shipped/received → cancelled only for cash on delivery not collected yet (checked in Order.cancel)
    OrderStatus.SHIPPED: frozenset({OrderStatus.RECEIVED, OrderStatus.REFUNDED, OrderStatus.CANCELLED}),
    OrderStatus.RECEIVED: frozenset({OrderStatus.COMPLETED, OrderStatus.REFUNDED, OrderStatus.CANCELLED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class CartItem(Base):
    """A product and quantity in a signed-in buyer's cart (anonymous carts live in the session cookie)."""

    __tablename__ = "shop_cart_item"
    __table_args__ = (UniqueConstraint("user_id", "product_id"), CheckConstraint("quantity > 0", name="qty"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()


class ShippingRule(Base):
    """A producer's shipping fee: flat per order, free from an order value on, and provinces not served."""

    __tablename__ = "shop_shipping_rule"
    __table_args__ = (CheckConstraint("flat_fee_fen >= 0", name="fee_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_producer.id", ondelete="CASCADE"), unique=True
    )
    flat_fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    free_above_fen: Mapped[int | None] = mapped_column(Integer)
    #: Division codes (6 digits) of provinces this producer does not ship to.
    excluded_provinces: Mapped[list[str]] = mapped_column(JSON, default=list)

    producer: Mapped[Producer] = relationship()


class Checkout(Base):
    """One payment covering the orders (one per producer) placed together."""

    __tablename__ = "shop_checkout"
    # only a checkout paid with points alone (a flash sale) has nothing to pay in money
    __table_args__ = (
        CheckConstraint("total_fen > 0 OR (total_fen = 0 AND method = 'points')", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, 24))
    total_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    #: A client-chosen key: repeating the same checkout submission returns the same checkout.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: Bank-transfer reference the buyer writes on the transfer (offline methods).
    payment_reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(64), unique=True)
    reserved_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    buyer: Mapped[User] = relationship()
    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class Order(Base):
    """What one buyer ordered from one producer; lines draw from batches."""

    __tablename__ = "shop_order"
    __table_args__ = (
        CheckConstraint("subtotal_fen >= 0 AND shipping_fen >= 0 AND refunded_fen >= 0", name="amounts"),
        CheckConstraint("refunded_fen <= subtotal_fen + shipping_fen", name="refund_within_total"),
        CheckConstraint("discount_fen >= 0 AND shipping_discount_fen >= 0", name="discounts_not_negative"),
        # the producer's workbench counts orders to ship and cash to confirm without reading finished ones
        Index("ix_shop_order_producer_status", "producer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Readable over the phone: digits in groups, e.g. 2611 2348 0517.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("shop_checkout.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, 24), default=OrderStatus.PENDING_PAYMENT, index=True
    )
    recipient: Mapped[str] = mapped_column(String(60))
    mobile: Mapped[str] = mapped_column(String(11))
    province: Mapped[str] = mapped_column(String(40))
    province_code: Mapped[str | None] = mapped_column(String(6))
    city: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(40))
    address_detail: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    #: What the buyer pays for the goods: the lines' list prices less their discounts (``discount_fen``).
    subtotal_fen: Mapped[int] = mapped_column(Integer)
    #: What the buyer pays for shipping (after a free-shipping promotion: ``shipping_discount_fen``).
    shipping_fen: Mapped[int] = mapped_column(Integer, default=0)
    #: Discounts on the goods, every sponsor together (the lines' ``discount_fen``).
    discount_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Shipping fee a sponsor waived (free-shipping promotions); never counted as a sale.
    shipping_discount_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The promotion that waived the shipping fee (its id in the promotions package; no foreign key).
    shipping_promotion_id: Mapped[int | None] = mapped_column(Integer, index=True)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    #: Set when a batch this order drew from was recalled.
    recall_notice: Mapped[str | None] = mapped_column(Text)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    #: The buyer's employer when they opted in to count their purchases toward it (职工个人).
    staff_institution_id: Mapped[int | None] = mapped_column(ForeignKey("shop_institution.id"))
    #: Where the sale happened, fixed when the order is placed (the ledger copies it), and which counter,
    #: fair or livestream (``counter:<id>``, ``livestream:<id>``) when there is one.
    channel: Mapped[Channel] = mapped_column(
        str_enum(Channel, 16), default=Channel.ONLINE, server_default=Channel.ONLINE.value
    )
    channel_ref: Mapped[str | None] = mapped_column(String(40))

    checkout: Mapped[Checkout] = relationship(back_populates="orders")
    buyer: Mapped[User] = relationship()
    producer: Mapped[Producer] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id")

    @property
    def total_fen(self) -> int:
        """What the buyer pays for this order: goods plus shipping (discounts already taken off)."""
        return self.subtotal_fen + self.shipping_fen

    @property
    def list_fen(self) -> int:
        """The goods at their list prices, before discounts."""
        return self.subtotal_fen + self.discount_fen

    @property
    def is_cash_on_delivery(self) -> bool:
        """Paid in cash to the courier on delivery: ships first, paid afterwards."""
        return self.checkout.method is PaymentMethod.CASH_ON_DELIVERY

    @property
    def awaits_shipping(self) -> bool:
        """Paid, or cash on delivery not shipped yet."""
        return self.status is OrderStatus.PAID or (
            self.status is OrderStatus.PENDING_PAYMENT and self.is_cash_on_delivery
        )

    @property
    def awaits_cash(self) -> bool:
        """Cash on delivery delivered (or on its way) whose cash the producer has not confirmed yet."""
        return (
            self.is_cash_on_delivery
            and self.paid_at is None
            and self.status in (OrderStatus.SHIPPED, OrderStatus.RECEIVED)
        )

    def _move(self, target: OrderStatus) -> None:
        if target not in TRANSITIONS[self.status]:
            raise InvalidTransition()
        self.status = target

    def mark_paid(self) -> None:
        """pending_payment → paid."""
        self._move(OrderStatus.PAID)
        self.paid_at = utcnow()

    def mark_shipped(self, carrier: str, tracking_number: str) -> None:
        """paid → shipped (or pending_payment → shipped for cash on delivery), with carrier and tracking."""
        if self.status is OrderStatus.PENDING_PAYMENT and not self.is_cash_on_delivery:
            raise InvalidTransition()
        self._move(OrderStatus.SHIPPED)
        self.carrier, self.tracking_number = carrier, tracking_number
        self.shipped_at = utcnow()

    def mark_received(self) -> None:
        """shipped → received (the buyer confirms)."""
        self._move(OrderStatus.RECEIVED)
        self.received_at = utcnow()

    def mark_cash_collected(self) -> None:
        """Cash on delivery: the producer confirms the cash after shipping (the state stays)."""
        if not self.awaits_cash:
            raise InvalidTransition()
        self.paid_at = utcnow()

    def mark_completed(self) -> None:
        """received → completed (only once paid: cash on delivery must be confirmed first)."""
        if self.paid_at is None:
            raise InvalidTransition()
        self._move(OrderStatus.COMPLETED)
        self.completed_at = utcnow()

    @property
    def is_unpaid(self) -> bool:
        """Nothing was paid for it: awaiting payment, or cash on delivery whose cash was not collected."""
        return self.paid_at is None and (self.status is OrderStatus.PENDING_PAYMENT or self.awaits_cash)

    def cancel(self, reason: str) -> None:
        """Unpaid → cancelled (paid orders are refunded instead): pending payment, or cash on delivery that
        shipped but whose cash was never collected."""
        if not self.is_unpaid:
            raise InvalidTransition()
        self._move(OrderStatus.CANCELLED)
        self.cancelled_at = utcnow()
        self.cancel_reason = reason

    def mark_refunded(self) -> None:
        """Any paid state → refunded (once everything has been refunded)."""
        self._move(OrderStatus.REFUNDED)


def _list_value(context: Any) -> int:
    """Default of a line's ``paid_fen``: its list value (no discount)."""
    params = context.get_current_parameters()
    return int(params["quantity"]) * int(params["unit_price_fen"])


class OrderLine(Base):
    """A product, quantity and unit price (tiers applied) of an order; prices are snapshots.

    The money of a line: ``quantity × unit_price_fen`` is its list value; ``discount_fen`` of it was paid by
    sponsors (one :class:`LineDiscount` per promotion; ``sponsored_fen`` is the part paid by someone other
    than the producer itself) and ``paid_fen`` by the buyer. ``paid_fen + discount_fen`` is always the list
    value, so refunds give back each unit's share of what was really paid.
    """

    __tablename__ = "shop_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND unit_price_fen > 0", name="values_positive"),
        CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refund_within_qty"),
        CheckConstraint(
            "paid_fen >= 0 AND discount_fen >= 0 AND sponsored_fen >= 0 AND sponsored_fen <= discount_fen"
            " AND paid_fen + discount_fen = quantity * unit_price_fen",
            name="money_adds_up",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(8))
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    #: Discounts on this line, every sponsor together.
    discount_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The part of ``discount_fen`` paid by a sponsor other than the producer (the platform, an institution).
    sponsored_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: What the buyer pays for the line: the list value less ``discount_fen``.
    paid_fen: Mapped[int] = mapped_column(Integer, default=_list_value)
    #: A gift (满赠): drawn from batches like any line, discounted in full by the promotion that gives it.
    is_gift: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(back_populates="line", order_by="Allocation.id")
    discounts: Mapped[list[LineDiscount]] = relationship(back_populates="line", order_by="LineDiscount.id")

    @property
    def total_fen(self) -> int:
        """Quantity × unit price: the list value."""
        return self.quantity * self.unit_price_fen

    def paid_share(self, before: int, units: int) -> int:
        """The buyer's money for ``units`` units refunded after ``before`` were: the cumulative share
        ``⌊paid × n / quantity⌋`` taken between the two counts, so refunding every unit, in any steps, gives
        back exactly ``paid_fen`` and never more."""
        return share(self.paid_fen, self.quantity, before, units)

    def sponsored_share(self, before: int, units: int) -> int:
        """The third-party sponsors' money for ``units`` units refunded after ``before`` (as
        :meth:`paid_share`)."""
        return share(self.sponsored_fen, self.quantity, before, units)


def share(amount: int, quantity: int, before: int, units: int) -> int:
    """Cumulative integer share of ``amount`` over ``quantity`` units, for units ``before+1`` to
    ``before+units``."""
    return amount * (before + units) // quantity - amount * before // quantity


class LineDiscount(Base):
    """What one promotion took off one order line, and who pays it (a snapshot of the promotion's name)."""

    __tablename__ = "shop_line_discount"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        # a promotion's report reads its discounts without scanning every order line
        Index("ix_shop_line_discount_promotion_id", "promotion_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("shop_order_line.id", ondelete="CASCADE"), index=True)
    #: The promotion's id in the promotions package (no foreign key: orders do not know that package).
    promotion_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    sponsor_kind: Mapped[SponsorKind] = mapped_column(str_enum(SponsorKind, 16))
    #: The producer's or institution's id (``None`` for the platform).
    sponsor_id: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)

    line: Mapped[OrderLine] = relationship(back_populates="discounts")


class Allocation(Base):
    """Units of an order line drawn from one batch (so every unit sold has its QR trail)."""

    __tablename__ = "shop_allocation"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="qty_positive"),
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= quantity", name="returned_within"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("shop_order_line.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    #: Units given back to the batch (expired reservation, cancellation, refund before shipping).
    returned_quantity: Mapped[int] = mapped_column(Integer, default=0)

    line: Mapped[OrderLine] = relationship(back_populates="allocations")
    batch: Mapped[Batch] = relationship()


class Rating(Base):
    """A buyer's rating of a product and its producer after receipt (one per order line)."""

    __tablename__ = "shop_rating"
    __table_args__ = (
        UniqueConstraint("line_id"),
        CheckConstraint("product_stars BETWEEN 1 AND 5 AND producer_stars BETWEEN 1 AND 5", name="stars"),
        # the newest reviews of a product or a producer, a page at a time (orders.reviews)
        Index("ix_shop_rating_product_id_created_at", "product_id", "created_at"),
        Index("ix_shop_rating_producer_id_created_at", "producer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("shop_order_line.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    product_stars: Mapped[int] = mapped_column(Integer)
    producer_stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()
    producer: Mapped[Producer] = relationship()
