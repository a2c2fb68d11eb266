"""Producers (the platform's sellers), who acts for them, and how they bring households along."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User


class ProducerKind(enum.StrEnum):
    """Kinds of seller organisation named in the county plans."""

    HOUSEHOLD = "household"  # 农户
    FAMILY_FARM = "family_farm"  # 家庭农场
    COOPERATIVE = "cooperative"  # 农民合作社 (and 联合社)
    LEADING_ENTERPRISE = "leading_enterprise"  # 龙头企业
    VILLAGE_COLLECTIVE = "village_collective"  # 村集体经济组织
    ASSISTANCE_WORKSHOP = "assistance_workshop"  # 帮扶车间

    @property
    def is_organisation(self) -> bool:
        """Organisations give a unified social credit code; households give a phone number instead."""
        return self is not ProducerKind.HOUSEHOLD


class ProducerStatus(enum.StrEnum):
    """Review state of a producer: pending → approved / rejected; approved ⇄ suspended."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class LinkageMode(enum.StrEnum):
    """How a producer brings poverty-alleviated households along (联农带农)."""

    ORDER_PURCHASE = "order_purchase"  # 订单收购
    GUARANTEED_DIVIDEND = "guaranteed_dividend"  # 保底分红
    EQUITY_COOPERATION = "equity_cooperation"  # 股份合作
    PROFIT_RETURN = "profit_return"  # 利润返还
    PRIORITY_EMPLOYMENT = "priority_employment"  # 优先雇用
    LAND_TRANSFER = "land_transfer"  # 土地流转


class MemberRole(enum.StrEnum):
    """What a member may do for their producer."""

    OWNER = "owner"
    STAFF = "staff"


class Producer(Base):
    """A household, farm, cooperative or enterprise that sells through the platform."""

    __tablename__ = "catalog_producer"
    __table_args__ = (
        CheckConstraint("lifted_households >= 0 AND monitored_households >= 0", name="household_counts"),
        # a county's page lists its producers by name, a page at a time
        Index("ix_catalog_producer_county_name", "county_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[ProducerKind] = mapped_column(str_enum(ProducerKind, 32))
    status: Mapped[ProducerStatus] = mapped_column(
        str_enum(ProducerStatus, 16), default=ProducerStatus.PENDING, index=True
    )
    #: 统一社会信用代码 (organisations); unique when given.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    #: Mainland mobile number, 11 digits (households identify by it).
    contact_phone: Mapped[str | None] = mapped_column(String(11))
    description: Mapped[str | None] = mapped_column(Text)
    logo_key: Mapped[str | None] = mapped_column(String(32))
    licence_key: Mapped[str | None] = mapped_column(String(32))
    #: Benefit linkage: counts only, never names (脱贫户, 监测户).
    lifted_households: Mapped[int] = mapped_column(Integer, default=0)
    monitored_households: Mapped[int] = mapped_column(Integer, default=0)
    linkage_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    county: Mapped[Region] = relationship(foreign_keys=[county_id])
    township: Mapped[Region | None] = relationship(foreign_keys=[township_id])
    village: Mapped[Region | None] = relationship(foreign_keys=[village_id])
    members: Mapped[list[ProducerMember]] = relationship(
        back_populates="producer", cascade="all, delete-orphan"
    )

    @property
    def is_approved(self) -> bool:
        """Whether buyers may see this producer's products."""
        return self.status == ProducerStatus.APPROVED

    @property
    def location(self) -> Region:
        """The most precise region known: village, else township, else county."""
        return self.village or self.township or self.county

    @property
    def households_total(self) -> int:
        """All households brought along, of both categories."""
        return self.lifted_households + self.monitored_households


class ProducerMember(Base):
    """A user acting for a producer."""

    __tablename__ = "catalog_producer_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    producer: Mapped[Producer] = relationship(back_populates="members")
    user: Mapped[User] = relationship(backref="producer_memberships")

    __table_args__ = (UniqueConstraint("producer_id", "user_id"),)


class ProducerInvitation(Base):
    """An invitation for a user (by e-mail) to act for a producer; accepted once, by that user."""

    __tablename__ = "catalog_producer_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_producer.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, 16))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    producer: Mapped[Producer] = relationship()
