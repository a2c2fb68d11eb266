"""Institutions (government units, schools, hospitals, firms, unions, partners), members, plans, staff."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
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
    #: An enterprise of 万企兴万村 buying farm products as raw materials for its own production.
    VILLAGE_ENTERPRISE = "village_enterprise"  # 万企兴万村企业


class InstitutionStatus(enum.StrEnum):
    """Where an institution's registration stands; only verified institutions order."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class InstitutionRole(enum.StrEnum):
    """What a member does for the institution (maker–checker needs buyer and approver apart)."""

    BUYER = "buyer"
    APPROVER = "approver"
    FINANCE = "finance"


#: Counties an institution is paired with (对口帮扶): partner cities buy from the places they help.
institution_pairing = Table(
    "shop_institution_pairing",
    Base.metadata,
    Column("institution_id", ForeignKey("shop_institution.id", ondelete="CASCADE"), primary_key=True),
    Column("county_id", ForeignKey("core_region.id", ondelete="CASCADE"), primary_key=True),
)


class Institution(Base):
    """An organisation that buys in bulk and reports toward an assistance quota."""

    __tablename__ = "shop_institution"
    __table_args__ = (CheckConstraint("spending_limit_fen IS NULL OR spending_limit_fen >= 0", name="limit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[InstitutionKind] = mapped_column(str_enum(InstitutionKind, 32))
    #: 统一社会信用代码 (GB 32100-2015), validated with catalog.validators.validate_credit_code.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    #: City or county the institution sits in (any level of the region tree).
    region_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[InstitutionStatus] = mapped_column(
        str_enum(InstitutionStatus, 16), default=InstitutionStatus.PENDING, index=True
    )
    status_reason: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    #: A buyer's purchase order above this total needs an approver (None: no limit).
    spending_limit_fen: Mapped[int | None] = mapped_column(Integer)
    #: Every purchase order needs an approver other than its buyer.
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region | None] = relationship()
    members: Mapped[list[InstitutionMember]] = relationship(
        back_populates="institution", cascade="all, delete-orphan"
    )
    paired_counties: Mapped[list[Region]] = relationship(secondary=institution_pairing)
    plans: Mapped[list[AnnualPlan]] = relationship(
        back_populates="institution", cascade="all, delete-orphan", order_by="AnnualPlan.year.desc()"
    )

    @property
    def is_verified(self) -> bool:
        """Verified institutions may order; pending, rejected and suspended ones may not."""
        return self.status is InstitutionStatus.VERIFIED

    def roles_of(self, user: User) -> set[InstitutionRole]:
        """The roles ``user`` holds in this institution (empty when not a member)."""
        return {m.role for m in self.members if m.user_id == user.id}


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


class AnnualPlan(Base):
    """An institution's year: canteen farm-product budget and the share reserved for assistance products."""

    __tablename__ = "shop_annual_plan"
    __table_args__ = (
        UniqueConstraint("institution_id", "year"),
        CheckConstraint("canteen_budget_fen >= 0", name="budget"),
        CheckConstraint("reserved_share_permille BETWEEN 0 AND 1000", name="share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("shop_institution.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    canteen_budget_fen: Mapped[int] = mapped_column(Integer, default=0)
    #: Share of the canteen budget reserved for products of formerly poor areas, in ‰ (300 = 30%).
    reserved_share_permille: Mapped[int] = mapped_column(Integer, default=300)
    has_no_canteen: Mapped[bool] = mapped_column(Boolean, default=False)
    canteen_outsourced: Mapped[bool] = mapped_column(Boolean, default=False)
    canteen_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Region ids of counties to feature on the institution's ordering pages.
    featured_county_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    institution: Mapped[Institution] = relationship(back_populates="plans")

    @property
    def reserved_fen(self) -> int:
        """The year's target in fen: budget × reserved share (rounded down to the fen)."""
        return self.canteen_budget_fen * self.reserved_share_permille // 1000


class StaffLink(Base):
    """A user's opt-in: their consumer-shop purchases count toward their employer as 职工个人."""

    __tablename__ = "shop_staff_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("shop_institution.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    institution: Mapped[Institution] = relationship()
