"""Running rating totals per product and per producer, and the producer's reply to a rating.

The totals are kept in the transaction that writes a rating, so a page reads one row by primary key for an
average, whatever the number of ratings; their ``version`` also moves with a reply, so a page's conditional
GET (its ETag) changes whenever what its reviews show does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.models import User


class ProductRatingSummary(Base):
    """How many ratings a product has and the sum of their product stars."""

    __tablename__ = "shop_product_rating_summary"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0)
    star_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Raised by every rating and every reply about the product (part of its pages' ETag).
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProducerRatingSummary(Base):
    """How many ratings a producer has and the sum of their producer stars."""

    __tablename__ = "shop_producer_rating_summary"

    producer_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_producer.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0)
    star_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Raised by every rating and every reply about the producer (part of its pages' ETag).
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RatingReply(Base):
    """The producer's public reply to one rating (one per rating; its members may edit it)."""

    __tablename__ = "shop_rating_reply"

    rating_id: Mapped[int] = mapped_column(ForeignKey("shop_rating.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
