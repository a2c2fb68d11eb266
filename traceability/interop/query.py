"""Query: a partner's events, filtered with EPCIS 2.0 query parameters and paged by keyset.

Pages follow ``(recorded_at, id)`` from the lot index of the partner's scope (one index per producer or
county branch), never an offset, so a page costs the same however many events there are, and events
captured while a client pages appear after the ones it has seen. ``nextPageToken`` is the last position
seen with a fingerprint of the filters, base64url-encoded: opaque to clients, stable across requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import operator
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, union_all
from sqlalchemy.orm import Session

from core.text import forbidden_character
from traceability.epcis import EPCIS_CONTEXT
from traceability.interop.errors import QueryParameterException
from traceability.interop.eventhash import VOCABULARY, utc_milliseconds
from traceability.interop.lots import canonical_epc
from traceability.interop.models import EpcisEvent, EpcisEventLot, EpcisSensorReport, Partner
from traceability.interop.partners import scope_conditions, visible_lots
from traceability.interop.sensors import term

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransformationEvent",
    "TransactionEvent",
    "AssociationEvent",
)
TIME_PARAMETERS = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
LIST_PARAMETERS = (
    "eventType",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_bizLocation",
    "MATCH_epc",
    "MATCH_anyEPCClass",
    "EQ_type",
)
#: Sensor value filters of the EPCIS 2.0 query language, e.g. ``GE_maxValue_CEL=8`` (a report in °C whose
#: maximum is at least 8) or ``EQ_value_CEL``.
SENSOR_PARAMETER = re.compile(
    r"(?P<op>EQ|GE|GT|LT|LE)_(?P<field>value|minValue|maxValue|meanValue)_(?P<uom>[A-Z0-9]{2,4})"
)
_SENSOR_COLUMNS = {
    "value": EpcisSensorReport.value,
    "minValue": EpcisSensorReport.min_value,
    "maxValue": EpcisSensorReport.max_value,
    "meanValue": EpcisSensorReport.mean_value,
}
PARAMETERS = frozenset((*TIME_PARAMETERS, *LIST_PARAMETERS, "perPage", "nextPageToken"))


def vocabulary_uri(field_name: str, value: str) -> str:
    """A CBV value in the one form the index keeps: bare words and old URNs as web vocabulary URIs."""
    base = VOCABULARY[("", field_name)]
    if value.startswith("urn:epcglobal:cbv:"):
        return base + value.rsplit(":", 1)[-1]
    return value if ":" in value else base + value


@dataclass
class EventQuery:
    """The filters of one query, validated."""

    event_types: list[str] = field(default_factory=list)
    times: dict[str, datetime] = field(default_factory=dict)
    biz_steps: list[str] = field(default_factory=list)
    dispositions: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    epcs: list[str] = field(default_factory=list)
    sensor_types: list[str] = field(default_factory=list)
    #: (operator, field, uom, bound) of the sensor value filters.
    sensor_bounds: list[tuple[str, str, str, float]] = field(default_factory=list)
    per_page: int = DEFAULT_PER_PAGE
    after: tuple[datetime, int] | None = None

    def fingerprint(self) -> str:
        """What the filters are, so a page token cannot be used with other filters."""
        facts = [self.event_types, sorted((k, v.isoformat()) for k, v in self.times.items()), self.biz_steps,
                 self.dispositions, self.locations, self.epcs, self.sensor_types,
                 self.sensor_bounds]  # fmt: skip
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


def _values(args: Any, name: str) -> list[str]:
    """A list parameter, repeated or comma-separated (EPCIS REST binding); empty parts refused."""
    values = [part.strip() for raw in args.getlist(name) for part in raw.split(",")]
    if any(not value or len(value) > 300 or forbidden_character(value) for value in values):
        raise QueryParameterException(name=name)
    return values


def _time(args: Any, name: str) -> datetime:
    """An ISO 8601 time parameter with its offset, as UTC."""
    try:
        moment = datetime.fromisoformat(args[name].replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryParameterException(name=name) from exc
    if moment.tzinfo is None:
        raise QueryParameterException(name=name)
    return moment.astimezone(UTC)


def _number(args: Any, name: str) -> float:
    """A finite number parameter."""
    try:
        number = float(args[name])
    except ValueError as exc:
        raise QueryParameterException(name=name) from exc
    if not math.isfinite(number):
        raise QueryParameterException(name=name)
    return number


def parse_query(args: Any, fixed_epc: str | None = None) -> EventQuery:
    """Validate the query string (``args``: a MultiDict); ``fixed_epc`` for ``/epcs/<epc>/events``.

    Raises :class:`QueryParameterException` naming the first bad or unknown parameter.
    """
    query = EventQuery()
    for name in args:
        sensor = SENSOR_PARAMETER.fullmatch(name)
        if sensor and (sensor["op"] != "EQ" or sensor["field"] == "value"):
            query.sensor_bounds.append((sensor["op"], sensor["field"], sensor["uom"], _number(args, name)))
        elif name not in PARAMETERS:
            raise QueryParameterException(name=name)
    query.sensor_bounds.sort()
    query.sensor_types = [term(v) for v in _values(args, "EQ_type")]
    query.event_types = _values(args, "eventType")
    if any(t not in EVENT_TYPES for t in query.event_types):
        raise QueryParameterException(name="eventType")
    query.times = {name: _time(args, name) for name in TIME_PARAMETERS if name in args}
    query.biz_steps = [vocabulary_uri("bizStep", v) for v in _values(args, "EQ_bizStep")]
    query.dispositions = [vocabulary_uri("disposition", v) for v in _values(args, "EQ_disposition")]
    query.locations = [canonical_epc(v) for v in _values(args, "EQ_bizLocation")]
    epcs = (
        _values(args, "MATCH_epc") + _values(args, "MATCH_anyEPCClass") + ([fixed_epc] if fixed_epc else [])
    )
    query.epcs = [canonical_epc(v) for v in epcs]
    raw_per_page = args.get("perPage", str(DEFAULT_PER_PAGE))
    if not raw_per_page.isdigit() or not 1 <= int(raw_per_page) <= MAX_PER_PAGE:
        raise QueryParameterException(name="perPage")
    query.per_page = int(raw_per_page)
    if fixed_epc is not None and (len(fixed_epc) > 300 or forbidden_character(fixed_epc)):
        raise QueryParameterException(name="epc")
    if "nextPageToken" in args:
        query.after = _read_token(args["nextPageToken"], query.fingerprint())
    return query


def page_token(query: EventQuery, recorded_at: datetime, event_id: int) -> str:
    """The opaque token of the position after ``(recorded_at, event_id)`` for these filters."""
    raw = json.dumps([query.fingerprint(), recorded_at.astimezone(UTC).isoformat(), event_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_token(token: str, fingerprint: str) -> tuple[datetime, int]:
    """The position a token names; refused if malformed or made for other filters."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        mark, moment, event_id = json.loads(raw)
        position = (datetime.fromisoformat(moment), int(event_id))
    except (ValueError, TypeError) as exc:
        raise QueryParameterException(name="nextPageToken") from exc
    if mark != fingerprint or position[0].tzinfo is None:
        raise QueryParameterException(name="nextPageToken")
    return position


