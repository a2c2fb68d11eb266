"""A batch's events as an EPCIS 2.0 JSON-LD document (GS1), for ``?linkType=gs1:epcis`` on any trace URL.

Mapping (bizStep and disposition from the CBV 2.0 vocabulary):

- commissioning → ObjectEvent, action ADD, bizStep ``commissioning``, disposition ``active``, with ILMD
  (best-before date, country of origin);
- inspection → ObjectEvent OBSERVE ``inspecting`` (``conformant`` and ``certificationInfo`` when it
  records the compliance certificate); shipping → ``shipping``/``in_transit``; receiving →
  ``receiving``/``in_progress``; selling → ``retail_selling``/``retail_sold``; recall → OBSERVE with
  disposition ``recalled``; a correction → OBSERVE without bizStep (its details say what it corrects);
- packing → AggregationEvent ADD ``packing``: ``parentID`` is the container (an SSCC as a GS1 Digital
  Link URI, a URI the producer gave, or else a fragment of the trace page), ``childQuantityList`` the
  batch's class, with the packed quantity when known (see :func:`packed_quantity`);
- processing → one TransformationEvent per step, identical in every input's and output's document:
  inputs and outputs as class-level quantities, bizStep ``commissioning`` (the outputs are new lots,
  CBV 2.0), and a ``transformationID`` derived from the step's output lots.

Identifiers are class-level (lot-based): ``https://id.gs1.org/01/<GTIN-14>/10/<lot>`` when the product has a
GTIN, else the batch's absolute trace URL. Quantities use UN/ECE Rec 20 units (kg → KGM, 斤 → KGM × 0.5,
piece → H87, box → XBX, the Rec 21 package code in Rec 20 form). Times are UTC with ``eventTimeZoneOffset``
``+08:00``; a region becomes ``bizLocation`` ``<base>/regions/<code>``. Every event's ``eventID`` is its
canonical EPCIS event hash id (:mod:`traceability.interop.eventhash`), so anyone can check it with GS1's
reference tool; events captured from partners' systems come back as captured. Our own facts (the chain link:
an event's hash before chain version 2, the previous event's hash since, as the hash id is then covered by
the chain; place, actor, in which capacity it was recorded, details, chain status and head) travel as
extensions in the ``bangfu:`` namespace of ``@context``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Unit
from core.db import utcnow
from traceability.display import utc_iso
from traceability.interop.eventhash import event_hash_id
from traceability.interop.models import EpcisEvent
from traceability.links import trace_url
from traceability.models import Batch, EventKind, TraceEvent
from traceability.trace.verdict import chain_status, stored_events

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
EPCIS_MEDIA_TYPE = "application/ld+json"
TIME_ZONE_OFFSET = "+08:00"  # Asia/Shanghai has no daylight saving time

#: UN/ECE unit code and the factor from the product's unit to it.
UNIT_CODES: dict[Unit, tuple[str, Decimal]] = {
    Unit.KG: ("KGM", Decimal(1)),
    Unit.JIN: ("KGM", Decimal("0.5")),
    Unit.PIECE: ("H87", Decimal(1)),
    Unit.BOX: ("XBX", Decimal(1)),
}

#: ObjectEvent kinds: (action, bizStep, disposition).
OBJECT_EVENTS: dict[EventKind, tuple[str, str | None, str | None]] = {
    EventKind.COMMISSIONING: ("ADD", "commissioning", "active"),
    EventKind.INSPECTION: ("OBSERVE", "inspecting", None),
    EventKind.SHIPPING: ("OBSERVE", "shipping", "in_transit"),
    EventKind.RECEIVING: ("OBSERVE", "receiving", "in_progress"),
    EventKind.SELLING: ("OBSERVE", "retail_selling", "retail_sold"),
    EventKind.RECALL: ("OBSERVE", None, "recalled"),
    EventKind.CORRECTION: ("OBSERVE", None, None),
    EventKind.OBSERVATION: ("OBSERVE", None, None),
}

_SSCC = re.compile(r"\(?(?:00\))?\s*(\d{18})")
_URI = re.compile(r"(?:https?|urn):[!-~]+")


def namespace(base_url: str) -> str:
    """The IRI of our extension vocabulary (the ``bangfu:`` prefix)."""
    return base_url.rstrip("/") + "/ns/trace#"


def class_id(batch: Batch, base_url: str) -> str:
    """The batch's class-level identifier: GS1 Digital Link on id.gs1.org with a GTIN, else its trace URL."""
    gtin = batch.product.gtin
    if gtin:
        return f"https://id.gs1.org/01/{gtin.zfill(14)}/10/{quote(batch.lot_code, safe='')}"
    return trace_url(base_url, batch)


