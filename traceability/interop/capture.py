"""Capture: a partner's EPCIS 2.0 document enters our batches' hash chains, all of it or none of it.

Each event is validated (GS1's JSON Schema, then our rules), given its canonical hash id as ``eventID``, read
back to the lots it names, checked against the partner's scope and appended to each lot's chain through
:func:`traceability.batches.services.append_event` with the partner shown as recorder and the event as
captured kept in the details. The job is processed within the request (the REST binding allows a capture
job that is already finished when ``202`` answers); a refused document leaves only its job, saying why.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import DomainError
from core.jobs import lock_key
from core.text import code_point, forbidden_character, strings_in
from core.transactions import claim_write_lock
from traceability.batches.services import append_event
from traceability.interop.errors import (
    CaptureLimitExceededException,
    EpcisException,
    QueryParameterException,
    SecurityException,
    ValidationException,
)
from traceability.interop.eventhash import context_namespaces, document_events, event_hash_id
from traceability.interop.index import indexed_field
from traceability.interop.lots import canonical_epc, named_identifiers, resolve
from traceability.interop.models import (
    CaptureStatus,
    EpcisCapture,
    EpcisEvent,
    EpcisEventLot,
    EpcisSensorReport,
    Partner,
)
from traceability.interop.partners import serves
from traceability.interop.query import DEFAULT_PER_PAGE, MAX_PER_PAGE
from traceability.interop.sensors import readings, term
from traceability.models import Batch, EventKind, RecorderRole
from traceability.signals import sensor_readings_captured

#: At most this many events per capture document (``GS1-EPCIS-Capture-Limit``).
CAPTURE_LIMIT = 100
#: At most this many bytes per capture document (``GS1-EPCIS-Capture-File-Size-Limit``).
CAPTURE_FILE_SIZE_LIMIT = 1_048_576
SCHEMA_PATH = Path(__file__).parent / "schema" / "epcis-2.0-json-schema.json"

#: Which of our event kinds a CBV business step is; any other step is an observation.
KIND_OF_STEP = {
    "shipping": EventKind.SHIPPING,
    "departing": EventKind.SHIPPING,
    "receiving": EventKind.RECEIVING,
    "arriving": EventKind.RECEIVING,
    "accepting": EventKind.RECEIVING,
    "packing": EventKind.PACKING,
    "inspecting": EventKind.INSPECTION,
    "retail_selling": EventKind.SELLING,
}


@cache
def validator() -> Draft7Validator:
    """GS1's EPCIS 2.0 JSON Schema, compiled once."""
    return Draft7Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def schema_problem(document: Any) -> str | None:
    """The first way ``document`` breaks the schema (``at /path: message``), or ``None`` if it is valid."""
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    path = "/" + "/".join(str(p) for p in error.absolute_path)
    return f"at {path}: {error.message[:300]}"


def _parse(raw: bytes) -> dict[str, Any]:
    """The document as JSON, checked against the schema and the capture limit."""
    try:
        document = json.loads(raw)
        dirty = next((c for s in strings_in(document) if (c := forbidden_character(s, multiline=True))), None)
        problem = schema_problem(document)
    except ValueError as exc:
        raise ValidationException(detail="not JSON") from exc
    except RecursionError as exc:
        raise ValidationException(detail="nested too deeply") from exc
    if dirty is not None:  # nothing invisible enters the chain (or a query: PostgreSQL refuses NUL)
        raise ValidationException(detail=f"control character {code_point(dirty)}")
    if problem:
        raise ValidationException(detail=problem)
    if document.get("type") != "EPCISDocument":
        raise ValidationException(detail="capture takes an EPCISDocument")
    if len(document_events(document)) > CAPTURE_LIMIT:
        raise CaptureLimitExceededException(events=CAPTURE_LIMIT, size=CAPTURE_FILE_SIZE_LIMIT)
    return dict(document)


def _event_time(event: dict[str, Any], position: int) -> datetime:
    """The event's time (UTC); refused when in the future."""
    try:
        moment = datetime.fromisoformat(str(event["eventTime"]).replace("Z", "+00:00"))
    except (KeyError, ValueError) as exc:
        raise ValidationException(detail=f"event {position}: eventTime") from exc
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    if moment > utcnow() + timedelta(minutes=5):
        raise ValidationException(detail=f"event {position}: eventTime is in the future")
    return moment


