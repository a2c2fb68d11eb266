"""Sensor readings of an EPCIS 2.0 event (``sensorElementList``) as :class:`SensorReading` records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from traceability.signals import SensorReading

_ALARM = "ALARM_CONDITION"


def _time(value: Any) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime, or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _number(value: Any) -> float | None:
    """A JSON number as float (booleans are not numbers)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def term(value: Any) -> str:
    """A vocabulary term without its namespace: ``gs1:Temperature``, ``https://gs1.org/voc/Temperature`` →
    ``Temperature``."""
    text = str(value or "")
    return text.rsplit("/", 1)[-1].rsplit(":", 1)[-1].rsplit("-", 1)[-1] if text else ""


def readings(event: dict[str, Any]) -> list[SensorReading]:
    """Every sensor report of the event; a report's time is its own, else its element's, else the event's."""
    event_time = _time(event.get("eventTime"))
    found: list[SensorReading] = []
    for element in event.get("sensorElementList") or []:
        metadata = element.get("sensorMetadata") or {}
        element_time = _time(metadata.get("time")) or _time(metadata.get("endTime")) or event_time
        for report in element.get("sensorReport") or []:
            moment = _time(report.get("time")) or element_time
            if moment is None:
                continue
            found.append(
                SensorReading(
                    type=term(report.get("type")),
                    time=moment,
                    value=_number(report.get("value")),
                    min_value=_number(report.get("minValue")),
                    max_value=_number(report.get("maxValue")),
                    mean_value=_number(report.get("meanValue")),
                    uom=str(report.get("uom") or ""),
                    is_alarm=term(report.get("exception")) == _ALARM,
                )
            )
    return found
