"""The points ledger: one append-only entry per change, and each user's balance kept with it.

Entries are never changed or deleted: earning, spending, expiry and claw-back on refunds each add one. The
balance only moves by single conditional statements (``… WHERE balance >= x``), so it never goes below zero
however many requests spend at once. Earned points expire ``expires_at``; spending and expiry take the oldest
points first, so the points expired by a moment are what was earned expiring by then less everything taken
out so far (:func:`promotions.points.services.expire_points`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, str_enum, utcnow


class PointsKind(enum.StrEnum):
    """Why the points changed."""

    EARNED = "earned"  # a paid order
    SPENT = "spent"
    EXPIRED = "expired"
    CLAWED_BACK = "clawed_back"  # a refund of an order that earned them
    RETURNED = "returned"  # a refund of an order paid with them (a flash sale): given back, valid anew
    RESERVED = "reserved"  # taken for a points + cash flash purchase awaiting its cash (returned if unpaid)
    AWARDED = "awarded"  # an assistance action the platform rewards (promotions.points.actions)


class PointsAccount(Base):
    """A user's points balance (never negative)."""

    __tablename__ = "promotions_points_account"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsEntry(Base):
    """One change of a user's points (append-only): positive when earned, negative otherwise."""

    __tablename__ = "promotions_points_entry"
    __table_args__ = (
        # the same order earns (or is clawed back) once, whoever writes it first
        UniqueConstraint("kind", "source", "source_id"),
        CheckConstraint("points <> 0", name="points_not_zero"),
        Index("ix_promotions_points_entry_user_id_id", "user_id", "id"),
        # the expiry job reads the earned points whose time has come
        Index("ix_promotions_points_entry_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    kind: Mapped[PointsKind] = mapped_column(str_enum(PointsKind, 16))
    points: Mapped[int] = mapped_column(Integer)
    #: What it is about: ``order`` (an order's id), ``refund`` (a refund's id), ``expiry`` (a run's moment).
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(Integer)
    #: Earned and returned points only: when they expire.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssistanceAction(enum.StrEnum):
    """Assistance actions the platform may reward with points (each at most once per subject)."""

    FIRST_RATING = "first_rating"  # the first rating of a received order (subject: the order)
    STAFF_PURCHASE = "staff_purchase"  # an institution's staff member's paid personal order (the order)
    COMPLAINT_UPHELD = "complaint_upheld"  # a signed-in reporter's complaint found founded (the complaint)


class PointsAction(Base):
    """How many points one assistance action earns, and whether it earns any now (set by administrators)."""

    __tablename__ = "promotions_points_action"
    __table_args__ = (CheckConstraint("points >= 0 AND points <= 100000", name="points_range"),)

    action: Mapped[AssistanceAction] = mapped_column(str_enum(AssistanceAction, 16), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