def _number(value: Decimal) -> int | float:
    """A JSON number: whole values as integers, halves (斤) as exact binary fractions."""
    return int(value) if value == value.to_integral_value() else float(value)


def quantity_element(batch: Batch, base_url: str, quantity: Any = None) -> dict[str, Any]:
    """A quantityElement of ``batch``'s class; ``quantity`` (in the product's unit) converted to UN/ECE."""
    element: dict[str, Any] = {"epcClass": class_id(batch, base_url)}
    if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity >= 0:
        uom, factor = UNIT_CODES[batch.product.unit]
        element["quantity"] = _number(Decimal(quantity) * factor)
        element["uom"] = uom
    return element


def _region_uri(base_url: str, event: TraceEvent) -> str | None:
    region = event.region
    return f"{base_url.rstrip('/')}/regions/{region.code}" if region is not None and region.code else None


def _common(event: TraceEvent, event_type: str, page_url: str, base_url: str) -> dict[str, Any]:
    """Fields every event of ours carries: times, id, location and our extensions."""
    data: dict[str, Any] = {
        "type": event_type,
        "eventTime": utc_iso(event.occurred_at),
        "eventTimeZoneOffset": TIME_ZONE_OFFSET,
        "recordTime": utc_iso(event.recorded_at),
    }
    location = _region_uri(base_url, event)
    if location:
        data["bizLocation"] = {"id": location}
    data["bangfu:seq"] = event.seq
    if (event.chain_version or 1) >= 2:
        # the chain hash covers this event's hash id, so the event names the link before it instead of its
        # own hash (which is the next event's ``bangfu:prevHash`` and, for the last, the document's head)
        if event.prev_hash:
            data["bangfu:prevHash"] = event.prev_hash
    else:
        data["bangfu:hash"] = event.hash
    data["bangfu:place"] = event.place
    data["bangfu:actor"] = event.actor_name
    if event.recorded_as is not None:
        data["bangfu:recordedAs"] = str(event.recorded_as)
    data["bangfu:details"] = event.details or {}
    if event.note:
        data["bangfu:note"] = event.note
    return data


def object_event(event: TraceEvent, batch: Batch, base_url: str) -> dict[str, Any]:
    """An ObjectEvent for a commissioning, inspection, shipping, receiving, selling, recall or correction."""
    action, biz_step, disposition = OBJECT_EVENTS[event.kind]
    details = event.details or {}
    page_url = trace_url(base_url, batch)
    data = _common(event, "ObjectEvent", page_url, base_url)
    quantity = details.get("quantity", batch.quantity if event.kind == EventKind.COMMISSIONING else None)
    data["action"] = action
    data["quantityList"] = [quantity_element(batch, base_url, quantity)]
    if biz_step:
        data["bizStep"] = biz_step
    if event.kind == EventKind.INSPECTION and details.get("compliance_certificate"):
        disposition = "conformant"
        data["certificationInfo"] = f"{page_url}#compliance"
    if disposition:
        data["disposition"] = disposition
    if event.kind == EventKind.COMMISSIONING:
        data["ilmd"] = {
            "cbvmda:bestBeforeDate": batch.best_before.isoformat(),
            "cbvmda:countryOfOrigin": "CN",
        }
    return data


