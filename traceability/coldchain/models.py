"""Sensor readings of batches (one row per reading per batch) and each batch's cold-chain summary.

Values are kept as integers in hundredths of the unit (°C for temperature, % for relative humidity): exact,
comparable and no floats in the database. The summary row is what a trace page reads: its totals, the first
excursion and a curve already reduced to at most :data:`traceability.coldchain.curve.MAX_POINTS` points, so
a scan costs one primary-key read however many readings a logger uploaded.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, str_enum, utcnow


class ReadingSource(enum.StrEnum):
    """Where a reading came from."""

    EVENT = "event"  # an event captured from a partner's system (EPCIS sensorElementList)
    LOGGER = "logger"  # a data logger's CSV uploaded for the batch


class Measurement(enum.StrEnum):
    """What is measured (CBV measurement types we keep)."""

    TEMPERATURE = "Temperature"
    RELATIVE_HUMIDITY = "RelativeHumidity"


class SensorReading(Base):
    """One reading of one batch (an event about several batches gives each of them a row)."""

    __tablename__ = "traceability_sensor_reading"
    __table_args__ = (Index("ix_traceability_sensor_reading_batch_time", "batch_id", "measured_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"))
    measurement: Mapped[Measurement] = mapped_column(str_enum(Measurement, 24))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Hundredths of °C (temperature) or of % (humidity); a single value or a min/max/mean summary.
    value: Mapped[int | None] = mapped_column(Integer)
    min_value: Mapped[int | None] = mapped_column(Integer)
    max_value: Mapped[int | None] = mapped_column(Integer)
    mean_value: Mapped[int | None] = mapped_column(Integer)
    is_alarm: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[ReadingSource] = mapped_column(str_enum(ReadingSource, 16))
    place: Mapped[str] = mapped_column(String(200), default="")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("traceability_event.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))


class ColdChainSummary(Base):
    """A batch's temperature readings reduced to what its trace page shows (rewritten on every capture)."""

    __tablename__ = "traceability_cold_chain_summary"

    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), primary_key=True)
    #: Grows with every capture: part of the trace page's version (its ETag).
    version: Mapped[int] = mapped_column(Integer, default=0)
    reading_count: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Lowest and highest temperature seen (hundredths of °C).
    lowest: Mapped[int | None] = mapped_column(Integer)
    highest: Mapped[int | None] = mapped_column(Integer)
    alarm_count: Mapped[int] = mapped_column(Integer, default=0)
    #: ``[[epoch seconds, low, high], …]``, time-ordered, at most ``curve.MAX_POINTS`` entries.
    curve: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The product's cold-chain kind when the summary was written (``None``: no range), and the first reading
    #: out of that range or with an alarm (``None``: none), so a page needs no search for it.
    range_kind: Mapped[str | None] = mapped_column(String(24))
    excursion_id: Mapped[int | None] = mapped_column(Integer)
    #: Distinct places in order of first appearance, at most a few (for the verdict's wording).
    places: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
