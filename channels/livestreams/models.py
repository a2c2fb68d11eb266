"""Livestreams (直播带货): a session with its host, time, featured products and replay; sharers' links; the
orders attributed to a session (and to the sharer whose link brought the buyer), with running sums.

An order is attributed when it is placed (the session and sharer carried in the buyer's session cookie from
the session page, see :mod:`channels.livestreams.receivers`); its sums move when it is paid and refunded, in
the same transaction as the sales ledger, so the session report reads a few rows per session, never the
ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.products.models import Product
from core.db import Base, UTCDateTime, utcnow
from core.models import User
from orders.models import Order


class LiveSession(Base):
    """One livestream: who hosts it, when, what it features, and where its replay is."""

    __tablename__ = "channels_live_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    #: The host as shown (an anchor, a county head, a producer: 主播).
    host: Mapped[str] = mapped_column(String(60))
    #: The organisation that runs it (a producer, an institution, a county office), shown publicly.
    organiser_name: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replay_url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User] = relationship()
    featured: Mapped[list[LiveProduct]] = relationship(
        back_populates="session", order_by="LiveProduct.id", cascade="all, delete-orphan"
    )

    @property
    def channel_ref(self) -> str:
        """What its orders carry in ``Order.channel_ref``."""
        return f"livestream:{self.id}"

    def is_live(self, now: datetime) -> bool:
        """Whether the stream is on at ``now``."""
        return self.starts_at <= now <= self.ends_at


class LiveProduct(Base):
    """A product featured in a session: orders containing one of them are attributed to the session."""

    __tablename__ = "channels_live_product"
    __table_args__ = (UniqueConstraint("session_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("channels_live_session.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)

    session: Mapped[LiveSession] = relationship(back_populates="featured")
    product: Mapped[Product] = relationship()


class LiveSharer(Base):
    """A user's link to a session (``?share=<token>``): orders it brings are credited to them."""

    __tablename__ = "channels_live_sharer"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("channels_live_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class LiveOrder(Base):
    """An order attributed to a session (and a sharer), with its running sums: goods paid minus refunded,
    and the part of it that counts toward assistance (by the ledger's rule, on the day of payment)."""

    __tablename__ = "channels_live_order"
    __table_args__ = (Index("ix_channels_live_order_session_sharer", "session_id", "sharer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("channels_live_session.id"))
    sharer_id: Mapped[int | None] = mapped_column(ForeignKey("channels_live_sharer.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Goods paid, less goods refunded (shipping never counts), in fen.
    sales_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The part of ``sales_fen`` that counts toward assistance.
    counted_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    order: Mapped[Order] = relationship()
