"""Producers (the platform's sellers) and who may act for them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
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


class ProducerStatus(enum.StrEnum):
    """Review state of a producer."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class MemberRole(enum.StrEnum):
    """What a member may do for their producer."""

    OWNER = "owner"
    STAFF = "staff"


class Producer(Base):
    """A household, farm, cooperative or enterprise that sells through the platform."""

    __tablename__ = "catalog_producer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[ProducerKind] = mapped_column(str_enum(ProducerKind, 32))
    status: Mapped[ProducerStatus] = mapped_column(
        str_enum(ProducerStatus, 16), default=ProducerStatus.PENDING, index=True
    )
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    county: Mapped[Region] = relationship()
    members: Mapped[list[ProducerMember]] = relationship(
        back_populates="producer", cascade="all, delete-orphan"
    )

    @property
    def is_approved(self) -> bool:
        """Whether buyers may see this producer's products."""
        return self.status == ProducerStatus.APPROVED


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