def _sensor_condition(query: EventQuery) -> ColumnElement[bool]:
    """The event has a sensor report meeting every sensor filter at once."""
    report = EpcisSensorReport
    matches: list[ColumnElement[bool]] = [report.epcis_event_id == EpcisEventLot.epcis_event_id]
    if query.sensor_types:
        matches.append(report.type.in_(query.sensor_types))
    compare = {"EQ": operator.eq, "GE": operator.ge, "GT": operator.gt, "LT": operator.lt, "LE": operator.le}
    for op, field_name, uom, bound in query.sensor_bounds:
        matches += [report.uom == uom, compare[op](_SENSOR_COLUMNS[field_name], bound)]
    return exists(select(report.id).where(*matches))


def _conditions(query: EventQuery) -> list[ColumnElement[bool]]:
    """The filters of ``query`` on the lot index joined to its events, the page's position included."""
    lot, event = EpcisEventLot, EpcisEvent
    conditions: list[ColumnElement[bool]] = []
    if query.event_types:
        conditions.append(event.event_type.in_(query.event_types))
    if query.biz_steps:
        conditions.append(event.biz_step.in_(query.biz_steps))
    if query.dispositions:
        conditions.append(event.disposition.in_(query.dispositions))
    if query.locations:
        conditions.append(event.biz_location.in_(query.locations))
    if query.epcs:
        conditions.append(lot.epc.in_(query.epcs))
    if query.sensor_types or query.sensor_bounds:
        conditions.append(_sensor_condition(query))
    columns = {
        "GE_eventTime": (event.event_time, True),
        "LT_eventTime": (event.event_time, False),
        "GE_recordTime": (lot.recorded_at, True),
        "LT_recordTime": (lot.recorded_at, False),
    }
    for name, moment in query.times.items():
        column, at_least = columns[name]
        conditions.append(column >= moment if at_least else column < moment)
    if query.after is not None:
        moment, last_id = query.after
        conditions.append(
            or_(lot.recorded_at > moment, and_(lot.recorded_at == moment, lot.epcis_event_id > last_id))
        )
    return conditions


