"""Community group-buying (社区团购): group leaders with a pick-up point, the rounds they open, the orders
members place in a round, and the one delivery each producer ships to the pick-up point.

A leader applies and the county office of the pick-up point (or an administrator) approves. A member joins a
round (carried in the session cookie to checkout, see :mod:`channels.groupbuy.receivers`); their orders of
the round's products carry the channel ``group_buy`` and ``groupbuy:<round>`` and a :class:`GroupOrder` row
whose sums move on payment and refund, with the round's and the leader's roll-ups, so no page reads the
order table or the ledger as a whole.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User
from orders.models import Order


class LeaderStatus(enum.StrEnum):
    """Where a leader's application stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class GroupLeader(Base):
    """A user who gathers their neighbours' orders (团长), with the pick-up point where members collect them,
    and their running credit (sales brought, counted assistance; refunds subtracted)."""

    __tablename__ = "channels_group_leader"
    __table_args__ = (
        CheckConstraint("commission_bp >= 0 AND commission_bp <= 10000", name="commission_range"),
        # the county office's queue of applications
        Index("ix_channels_group_leader_county_status", "county_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), unique=True)
    point_name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    #: The pick-up point's region (a county or below) and its county (whose office approves).
    region_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    opening_hours: Mapped[str] = mapped_column(String(120))
    status: Mapped[LeaderStatus] = mapped_column(str_enum(LeaderStatus, 16), default=LeaderStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The leader's commission in basis points of sales (shown only: no payout is made here).
    commission_bp: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Paid orders brought, goods sold less refunded, the counted part, and refunds (roll-ups).
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    sales_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    counted_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    user: Mapped[User] = relationship()
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    county: Mapped[Region] = relationship(foreign_keys=[county_id])

    @property
    def is_approved(self) -> bool:
        """Whether the leader may open rounds."""
        return self.status is LeaderStatus.APPROVED

    @property
    def trace_place(self) -> str:
        """The place the pick-up point's events show on a lot's trace page."""
        return f"{self.point_name}（{self.address}）"[:200]


class GroupRound(Base):
    """One group order (团购): products a leader offers until ``closes_at``, collected on ``pickup_on``."""

    __tablename__ = "channels_group_round"
    __table_args__ = (
        Index("ix_channels_group_round_leader", "leader_id", "id"),
        # the public list of open rounds, closing soonest first
        Index("ix_channels_group_round_closes_at", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("channels_group_leader.id"))
    title: Mapped[str] = mapped_column(String(120))
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pickup_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Roll-ups of its members' paid orders (refunds subtracted), as on :class:`GroupOrder`.
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    sales_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    counted_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    leader: Mapped[GroupLeader] = relationship()
    products: Mapped[list[GroupProduct]] = relationship(
        back_populates="round", order_by="GroupProduct.id", cascade="all, delete-orphan"
    )

    @property
    def channel_ref(self) -> str:
        """What its orders carry in ``Order.channel_ref``."""
        return f"groupbuy:{self.id}"

    def is_open(self, now: datetime) -> bool:
        """Whether members may still join and order."""
        return now < self.closes_at


class GroupProduct(Base):
    """A product offered in a round."""

    __tablename__ = "channels_group_product"
    __table_args__ = (UniqueConstraint("round_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("channels_group_round.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)

    round: Mapped[GroupRound] = relationship(back_populates="products")
    product: Mapped[Product] = relationship()


class GroupOrder(Base):
    """A member's order in a round, with its running sums and when the leader handed it out."""

    __tablename__ = "channels_group_order"
    __table_args__ = (
        Index("ix_channels_group_order_round", "round_id", "id"),
        # the producer's list of rounds to deliver
        Index("ix_channels_group_order_producer_round", "producer_id", "round_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("channels_group_round.id"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("channels_group_leader.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Goods paid less goods refunded (shipping never counts), in fen, and the part that counts.
    sales_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    counted_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The delivery to the pick-up point the order travelled in (set when the producer ships it).
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("channels_group_delivery.id"), index=True)
    handed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    order: Mapped[Order] = relationship()
    round: Mapped[GroupRound] = relationship()
    producer: Mapped[Producer] = relationship()
    delivery: Mapped[GroupDelivery | None] = relationship()


class GroupDelivery(Base):
    """A delivery a producer ships to a round's pick-up point, received there by the leader: one per round
    and producer when the round closes, and one more for orders paid after it left (a bank transfer
    confirmed late)."""

    __tablename__ = "channels_group_delivery"
    __table_args__ = (Index("ix_channels_group_delivery_round_producer", "round_id", "producer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("channels_group_round.id"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    orders_count: Mapped[int] = mapped_column(Integer)
    #: The units shipped per lot (``{"<batch id>": quantity}``): what the pick-up point receives.
    lots: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    round: Mapped[GroupRound] = relationship()
    producer: Mapped[Producer] = relationship()
