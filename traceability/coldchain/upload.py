"""A data logger's CSV for a batch: read whole, checked row by row, stored all or nothing.

Columns (a header row first, in this order or any other): ``time``, ``temperature`` (°C) and optionally
``humidity`` (% RH); Chinese headers (时间, 温度, 湿度) work too, and a unit after the name is ignored
(``temperature (°C)``). A time without an offset is Asia/Shanghai time, as loggers sold in China show it.
UTF-8 (with or without BOM) or GB18030, as Excel saves it.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.clock import SHANGHAI
from core.db import utcnow
from core.models import User
from traceability.batches.rules import ensure_clean_text
from traceability.coldchain.models import ReadingSource
from traceability.coldchain.services import record_readings
from traceability.errors import LoggerFileInvalid, NoColdChainBatch
from traceability.holds.models import BatchHold
from traceability.models import Batch
from traceability.signals import SensorReading

MAX_BYTES = 1024 * 1024
MAX_ROWS = 20000
#: Row errors listed at most (a wholly wrong file would otherwise list thousands).
MAX_ERRORS = 20
TEMPERATURE_LIMITS = (Decimal(-80), Decimal(80))
_HEADERS = {
    "time": "time",
    "时间": "time",
    "datetime": "time",
    "timestamp": "time",
    "日期时间": "time",
    "temperature": "temperature",
    "temp": "temperature",
    "温度": "temperature",
    "humidity": "humidity",
    "rh": "humidity",
    "湿度": "humidity",
}
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _column(name: str) -> str | None:
    key = name.strip().lower().split("(")[0].split("（")[0].split("[")[0].strip()
    return _HEADERS.get(key)


def _time(text: str) -> datetime | None:
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for fmt in _FORMATS:
            try:
                moment = datetime.strptime(text, fmt)  # naive: Asia/Shanghai (below)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip().replace("−", "-").replace("℃", "").replace("°C", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_logger_csv(data: bytes, now: datetime | None = None) -> list[SensorReading]:
    """The readings of a logger's CSV; raises :class:`LoggerFileInvalid` with ``errors`` (row-level
    messages in the current language) when the file or any row is wrong: nothing is kept then."""
    now = now or utcnow()
    if len(data) > MAX_BYTES:
        raise LoggerFileInvalid(errors=[_("The file is larger than %(size)s KB.", size=MAX_BYTES // 1024)])
    text = _decode(data)
    if text is None:
        raise LoggerFileInvalid(errors=[_("The file is not text in UTF-8 or GB18030.")])
    rows = list(csv.reader(io.StringIO(text)))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise LoggerFileInvalid(errors=[_("The file is empty.")])
    columns = [_column(name) for name in rows[0]]
    if "time" not in columns or "temperature" not in columns:
        raise LoggerFileInvalid(errors=[_("The first row must name the columns time and temperature.")])
    if len(rows) - 1 > MAX_ROWS:
        raise LoggerFileInvalid(errors=[_("The file has more than %(rows)s readings.", rows=MAX_ROWS)])
    if len(rows) == 1:
        raise LoggerFileInvalid(errors=[_("The file has no readings.")])
    at = {name: columns.index(name) for name in ("time", "temperature", "humidity") if name in columns}
    errors: list[str] = []
    readings: list[SensorReading] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: (row[i] if i < len(row) else "").strip() for name, i in at.items()}
        moment = _time(cells["time"])
        temperature = _number(cells["temperature"])
        humidity = _number(cells["humidity"]) if cells.get("humidity") else None
        if moment is None:
            errors.append(
                _('Row %(row)s: "%(value)s" is not a date and time.', row=number, value=cells["time"][:40])
            )
        elif moment > now + timedelta(minutes=5):
            errors.append(_("Row %(row)s: the time lies in the future.", row=number))
        if temperature is None or not TEMPERATURE_LIMITS[0] <= temperature <= TEMPERATURE_LIMITS[1]:
            errors.append(
                _(
                    'Row %(row)s: "%(value)s" is not a temperature in °C.',
                    row=number,
                    value=cells["temperature"][:40],
                )
            )
        if cells.get("humidity") and (humidity is None or not 0 <= humidity <= 100):
            errors.append(
                _(
                    'Row %(row)s: "%(value)s" is not a humidity in %%.',
                    row=number,
                    value=cells["humidity"][:40],
                )
            )
        if len(errors) >= MAX_ERRORS:
            break
        if errors or moment is None or temperature is None:
            continue
        readings.append(_reading("Temperature", moment, temperature, "CEL"))
        if humidity is not None:
            readings.append(_reading("RelativeHumidity", moment, humidity, "P1"))
    if errors:
        raise LoggerFileInvalid(errors=errors)
    return readings


def _reading(kind: str, moment: datetime, value: Decimal, uom: str) -> SensorReading:
    return SensorReading(
        type=kind,
        time=moment,
        value=float(value),
        min_value=None,
        max_value=None,
        mean_value=None,
        uom=uom,
        is_alarm=False,
    )


def upload_logger_file(
    session: Session, user: User, batch: Batch, data: bytes, place: str
) -> tuple[int, list[BatchHold]]:
    """Store a logger's readings for ``batch`` (at ``place``): how many were stored and the holds opened.

    Raises :class:`NoColdChainBatch` (recalled), :class:`LoggerFileInvalid` (with row errors),
    :class:`ControlCharacterInText`. The caller checks the user may act on the batch. Does not commit.
    """
    if batch.is_recalled:
        raise NoColdChainBatch()
    place = (place or "").strip()
    ensure_clean_text(place)
    readings = parse_logger_csv(data)
    holds = record_readings(session, [batch], readings, source=ReadingSource.LOGGER, place=place, by=user)
    return len(readings), holds
