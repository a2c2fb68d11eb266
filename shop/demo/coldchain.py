"""Demo cold-chain readings: the data logger that travelled with each lot of frozen or chilled demo meat,
so the trace page shows its verdict and curve. Every reading is inside the safe range (the demo shows the
good case; an excursion would put the lot on hold)."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from traceability.coldchain.models import ReadingSource, SensorReading
from traceability.coldchain.ranges import range_of
from traceability.coldchain.services import record_readings
from traceability.models import Batch, BatchStatus
from traceability.signals import SensorReading as CapturedReading

#: A reading every two hours over the last three days.
READINGS = 36


def _temperatures(low: int, high: int) -> list[float]:
    """A gentle curve well inside ``[low, high]`` (hundredths of °C; a door opened now and then), in °C, one
    value per reading."""
    middle, swing = (low + high) / 200, (high - low) / 400
    pattern = (0.0, 0.3, 0.6, 0.2, -0.2, -0.5, -0.3, 0.1, 0.8, 0.4, -0.1, -0.4)
    return [round(middle + swing * pattern[i % len(pattern)], 1) for i in range(READINGS)]


def seed_cold_chain(session: Session) -> int:
    """Give each active demo lot recorded in the last two days whose product has a safe range, and no readings
    yet, a logger's readings over the last three days; return how many lots got them. Lots of the demo's
    history (:mod:`shop.demo.history`, recorded on their past days) get none. Does not commit."""
    seeded = 0
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    recent = Batch.created_at >= now - timedelta(days=2)
    batches = session.scalars(
        select(Batch).where(Batch.status == BatchStatus.ACTIVE, recent).order_by(Batch.id)
    )
    for batch in batches:
        safe = range_of(batch.product)
        if safe is None:
            continue
        if session.scalar(select(SensorReading.id).where(SensorReading.batch_id == batch.id).limit(1)):
            continue
        high = safe.high if safe.high is not None else (safe.low or 0) + 400
        low = safe.low if safe.low is not None else high - 400
        readings = [
            CapturedReading(
                type="Temperature",
                time=(now - timedelta(hours=2 * (READINGS - i))).astimezone(UTC),
                value=value,
                min_value=None,
                max_value=None,
                mean_value=None,
                uom="CEL",
                is_alarm=False,
            )
            for i, value in enumerate(_temperatures(low, high))
        ]
        # where the logger travelled: the producer's county cold store, then the cold-chain carrier
        place = f"{batch.producer.county.name}冷库 → 冷链物流"
        record_readings(session, [batch], readings, source=ReadingSource.LOGGER, place=place)
        seeded += 1
    return seeded