def container_uri(container: Any, page_url: str, seq: int) -> str:
    """The packing container as a URI: SSCC as Digital Link, a URI as given, anything else a page fragment."""
    text = str(container or "").strip()
    sscc = _SSCC.fullmatch(text)
    if sscc:
        return f"https://id.gs1.org/00/{sscc.group(1)}"
    if _URI.fullmatch(text):
        return text
    return f"{page_url}#container-{seq}"


def packed_quantity(batch: Batch, details: dict[str, Any]) -> Any:
    """How much of the batch went into the container, in the product's unit, if the details say.

    ``quantity`` is in the product's unit; ``count`` is a number of packages, which is a quantity only when
    the product is sold by the package (piece, box). A count of packages of a product sold by weight says
    nothing about the weight, so it stays in the details.
    """
    if "quantity" in details:
        return details["quantity"]
    return details.get("count") if batch.product.unit.is_packaged else None


def aggregation_event(event: TraceEvent, batch: Batch, base_url: str) -> dict[str, Any]:
    """An AggregationEvent (ADD, packing): the batch's class (and quantity, when known) into a container."""
    details = event.details or {}
    page_url = trace_url(base_url, batch)
    data = _common(event, "AggregationEvent", page_url, base_url)
    container = details.get("container") or details.get("container_id")
    data["parentID"] = container_uri(container, page_url, event.seq)
    data["childQuantityList"] = [quantity_element(batch, base_url, packed_quantity(batch, details))]
    data["action"] = "ADD"
    data["bizStep"] = "packing"
    return data


def _processing_events(session: Session, batch: Batch) -> list[TraceEvent]:
    return list(
        session.scalars(
            select(TraceEvent)
            .where(TraceEvent.batch_id == batch.id, TraceEvent.kind == EventKind.PROCESSING)
            .order_by(TraceEvent.seq)
        )
    )


def _step_sides(session: Session, event: TraceEvent, batch: Batch) -> tuple[list[tuple[str, int]], list[str]]:
    """The whole processing step an event belongs to: ``([(input lot, quantity used)], [output lots])``.

    An input's event names every input and output (since the EPCIS index records it as it is appended, before
    the outputs' events exist); an output's event, and an input's recorded before, name only the other side,
    so the missing half is read from a batch on the other side.
    """
    details = event.details or {}
    if details.get("role") == "input" and details.get("inputs"):
        refs = details["inputs"]
        return [(str(r["lot"]), int(r.get("quantity") or 0)) for r in refs], [
            str(lot) for lot in details.get("outputs") or []
        ]
    if details.get("role") == "input":
        outputs = [str(lot) for lot in details.get("outputs") or []]
        inputs = [(batch.lot_code, int(details.get("quantity_used") or 0))]
        first = session.scalar(select(Batch).where(Batch.lot_code == outputs[0])) if outputs else None
        for other in _processing_events(session, first) if first is not None else []:
            refs = (other.details or {}).get("inputs") or []
            if any(ref.get("lot") == batch.lot_code for ref in refs):
                inputs = [(str(ref["lot"]), int(ref.get("quantity") or 0)) for ref in refs]
                break
        return inputs, outputs
    refs = details.get("inputs") or []
    inputs = [(str(ref["lot"]), int(ref.get("quantity") or 0)) for ref in refs]
    outputs = [batch.lot_code]
    first = session.scalar(select(Batch).where(Batch.lot_code == inputs[0][0])) if inputs else None
    for other in _processing_events(session, first) if first is not None else []:
        lots = (other.details or {}).get("outputs") or []
        if batch.lot_code in lots:
            outputs = [str(lot) for lot in lots]
            break
    return inputs, outputs


