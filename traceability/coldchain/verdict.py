"""What a trace page tells a consumer of a batch's cold chain: a plain verdict, the period, the curve.

A scan reads the batch's summary row by its key and, only when the readings left the range, the first reading
that did by its key (found when the summary was written): the cost does not grow with the number of readings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from traceability.coldchain.curve import svg
from traceability.coldchain.models import ColdChainSummary, Measurement, SensorReading
from traceability.coldchain.ranges import KIND_LABELS, SafeRange, degrees, range_of, range_text
from traceability.models import Batch

_VALUES = (SensorReading.value, SensorReading.min_value, SensorReading.max_value, SensorReading.mean_value)


def _c(value: int | None) -> float | None:
    """Hundredths of °C as °C for the JSON."""
    return None if value is None else value / 100


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ColdChainView:
    """A batch's cold chain as its trace page and JSON show it."""

    summary: ColdChainSummary
    safe: SafeRange | None
    #: The first reading out of range or with an alarm (``None`` when every reading was in range).
    excursion: SensorReading | None
    on_hold: bool

    @property
    def verdict(self) -> str:
        """``in_range``, ``excursion``, or ``no_range`` (the product has no safe range)."""
        if self.excursion is not None:
            return "excursion"
        return "no_range" if self.safe is None else "in_range"

    @property
    def range_text(self) -> str:
        """The safe range as shown (``≤ −18 °C``), or empty."""
        return range_text(self.safe) if self.safe is not None else ""

    @property
    def kind_label(self) -> str:
        """The product's cold-chain kind in the current language, or empty."""
        return str(KIND_LABELS[self.safe.kind]) if self.safe is not None else ""

    @property
    def excursion_value(self) -> int | None:
        """The excursion's offending value (hundredths of °C), if it has one out of range."""
        reading = self.excursion
        if reading is None:
            return None
        values = [
            v
            for v in (reading.value, reading.min_value, reading.max_value, reading.mean_value)
            if v is not None
        ]
        outside = [v for v in values if self.safe is not None and not self.safe.holds(v)]
        chosen = outside or values
        return chosen[0] if chosen else None

    def degrees(self, value: int | None) -> str:
        """A value as shown, or empty."""
        return degrees(value) if value is not None else ""

    def curve_svg(self) -> Markup:
        """The temperature curve with the safe band, as inline SVG."""
        return svg(self.summary.curve or [], self.safe, _("Temperature of this batch over time"))

    def as_json(self) -> dict[str, Any]:
        """The ``cold_chain`` member of the trace JSON."""
        summary, safe, excursion = self.summary, self.safe, self.excursion
        return {
            "kind": str(safe.kind) if safe is not None else None,
            "range": {"min_c": _c(safe.low), "max_c": _c(safe.high)} if safe is not None else None,
            "verdict": self.verdict,
            "readings": summary.reading_count,
            "from": _iso(summary.first_at),
            "to": _iso(summary.last_at),
            "lowest_c": _c(summary.lowest),
            "highest_c": _c(summary.highest),
            "alarms": summary.alarm_count,
            "excursion": (
                {
                    "at": _iso(excursion.measured_at),
                    "place": excursion.place,
                    "value_c": _c(self.excursion_value),
                    "alarm": excursion.is_alarm,
                }
                if excursion is not None
                else None
            ),
            "on_hold": self.on_hold,
            "curve": [
                {"at": _iso_stamp(p[0]), "min_c": _c(p[1]), "max_c": _c(p[2])} for p in summary.curve or []
            ],
        }


def _iso_stamp(stamp: int) -> str | None:
    return _iso(datetime.fromtimestamp(stamp, UTC))


def _first_excursion(session: Session, batch: Batch, safe: SafeRange | None) -> SensorReading | None:
    """The earliest temperature reading out of ``safe`` or with an alarm, through the batch's time index."""
    conditions: list[Any] = [SensorReading.is_alarm.is_(True)]
    if safe is not None:
        conditions += [c < safe.low for c in _VALUES if safe.low is not None]
        conditions += [c > safe.high for c in _VALUES if safe.high is not None]
    return session.scalar(
        select(SensorReading)
        .where(
            SensorReading.batch_id == batch.id,
            SensorReading.measurement == Measurement.TEMPERATURE,
            or_(*conditions),
        )
        .order_by(SensorReading.measured_at, SensorReading.id)
        .limit(1)
    )


def cold_chain_of(session: Session, batch: Batch) -> ColdChainView | None:
    """The batch's cold chain, or ``None`` when no temperature was ever recorded for it. Read-only."""
    summary = session.get(ColdChainSummary, batch.id)
    if summary is None or summary.reading_count == 0:
        return None
    safe = range_of(batch.product)
    clean = (
        summary.alarm_count == 0
        and safe is not None
        and all(v is None or safe.holds(v) for v in (summary.lowest, summary.highest))
    )
    if clean or (safe is None and summary.alarm_count == 0):
        excursion = None
    elif summary.range_kind == (str(safe.kind) if safe is not None else None):  # found when it was written
        excursion = session.get(SensorReading, summary.excursion_id) if summary.excursion_id else None
    else:  # the product's kind changed since: look again, through the batch's time index
        excursion = _first_excursion(session, batch, safe)
    return ColdChainView(summary=summary, safe=safe, excursion=excursion, on_hold=batch.is_on_hold)
