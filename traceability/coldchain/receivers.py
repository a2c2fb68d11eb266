"""Readings captured with an event from a partner's system
(:data:`traceability.signals.sensor_readings_captured`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceability.coldchain.models import ReadingSource
from traceability.coldchain.services import record_readings
from traceability.models import Batch
from traceability.signals import SensorReading


def readings_captured(
    session: Session,
    *,
    batch_ids: list[int],
    event_id: int | None = None,
    place: str = "",
    readings: list[SensorReading],
    **_: Any,
) -> None:
    """Store the readings for each batch in the capturing transaction; an excursion holds the batch.

    Without an event (``event_id`` ``None``) the readings came from a data logger. Does not commit.
    """
    if not batch_ids or not readings:
        return
    batches = list(session.scalars(select(Batch).where(Batch.id.in_(batch_ids)).order_by(Batch.id)))
    source = ReadingSource.EVENT if event_id is not None else ReadingSource.LOGGER
    record_readings(session, batches, readings, source=source, place=place or "", event_id=event_id)
