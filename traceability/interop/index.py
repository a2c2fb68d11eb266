"""The query index of the EPCIS interface: every event of every batch's chain, captured or recorded here.

Captured events are indexed by :mod:`traceability.interop.capture`. An event recorded on our pages (or by
a recall, a processing step…) is indexed when it is appended (:func:`index_own_event`, called by
:func:`traceability.batches.services.append_event`), as our EPCIS export writes it at that moment, under its
canonical hash id; events recorded before the index took them in are added by ``flask --app shop epcis
index-events`` (:func:`backfill`). The index is what ``GET /epcis/events`` pages through by ``(recorded_at,
id)``, so the partner's scope, the filters and the paging are the same for both kinds of event.

Captures are serialised so that paging never passes a captured event still being committed; events recorded
on our pages are not (serialising every event-writing transaction platform-wide would cost more than it
gives), so one committed a moment after a client paged past its record time appears in that client's next
pass through the events rather than in the current one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceability.epcis import class_id, epcis_event, namespace
from traceability.interop.lots import canonical_epc
from traceability.interop.models import EpcisEvent, EpcisEventLot
from traceability.interop.query import vocabulary_uri
from traceability.models import Batch, TraceEvent

BACKFILL_CHUNK = 500


def indexed_field(field_name: str, value: Any) -> str | None:
    """A field of the index in the form queries name it (CBV web URI, canonical location), or ``None``."""
    if not isinstance(value, str):
        return None
    return (canonical_epc(value) if field_name == "bizLocation" else vocabulary_uri(field_name, value))[:300]


def is_captured(event: TraceEvent) -> bool:
    """Whether a partner's system captured ``event`` (the capture indexes those itself)."""
    return isinstance((event.details or {}).get("epcis"), dict)


def index_own_event(
    session: Session, event: TraceEvent, batch: Batch, document: dict[str, Any], base_url: str
) -> EpcisEventLot:
    """Index ``event`` (recorded on our pages, flushed) of ``batch`` as ``document`` (our export of it, with
    its hash id as ``eventID``). An EPCIS event already indexed from another chain (a processing step is one
    event in each of its lots' chains) gains only the lot. Does not commit."""
    event_id = str(document["eventID"])
    row = session.scalar(select(EpcisEvent).where(EpcisEvent.event_id == event_id))
    if row is None:
        row = EpcisEvent(
            event_id=event_id,
            event_type=str(document["type"]),
            event_time=event.occurred_at,
            recorded_at=event.recorded_at,
            biz_step=indexed_field("bizStep", document.get("bizStep")),
            disposition=indexed_field("disposition", document.get("disposition")),
            biz_location=indexed_field("bizLocation", (document.get("bizLocation") or {}).get("id")),
            context={"bangfu": namespace(base_url)},
            document=document,
        )
        session.add(row)
        session.flush()
    lot = session.scalar(
        select(EpcisEventLot).where(
            EpcisEventLot.epcis_event_id == row.id, EpcisEventLot.batch_id == batch.id
        )
    )
    if lot is None:
        lot = EpcisEventLot(
            epcis_event_id=row.id,
            batch_id=batch.id,
            trace_event_id=event.id,
            producer_id=batch.producer_id,
            county_id=batch.producer.county_id,
            recorded_at=row.recorded_at,  # the EPCIS event's, so a page lists it once
            epc=canonical_epc(class_id(batch, base_url))[:300],
        )
        session.add(lot)
        session.flush()
    return lot


@dataclass
class BackfillRun:
    """What one chunk of the backfill did: the last event id read (``None`` when none was left)."""

    last_id: int | None
    indexed: int


def backfill(session: Session, base_url: str, after_id: int, limit: int = BACKFILL_CHUNK) -> BackfillRun:
    """Index the next ``limit`` events after ``after_id`` that are neither captured nor indexed yet, as our
    export writes them now (their hash ids as the export gives them). Does not commit."""
    events = list(
        session.scalars(
            select(TraceEvent).where(TraceEvent.id > after_id).order_by(TraceEvent.id).limit(limit)
        )
    )
    if not events:
        return BackfillRun(None, 0)
    ids = [e.id for e in events]
    done = set(
        session.scalars(select(EpcisEventLot.trace_event_id).where(EpcisEventLot.trace_event_id.in_(ids)))
    )
    indexed = 0
    for event in events:
        if event.id in done or is_captured(event):
            continue
        index_own_event(
            session, event, event.batch, epcis_event(session, event, event.batch, base_url), base_url
        )
        indexed += 1
    return BackfillRun(events[-1].id, indexed)
