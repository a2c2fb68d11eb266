"""Institutions (government units, schools, hospitals, state firms, unions, partners) and their members."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User


class InstitutionKind(enum.StrEnum):
    """Kinds of institutional buyer named in national policy and the county plans."""

    BUDGET_UNIT = "budget_unit"  # 党政机关/事业单位
    SCHOOL = "school"  # 学校
    HOSPITAL = "hospital"  # 医院
    STATE_FIRM = "state_firm"  # 国有企业
    FINANCIAL = "financial"  # 金融机构
    UNION = "union"  # 工会
    SUPERMARKET = "supermarket"  # 商超
    PRIVATE_FIRM = "private_firm"  # 民营企业
    PARTNER = "partner"  # 对口帮扶单位


class InstitutionRole(enum.StrEnum):
    """What a member does for the institution (maker–checker needs buyer and approver apart)."""

    BUYER = "buyer"
    APPROVER = "approver"
    FINANCE = "finance"


class Institution(Base):
    """An organisation that buys in bulk and reports toward an assistance quota."""

    __tablename__ = "shop_institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[InstitutionKind] = mapped_column(str_enum(InstitutionKind, 32))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region | None] = relationship()
    members: Mapped[list[InstitutionMember]] = relationship(
        back_populates="institution", cascade="all, delete-orphan"
    )


class InstitutionMember(Base):
    """A user acting for an institution in one role."""

    __tablename__ = "shop_institution_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("shop_institution.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[InstitutionRole] = mapped_column(str_enum(InstitutionRole, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship(back_populates="members")
    user: Mapped[User] = relationship(backref="institution_memberships")

    __table_args__ = (UniqueConstraint("institution_id", "user_id", "role"),)
