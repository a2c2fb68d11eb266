"""Coupon batches and their codes.

A batch belongs to one promotion (which then applies only with one of its codes). Codes are either claimed by
consumers one each (``claimed``: at most ``max_codes`` codes, counted by one conditional UPDATE) or all made
at once for the sponsor to print and hand out (``distributed``). Each code may be used ``uses_per_code``
times (1: single-use), counted by one conditional UPDATE; a claimed code only by its owner.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, str_enum, utcnow
from promotions.offers.models import Promotion


class CouponMode(enum.StrEnum):
    """How codes reach buyers."""

    CLAIMED = "claimed"  # a consumer claims one on the coupons page
    DISTRIBUTED = "distributed"  # printed and handed out by the sponsor


class CouponBatch(Base):
    """Codes of one promotion, valid from ``starts_at`` to ``ends_at``."""

    __tablename__ = "promotions_coupon_batch"
    __table_args__ = (
        CheckConstraint("max_codes > 0 AND issued >= 0 AND issued <= max_codes", name="codes"),
        CheckConstraint("uses_per_code > 0", name="uses_positive"),
        CheckConstraint("ends_at > starts_at", name="window"),
        # the public list of batches open for claiming
        Index("ix_promotions_coupon_batch_mode_ends_at", "mode", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotions_promotion.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[CouponMode] = mapped_column(str_enum(CouponMode, 16))
    max_codes: Mapped[int] = mapped_column(Integer)
    #: Codes made so far (claimed ones one by one; distributed ones all at once).
    issued: Mapped[int] = mapped_column(Integer, default=0)
    uses_per_code: Mapped[int] = mapped_column(Integer, default=1)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    promotion: Mapped[Promotion] = relationship()


class Coupon(Base):
    """One code: whose it is (claimed codes), how many times it was used."""

    __tablename__ = "promotions_coupon"
    __table_args__ = (
        UniqueConstraint("batch_id", "owner_id"),  # one claimed code per consumer and batch
        CheckConstraint("uses >= 0", name="uses_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("promotions_coupon_batch.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    batch: Mapped[CouponBatch] = relationship()


class CouponUse(Base):
    """One checkout that used a coupon, by the checkout's idempotency key (orders do not know coupons): when
    all its orders are cancelled unpaid, the use is given back."""

    __tablename__ = "promotions_coupon_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("promotions_coupon.id", ondelete="CASCADE"), index=True)
    checkout_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
