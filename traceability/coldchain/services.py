"""Storing sensor readings of batches, keeping each batch's summary, and holding a batch on an excursion.

Readings arrive from two doors: an EPCIS event captured from a partner's system (through the signal
:data:`traceability.signals.sensor_readings_captured`, see ``receivers``) and a logger's CSV uploaded for a
batch (``upload``). Both end in :func:`record_readings`. The functions here flush but never commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.i18n import in_language_of
from core.models import User
from traceability.coldchain.curve import downsample
from traceability.coldchain.models import ColdChainSummary, Measurement, ReadingSource, SensorReading
from traceability.coldchain.ranges import SafeRange, degrees, range_of, range_text
from traceability.holds.models import BatchHold, HoldReason
from traceability.holds.services import open_holds, place_hold
from traceability.models import Batch
from traceability.signals import SensorReading as CapturedReading

#: How many distinct places a summary keeps (the verdict names the first few).
MAX_PLACES = 5
#: Values beyond this (in °C or %) are not stored: no sensor of a cold chain reads them.
PLAUSIBLE = 1000
_TO_CELSIUS = {"CEL": lambda v: v, "FAH": lambda v: (v - 32) * 5 / 9, "KEL": lambda v: v - 273.15}


def hundredths(
    value: float | Decimal | None, uom: str = "CEL", measurement: str = "Temperature"
) -> int | None:
    """A captured value in hundredths of °C (temperature, converted from ``uom``) or of the unit as given.

    ``None`` for a missing, non-finite, implausible (beyond ±:data:`PLAUSIBLE`) or unconvertible value.
    """
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, InvalidOperation):
        return None
    if not math.isfinite(number):
        return None
    if measurement == Measurement.TEMPERATURE:
        convert = _TO_CELSIUS.get((uom or "CEL").upper())
        if convert is None:
            return None
        number = convert(number)
    if abs(number) > PLAUSIBLE:  # a broken sensor's value, not a temperature or a humidity
        return None
    return round(Decimal(str(number)) * 100)


def _bounds(reading: SensorReading) -> tuple[int, int] | None:
    """The lowest and highest value a reading reports (its value and min/max/mean, whichever are given)."""
    values = [
        v for v in (reading.value, reading.min_value, reading.max_value, reading.mean_value) if v is not None
    ]
    return (min(values), max(values)) if values else None


@dataclass(frozen=True)
class Excursion:
    """The first reading out of the safe range (or with an alarm)."""

    reading: SensorReading
    value: int | None

    def summary(self, safe: SafeRange | None) -> str:
        """What happened, in the current language."""
        if self.value is None or safe is None or safe.holds(self.value):
            return str(_("A logger raised an alarm."))
        return str(
            _(
                "%(value)s measured, outside the safe range %(range)s.",
                value=degrees(self.value),
                range=range_text(safe),
            )
        )


def first_excursion(readings: Iterable[SensorReading], safe: SafeRange | None) -> Excursion | None:
    """The earliest temperature reading out of ``safe`` or with an alarm, with the offending value."""
    found: Excursion | None = None
    for reading in readings:
        if reading.measurement != Measurement.TEMPERATURE:
            continue
        bounds = _bounds(reading)
        value = None
        if bounds is not None and safe is not None:
            value = next((v for v in bounds if not safe.holds(v)), None)
        if (value is not None or reading.is_alarm) and (
            found is None or reading.measured_at < found.reading.measured_at
        ):
            found = Excursion(reading, value if value is not None else (bounds[1] if bounds else None))
    return found


def _rows(
    batch_id: int,
    readings: Sequence[CapturedReading],
    *,
    source: ReadingSource,
    place: str,
    event_id: int | None,
    by: User | None,
) -> list[SensorReading]:
    """One row per kept reading (known measurement types with a value or an alarm)."""
    rows = []
    for reading in readings:
        kind = reading.get("type") or ""
        if kind not in {m.value for m in Measurement}:
            continue
        uom = reading.get("uom") or "CEL"
        values = [
            hundredths(reading.get("value"), uom, kind),
            hundredths(reading.get("min_value"), uom, kind),
            hundredths(reading.get("max_value"), uom, kind),
            hundredths(reading.get("mean_value"), uom, kind),
        ]
        alarm = bool(reading.get("is_alarm"))
        moment = reading.get("time")
        if (
            not isinstance(moment, datetime)
            or moment.tzinfo is None
            or (all(v is None for v in values) and not alarm)
        ):
            continue
        rows.append(
            SensorReading(
                batch_id=batch_id,
                measurement=Measurement(kind),
                measured_at=moment.astimezone(UTC),
                value=values[0],
                min_value=values[1],
                max_value=values[2],
                mean_value=values[3],
                is_alarm=alarm,
                source=source,
                place=(place or "")[:200],
                event_id=event_id,
                recorded_by_id=by.id if by is not None else None,
            )
        )
    return rows


def record_readings(
    session: Session,
    batches: Sequence[Batch],
    readings: Sequence[CapturedReading],
    *,
    source: ReadingSource,
    place: str,
    event_id: int | None = None,
    by: User | None = None,
) -> list[BatchHold]:
    """Store ``readings`` for each of ``batches``, refresh each batch's summary, and hold a batch whose new
    readings leave its product's safe range or carry an alarm (unless a cold-chain hold is already open or the
    batch was recalled).

    Returns the holds opened. Readings of unknown types, without a value or with a naive time are skipped
    (the capture interface validates what partners send). Does not commit.
    """
    opened = []
    for batch in batches:
        rows = _rows(batch.id, readings, source=source, place=place, event_id=event_id, by=by)
        if not rows:
            continue
        session.add_all(rows)
        session.flush()
        safe = range_of(batch.product)
        excursion = first_excursion(rows, safe)
        refresh_summary(session, batch)
        if excursion is None or batch.is_recalled:  # a recalled batch is off sale for good
            continue
        if any(h.reason == HoldReason.COLD_CHAIN for h in open_holds(session, batch)):
            continue
        reading = excursion.reading
        with in_language_of(None):  # the hold's summary is kept in the marketplace's language
            summary = excursion.summary(safe)
        opened.append(
            place_hold(
                session,
                batch,
                HoldReason.COLD_CHAIN,
                occurred_at=reading.measured_at,
                place=reading.place,
                summary=summary,
                details={"reading": reading.id, "value": excursion.value, "alarm": reading.is_alarm},
                by=by,
            )
        )
    return opened


def refresh_summary(session: Session, batch: Batch) -> ColdChainSummary:
    """Recompute the batch's summary from its temperature readings (one indexed read of that batch's rows:
    a capture's cost, so that a scan's is one primary-key read). Does not commit."""
    summary = session.get(ColdChainSummary, batch.id)
    if summary is None:
        summary = ColdChainSummary(batch_id=batch.id, version=0)
        session.add(summary)
    safe = range_of(batch.product)
    rows = session.execute(
        select(
            SensorReading.id,
            SensorReading.measured_at,
            SensorReading.value,
            SensorReading.min_value,
            SensorReading.max_value,
            SensorReading.mean_value,
            SensorReading.is_alarm,
            SensorReading.place,
        )
        .where(SensorReading.batch_id == batch.id, SensorReading.measurement == Measurement.TEMPERATURE)
        .order_by(SensorReading.measured_at, SensorReading.id)
    ).all()
    points: list[tuple[datetime, int, int]] = []
    places: list[str] = []
    alarms = 0
    excursion_id = None
    for reading_id, moment, *values, alarm, place in rows:
        given = [v for v in values if v is not None]
        if given:
            points.append((moment, min(given), max(given)))
        alarms += bool(alarm)
        outside = safe is not None and any(not safe.holds(v) for v in given)
        if excursion_id is None and (alarm or outside):
            excursion_id = reading_id
        if place and place not in places and len(places) < MAX_PLACES:
            places.append(place)
    summary.version = (summary.version or 0) + 1
    summary.reading_count = len(rows)
    summary.first_at = rows[0][1] if rows else None
    summary.last_at = rows[-1][1] if rows else None
    summary.range_kind = str(safe.kind) if safe is not None else None
    summary.excursion_id = excursion_id
    summary.lowest = min((p[1] for p in points), default=None)
    summary.highest = max((p[2] for p in points), default=None)
    summary.alarm_count = alarms
    summary.curve = downsample(points)
    summary.places = places
    session.flush()
    return summary