def _lots(
    session: Session, partner: Partner, event: dict[str, Any], position: int
) -> dict[int, tuple[Batch, str]]:
    """The batches the event names, each with its canonical identifier; refused when it names none of ours
    or one the partner does not serve."""
    found: dict[int, tuple[Batch, str]] = {}
    for identifier in named_identifiers(event):
        batch = resolve(session, identifier)
        if batch is not None and batch.id not in found:
            if not serves(partner, batch):
                raise SecurityException(lot=batch.lot_code)
            found[batch.id] = (batch, canonical_epc(identifier))
    if not found:
        raise ValidationException(detail=f"event {position} names no lot held on this marketplace")
    return found


def _place(event: dict[str, Any], partner: Partner) -> str:
    """Where it happened as people read it: the partner's name, then the business location or read point it
    gave (a GLN URI a consumer cannot read on its own); the event keeps both as captured."""
    for field in ("bizLocation", "readPoint"):
        value = event.get(field)
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return f"{partner.name} · {value['id']}"[:200]
    return partner.name[:200]


def _record(
    session: Session,
    partner: Partner,
    capture: EpcisCapture,
    event: dict[str, Any],
    identity: tuple[str, dict[str, str]],
    position: int,
) -> None:
    """Append one event to the chain of every lot it names, index it (``identity``: its hash id and the
    document's prefixes), and pass on its sensor readings."""
    event_id, namespaces = identity
    lots = _lots(session, partner, event, position)
    occurred_at = _event_time(event, position)
    stored = {key: value for key, value in event.items() if key != "recordTime"}
    stored["eventID"] = event_id
    kind = KIND_OF_STEP.get(term(event.get("bizStep")), EventKind.OBSERVATION)
    place = _place(event, partner)
    details = {"epcis_event_id": event_id, "epcis": stored, "capture": capture.id}
    trace_events = [
        (batch, epc, append_event(session, batch, kind, actor=None, actor_name=partner.name,
                                  recorded_as=RecorderRole.PARTNER, occurred_at=occurred_at, place=place,
                                  details=details))
        for batch, epc in lots.values()
    ]  # fmt: skip
    recorded_at = trace_events[0][2].recorded_at
    row = EpcisEvent(
        event_id=event_id,
        capture_id=capture.id,
        partner_id=partner.id,
        event_type=str(event.get("type")),
        event_time=occurred_at,
        recorded_at=recorded_at,
        biz_step=indexed_field("bizStep", event.get("bizStep")),
        disposition=indexed_field("disposition", event.get("disposition")),
        biz_location=indexed_field("bizLocation", (event.get("bizLocation") or {}).get("id")),
        context=namespaces,
        document=stored,
    )
    row.lots = [
        EpcisEventLot(batch_id=batch.id, trace_event_id=te.id, producer_id=batch.producer_id,
                      county_id=batch.producer.county_id, recorded_at=recorded_at, epc=epc[:300])
        for batch, epc, te in trace_events
    ]  # fmt: skip
    found = readings(event)
    row.sensor_reports = [
        EpcisSensorReport(type=r["type"][:100], uom=r["uom"][:8], value=r["value"], min_value=r["min_value"],
                          max_value=r["max_value"], mean_value=r["mean_value"], is_alarm=r["is_alarm"])
        for r in found
    ]  # fmt: skip
    session.add(row)
    session.flush()
    if found:
        sensor_readings_captured.send(
            session,
            batch_ids=[batch.id for batch, _epc, _te in trace_events],
            event_id=trace_events[0][2].id,
            place=place,
            readings=found,
        )


def _capture_events(session: Session, partner: Partner, capture: EpcisCapture, raw: bytes) -> list[str]:
    """Record every event of the document; the hash ids accepted. Raises an :class:`EpcisException`."""
    document = _parse(raw)
    namespaces = context_namespaces(document.get("@context"))
    accepted: list[str] = []
    for position, event in enumerate(document_events(document), start=1):
        # the canonical hash id is the event's identity here, whatever eventID the partner wrote
        event_id = event_hash_id(event, namespaces)
        if event_id in accepted or session.scalar(
            select(EpcisEvent.id).where(EpcisEvent.event_id == event_id)
        ):
            accepted.append(event_id)  # captured before: recorded once, accepted again (a retry)
            continue
        try:
            _record(session, partner, capture, event, (event_id, namespaces), position)
        except EpcisException:
            raise
        except DomainError as exc:
            raise ValidationException(detail=f"event {position}: {exc}") from exc
        accepted.append(event_id)
    capture.event_count = len(accepted)
    return accepted


