"""Who may use a promotion or a flash sale, and the invitation codes that make a buyer eligible.

An invitation code belongs to one promotion or one flash sale (never both) and is claimed once, by one
buyer, by a single conditional UPDATE (``… WHERE user_id IS NULL``); that buyer may then use it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class Eligibility(enum.StrEnum):
    """Who may use it."""

    EVERYONE = "everyone"
    NEW_BUYERS = "new_buyers"  # buyers without a paid order yet
    STAFF = "staff"  # members of one institution (its staff)
    INVITED = "invited"  # buyers who entered one of its invitation codes (a partner city's residents)


class Invitation(Base):
    """One invitation code of a promotion or a flash sale, and the buyer who claimed it."""

    __tablename__ = "promotions_invitation"
    __table_args__ = (
        CheckConstraint("(promotion_id IS NULL) <> (flash_sale_id IS NULL)", name="one_target"),
        # is this buyer invited to it? (one indexed lookup at checkout and at the press)
        Index("ix_promotions_invitation_promotion_user", "promotion_id", "user_id"),
        Index("ix_promotions_invitation_flash_sale_user", "flash_sale_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    promotion_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotions_promotion.id", ondelete="CASCADE")
    )
    flash_sale_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotions_flash_sale.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
