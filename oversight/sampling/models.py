"""A quality sample (抽检) taken from one batch, and its result."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import User
from traceability.models import Batch


class SampleResult(enum.StrEnum):
    """pending → passed or failed (recorded once; a re-test is a new sample)."""

    PENDING = "pending"  # 待检
    PASSED = "passed"  # 合格
    FAILED = "failed"  # 不合格


class QualitySample(Base):
    """One sample of one batch: recorded by a reviewer of the producer's county, its result at once or later.

    ``producer_id`` and ``county_id`` are copied from the batch when it is recorded, so the reviewer's list
    (by county), the producer's list and the standing assessment (by producer) read their own index.
    """

    __tablename__ = "oversight_quality_sample"
    __table_args__ = (
        Index("ix_oversight_quality_sample_county", "county_id", "id"),
        Index("ix_oversight_quality_sample_producer", "producer_id", "result", "result_at"),
        Index("ix_oversight_quality_sample_batch", "batch_id", "result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    #: When and where it was taken (UTC), and who took it (a person's name or a unit, as written).
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    sampled_by: Mapped[str] = mapped_column(String(120))
    lab: Mapped[str] = mapped_column(String(120))
    #: The items tested, e.g. ``["农药残留", "重金属"]``.
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The lab's report (a PDF under the upload folder), when one was uploaded.
    report_key: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[SampleResult] = mapped_column(str_enum(SampleResult, 16), default=SampleResult.PENDING)
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_note: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    result_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    batch: Mapped[Batch] = relationship()
    producer: Mapped[Producer] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def is_decided(self) -> bool:
        """Whether its result is recorded (passed or failed)."""
        return self.result != SampleResult.PENDING