def _filtered(partner: Partner, query: EventQuery) -> Select[datetime, int]:
    """Positions of the next ``per_page + 1`` events the partner may see that match ``query``, in order.

    One ordered, limited read per producer and per county the partner serves, each along its own index
    (``producer_id`` or ``county_id``, ``recorded_at``, ``epcis_event_id``), then merged: a page reads at most
    a page per scope, however many events there are.
    """
    lot, event = EpcisEventLot, EpcisEvent
    conditions = _conditions(query)
    limit = query.per_page + 1
    branches = [
        select(lot.recorded_at.label("recorded_at"), lot.epcis_event_id.label("event_id"))
        .join(event, event.id == lot.epcis_event_id)
        .where(scope, *conditions)
        .order_by(lot.recorded_at, lot.epcis_event_id)
        .limit(limit)
        .subquery()
        for scope in scope_conditions(partner)
    ]
    if not branches:
        return select(lot.recorded_at, lot.epcis_event_id).where(false())
    merged = union_all(*(select(b.c.recorded_at, b.c.event_id) for b in branches)).subquery()
    return (
        select(merged.c.recorded_at, merged.c.event_id)
        .distinct()
        .order_by(merged.c.recorded_at, merged.c.event_id)
        .limit(limit)
    )


@dataclass
class Page:
    """One page of events and the token of the next (``None`` on the last page)."""

    events: list[EpcisEvent]
    next_token: str | None


def find_events(session: Session, partner: Partner, query: EventQuery) -> Page:
    """One page of the partner's events matching ``query``. Read-only."""
    rows = session.execute(_filtered(partner, query)).all()
    positions: list[tuple[datetime, int]] = [(row[0], row[1]) for row in rows]
    more = len(positions) > query.per_page
    positions = positions[: query.per_page]
    ids = [event_id for _moment, event_id in positions]
    by_id = (
        {e.id: e for e in session.scalars(select(EpcisEvent).where(EpcisEvent.id.in_(ids)))} if ids else {}
    )
    token = page_token(query, positions[-1][0], positions[-1][1]) if more else None
    return Page([by_id[i] for i in ids], token)


def find_event(session: Session, partner: Partner, event_id: str) -> EpcisEvent | None:
    """The event with hash id ``event_id`` if the partner may see it. Read-only."""
    event = session.scalar(select(EpcisEvent).where(EpcisEvent.event_id == event_id))
    if event is None:
        return None
    visible = session.scalar(
        select(EpcisEventLot.id)
        .where(EpcisEventLot.epcis_event_id == event.id, visible_lots(partner))
        .limit(1)
    )
    return event if visible is not None else None


def event_document(event: EpcisEvent) -> dict[str, Any]:
    """The event as returned: as captured, with its hash id and our record time."""
    body = dict(event.document)
    body["eventID"] = event.event_id
    body["recordTime"] = utc_milliseconds(event.recorded_at.astimezone(UTC).isoformat())
    return body


def query_document(
    events: list[EpcisEvent],
    now: datetime,
    query_name: str = "SimpleEventQuery",
    prefixes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An EPCISQueryDocument of ``events`` (their documents' prefixes and ``prefixes`` in ``@context``)."""
    prefixes = dict(prefixes or {})
    for event in events:
        prefixes.update(event.context or {})
    return {
        "@context": [EPCIS_CONTEXT, prefixes] if prefixes else [EPCIS_CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": utc_milliseconds(now.isoformat()),
        "epcisBody": {
            "queryResults": {
                "queryName": query_name,
                "resultsBody": {"eventList": [event_document(e) for e in events]},
            }
        },
    }