def _one_capture_at_a_time(session: Session) -> None:
    """Hold the capture lock until this transaction ends, so captures commit in the order of their record
    times: a client paging by ``(recorded_at, id)`` never passes a position that an event still being
    captured will take (paging stays stable under concurrent capture). PostgreSQL: a transaction-level
    advisory lock; SQLite: its write lock, which every writer takes anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(lock_key("epcis-capture"))))
    else:
        claim_write_lock(session)


def capture_document(session: Session, partner: Partner, raw: bytes) -> EpcisCapture:
    """Capture ``raw`` (an EPCISDocument) for ``partner``: every event recorded, or none and the job says why.

    Captures are serialised (:func:`_one_capture_at_a_time`). The events are written in a savepoint that is
    rolled back when any of them is refused, so the job row (and nothing else) remains. Sends
    ``sensor_readings_captured`` inside it for events with sensor data. Does not commit.
    """
    _one_capture_at_a_time(session)
    capture = EpcisCapture(partner_id=partner.id, status=CaptureStatus.REFUSED, size_bytes=len(raw))
    session.add(capture)
    session.flush()
    try:
        with session.begin_nested():
            accepted = _capture_events(session, partner, capture, raw)
    except EpcisException as exc:
        capture.status = CaptureStatus.REFUSED
        capture.event_count = 0
        capture.problem = exc.problem(instance=f"/epcis/capture/{capture.id}")
    else:
        capture.status = CaptureStatus.ACCEPTED
        capture.accepted = accepted
    capture.finished_at = utcnow()
    session.flush()
    return capture


@dataclass
class JobPage:
    """One page of a partner's capture jobs, newest first, and the token of the next (``None``: the last)."""

    jobs: list[EpcisCapture]
    next_token: str | None


def _job_token(last_id: int) -> str:
    """The opaque token of the position after job ``last_id``."""
    return base64.urlsafe_b64encode(json.dumps(["jobs", last_id]).encode()).decode().rstrip("=")


def _read_job_token(token: str) -> int:
    """The job id a token names; refused if malformed."""
    try:
        mark, last_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError) as exc:
        raise QueryParameterException(name="nextPageToken") from exc
    if mark != "jobs" or not isinstance(last_id, int) or isinstance(last_id, bool):
        raise QueryParameterException(name="nextPageToken")
    return last_id


def jobs_statement(partner: Partner, before: int | None, limit: int) -> Select[EpcisCapture]:
    """The partner's next ``limit`` jobs before job ``before`` (``None``: the newest), newest first."""
    statement = select(EpcisCapture).where(EpcisCapture.partner_id == partner.id)
    if before is not None:
        statement = statement.where(EpcisCapture.id < before)
    return statement.order_by(EpcisCapture.id.desc()).limit(limit)


def capture_jobs(session: Session, partner: Partner, args: Any) -> JobPage:
    """A page of ``partner``'s capture jobs, newest first, read along ``(partner_id, id)``; ``args`` (a
    MultiDict) may give ``perPage`` and ``nextPageToken``. Raises :class:`QueryParameterException`.
    Read-only."""
    unknown = next((name for name in args if name not in ("perPage", "nextPageToken")), None)
    if unknown is not None:
        raise QueryParameterException(name=unknown)
    raw_per_page = args.get("perPage", str(DEFAULT_PER_PAGE))
    if not raw_per_page.isdigit() or not 1 <= int(raw_per_page) <= MAX_PER_PAGE:
        raise QueryParameterException(name="perPage")
    per_page = int(raw_per_page)
    before = _read_job_token(args["nextPageToken"]) if "nextPageToken" in args else None
    jobs = list(session.scalars(jobs_statement(partner, before, per_page + 1)))
    more = len(jobs) > per_page
    jobs = jobs[:per_page]
    return JobPage(jobs, _job_token(jobs[-1].id) if more else None)