def transformation_event(session: Session, event: TraceEvent, batch: Batch, base_url: str) -> dict[str, Any]:
    """The TransformationEvent of the processing step ``event`` records (the same from every side)."""
    inputs, outputs = _step_sides(session, event, batch)
    lots = {lot for lot, _ in inputs} | set(outputs)
    by_lot = {b.lot_code: b for b in session.scalars(select(Batch).where(Batch.lot_code.in_(lots)))}
    step_key = f"{base_url.rstrip('/')}/transformations/{','.join(sorted(outputs))}"
    details = event.details or {}
    data: dict[str, Any] = {
        "type": "TransformationEvent",
        "eventTime": utc_iso(event.occurred_at),
        "eventTimeZoneOffset": TIME_ZONE_OFFSET,
        "transformationID": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, step_key)}",
        "inputQuantityList": [
            quantity_element(by_lot[lot], base_url, quantity) for lot, quantity in inputs if lot in by_lot
        ],
        "outputQuantityList": [
            quantity_element(by_lot[lot], base_url, by_lot[lot].quantity)
            for lot in sorted(outputs)
            if lot in by_lot
        ],
        "bizStep": "commissioning",
        "disposition": "active",
        "bangfu:process": details.get("process"),
        "bangfu:place": event.place,
        "bangfu:actor": event.actor_name,
    }
    if event.recorded_as is not None:
        data["bangfu:recordedAs"] = str(event.recorded_as)
    return data


def epcis_event(
    session: Session,
    event: TraceEvent,
    batch: Batch,
    base_url: str,
    recorded: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The EPCIS event for one of ``batch``'s stored events, its ``eventID`` the canonical event hash id.

    An event a partner's system captured (``traceability.interop``) is given back as it was captured, with
    the hash id it was captured under and its record time here. An event whose chain keeps its hash id is
    given back as it was written when it was recorded (``recorded``: hash id → that document), so the id its
    chain covers is the hash of what is shown even after the product's GTIN was corrected.
    """
    captured = (event.details or {}).get("epcis")
    if isinstance(captured, dict):
        return {**captured, "recordTime": utc_iso(event.recorded_at)}
    if recorded and event.epcis_event_id is not None and event.epcis_event_id in recorded:
        return dict(recorded[event.epcis_event_id])
    if event.kind == EventKind.PACKING:
        data = aggregation_event(event, batch, base_url)
    elif event.kind == EventKind.PROCESSING:
        data = transformation_event(session, event, batch, base_url)
    else:
        data = object_event(event, batch, base_url)
    return {"eventID": event_hash_id(data, {"bangfu": namespace(base_url)}), **data}


def build_document(
    session: Session, batch: Batch, base_url: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """The EPCISDocument of ``batch``'s events (loaded fresh) with the chain's verification. Read-only."""
    events = stored_events(session, batch)
    chain = chain_status(batch, events)
    kept = [e.epcis_event_id for e in events if e.epcis_event_id]
    rows = session.execute(
        select(EpcisEvent.event_id, EpcisEvent.document, EpcisEvent.context).where(
            EpcisEvent.event_id.in_(kept)
        )
    )
    # as recorded, when recorded under this document's namespace (the hash id depends on it)
    ours = namespace(base_url)
    recorded = {str(i): dict(doc) for i, doc, context in rows if (context or {}).get("bangfu") == ours}
    return {
        "@context": [EPCIS_CONTEXT, {"bangfu": namespace(base_url)}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": utc_iso(now or utcnow()),
        "bangfu:lot": batch.lot_code,
        "bangfu:traceURL": trace_url(base_url, batch),
        "bangfu:chain": {
            "valid": chain.valid,
            "events": chain.events,
            "brokenAt": chain.broken_at,
            "head": batch.head_hash,
        },
        "epcisBody": {"eventList": [epcis_event(session, e, batch, base_url, recorded) for e in events]},
    }
