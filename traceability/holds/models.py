"""A hold keeps a batch off sale until a reviewer releases it; each hold is one row, its history kept."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import User
from traceability.models import Batch


class HoldReason(enum.StrEnum):
    """Why a batch is held (quality sampling will hold batches the same way)."""

    COLD_CHAIN = "cold_chain"  # a temperature excursion or a logger's alarm
    QUALITY_SAMPLING = "quality_sampling"  # 抽检


class BatchHold(Base):
    """One hold of one batch: opened (by a person or by the system, e.g. on an excursion), then closed by a
    reviewer with a reason. While a batch has an open hold its ``is_on_hold`` is set and nothing is sold."""

    __tablename__ = "traceability_batch_hold"
    __table_args__ = (
        # a batch's open holds (closed_at NULL) and its history, newest first
        Index("ix_traceability_batch_hold_batch", "batch_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"))
    reason: Mapped[HoldReason] = mapped_column(str_enum(HoldReason, 24))
    #: When what caused it happened (the first reading out of range), UTC; and where.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    #: What was found, for people (e.g. "−12.5 °C, range ≤ −18 °C") and for machines.
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ``None`` when the system opened it (an excursion in captured readings).
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    close_reason: Mapped[str | None] = mapped_column(String(500))

    batch: Mapped[Batch] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_open(self) -> bool:
        """Whether the hold still keeps the batch off sale."""
        return self.closed_at is None
