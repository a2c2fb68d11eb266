"""A producer's standing as last assessed, and the level its county office decided."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from core.db import Base, UTCDateTime, str_enum, utcnow


class StandingLevel(enum.StrEnum):
    """What the county office decided (or the assessment recommends), mildest first."""

    GOOD = "good"
    WARNED = "warned"  # 警告
    RESTRICTED = "restricted"  # 限制上新: no new listings
    SUSPENDED = "suspended"  # 暂停销售

    @property
    def rank(self) -> int:
        """0 for good up to 3 for suspended."""
        return list(StandingLevel).index(self)


class ProducerStanding(Base):
    """One row per assessed producer: the score and reasons of its last assessment, and the decided level.

    The desk lists a county's rows lowest score first; the assessment itself is recomputed from the
    producer's own records (:mod:`oversight.standing.assessment`), never from the whole catalog.
    """

    __tablename__ = "oversight_producer_standing"
    __table_args__ = (Index("ix_oversight_producer_standing_county_score", "county_id", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_producer.id", ondelete="CASCADE"), unique=True
    )
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    score: Mapped[int] = mapped_column(Integer)
    #: The deductions behind the score: ``[{"code": ..., "count": ..., "points": ...}]``.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    recommended: Mapped[StandingLevel] = mapped_column(str_enum(StandingLevel, 16))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    level: Mapped[StandingLevel] = mapped_column(str_enum(StandingLevel, 16), default=StandingLevel.GOOD)
    level_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    producer: Mapped[Producer] = relationship()
