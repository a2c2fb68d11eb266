"""Assistance groups, their member institutions, the towns and villages they are paired with, and their
yearly targets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.models import Region
from procurement.institutions.models import Institution

#: The towns and villages of its county a group is paired with (结对帮扶).
group_pairing = Table(
    "channels_assistance_pairing",
    Base.metadata,
    Column("group_id", ForeignKey("channels_assistance_group.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("core_region.id"), primary_key=True),
)


class AssistanceGroup(Base):
    """One assistance group (帮扶集团) helping one county, led by one of its member institutions."""

    __tablename__ = "channels_assistance_group"
    __table_args__ = (UniqueConstraint("county_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The county the group helps: its reviewers keep the group.
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("shop_institution.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    county: Mapped[Region] = relationship()
    lead: Mapped[Institution] = relationship()
    members: Mapped[list[AssistanceGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="AssistanceGroupMember.id"
    )
    pairings: Mapped[list[Region]] = relationship(secondary=group_pairing, order_by="Region.code")
    targets: Mapped[list[AssistanceGroupTarget]] = relationship(
        cascade="all, delete-orphan", order_by="AssistanceGroupTarget.year"
    )

    def member_ids(self) -> list[int]:
        """The ids of its member institutions (the lead among them)."""
        return [member.institution_id for member in self.members]

    def target_for(self, year: int) -> int | None:
        """The group's target for ``year`` in fen, if one was set."""
        return next((t.amount_fen for t in self.targets if t.year == year), None)


class AssistanceGroupMember(Base):
    """An institution's membership of a group."""

    __tablename__ = "channels_assistance_member"
    __table_args__ = (UniqueConstraint("group_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("channels_assistance_group.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("shop_institution.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[AssistanceGroup] = relationship(back_populates="members")
    institution: Mapped[Institution] = relationship()


class AssistanceGroupTarget(Base):
    """What a group is to buy in one Asia/Shanghai calendar year, in fen."""

    __tablename__ = "channels_assistance_target"
    __table_args__ = (
        UniqueConstraint("group_id", "year"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("channels_assistance_group.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
