"""How events read on screen: step names, certificate bases and detail labels (trace page and workbench)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog.labels import label
from traceability.batches.rules import COMMITMENTS
from traceability.models import ComplianceBasis, EventKind, RecorderRole, TraceEvent


def utc_iso(moment: datetime | None) -> str | None:
    """A timestamp as UTC ISO 8601 with a ``Z``, to the second (``None`` stays ``None``)."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


EVENT_KIND_LABELS = {
    EventKind.COMMISSIONING: _l("Batch recorded"),
    EventKind.INSPECTION: _l("Inspection"),
    EventKind.PROCESSING: _l("Processing"),
    EventKind.PACKING: _l("Packing"),
    EventKind.SHIPPING: _l("Shipping"),
    EventKind.RECEIVING: _l("Received"),
    EventKind.SELLING: _l("Sold"),
    EventKind.RECALL: _l("Recall"),
    EventKind.CORRECTION: _l("Correction"),
    EventKind.OBSERVATION: _l("Reported by a partner"),
}

COMMISSIONING_STEP_LABELS = {
    "harvest": _l("Harvest"),
    "slaughter": _l("Slaughter"),
    "production": _l("Made from other batches"),
}

#: What a batch's production date is the day of (trace.data ``produced_on_kind``).
PRODUCED_ON_LABELS = {
    "harvest": _l("Produced on"),
    "slaughter": _l("Slaughtered on"),
    "processing": _l("Processed on"),
}

#: In which capacity an event was recorded, as the trace page and the workbench name it.
RECORDER_LABELS = {
    RecorderRole.PRODUCER: _l("Producer"),
    RecorderRole.INSTITUTION: _l("Buying institution"),
    RecorderRole.REVIEWER: _l("County office (reviewer)"),
    RecorderRole.ADMINISTRATOR: _l("Platform administrator"),
    RecorderRole.PARTNER: _l("Partner's system"),
}

BASIS_LABELS = {
    ComplianceBasis.QUALITY_CONTROL: _l("Quality and safety controls meet the requirements"),
    ComplianceBasis.SELF_TESTED: _l("Passed the producer's own test"),
    ComplianceBasis.COMMISSIONED_TEST: _l("Passed a commissioned laboratory test"),
}

#: The four commitments of the 承诺达标合格证, stored in the national template's Chinese wording, as a reader
#: of the page's language reads them (in Chinese, that wording again).
COMMITMENT_LABELS = dict(
    zip(
        COMMITMENTS,
        (
            _l("No banned or restricted pesticides or veterinary drugs are used"),
            _l("No illegal additives are used"),
            _l("Pesticide safety intervals and veterinary drug withdrawal periods are observed"),
            _l(
                "The edible farm produce sold meets the mandatory national food safety standards"
                " for pesticide and veterinary drug residues"
            ),
        ),
        strict=True,
    )
)


def commitment_label(text: str) -> str:
    """A stored commitment in the page's language (one not of the national template as stored)."""
    return str(COMMITMENT_LABELS.get(text, text))


#: Labels of the structured event details shown on the page (``step``, ``unit`` and ``role`` shape the title).
DETAIL_LABELS = {
    "order": _l("Order number"),
    "quantity": _l("Quantity"),
    "quantity_used": _l("Quantity used"),
    "best_before": _l("Best before"),
    "slaughterhouse": _l("Slaughterhouse"),
    "origin_quarantine_no": _l("Animal quarantine certificate (产地检疫)"),
    "slaughter_quarantine_no": _l("Meat quarantine certificate (屠宰检疫)"),
    "compliance_certificate": _l("Compliance certificate"),
    "basis": _l("Basis"),
    "inspector": _l("Inspected by"),
    "result": _l("Result"),
    "process": _l("Process"),
    "inputs": _l("Made from"),
    "outputs": _l("Made into"),
    "container": _l("Container or pallet ID"),
    "container_id": _l("Container or pallet ID"),
    "count": _l("Number of packages"),
    "from": _l("From"),
    "to": _l("To"),
    "carrier": _l("Carrier"),
    "waybill": _l("Waybill number"),
    "invoice": _l("Invoice"),
    "receiver": _l("Received by"),
    "condition": _l("Condition on arrival"),
    "corrects_seq": _l("Corrects step no."),
    "problem": _l("What was wrong"),
    "reason": _l("Reason"),
    "origin_lot": _l("Recall started at lot"),
}
_TITLE_KEYS = frozenset({"step", "unit", "role"})
_QUANTITY_KEYS = frozenset({"quantity", "quantity_used"})


def event_title(event: TraceEvent) -> str:
    """What happened, in a word or two (harvest or slaughter for the first event)."""
    if event.kind == EventKind.COMMISSIONING:
        step = (event.details or {}).get("step")
        if step in COMMISSIONING_STEP_LABELS:
            return str(COMMISSIONING_STEP_LABELS[step])
    return str(EVENT_KIND_LABELS.get(event.kind, event.kind))


def _detail_value(key: str, value: Any, unit: str | None = None) -> str:
    """A detail's value as one readable line (quantities with their unit)."""
    if key in _QUANTITY_KEYS and unit and isinstance(value, int):
        return f"{value} {label('unit', unit)}"
    if key == "inputs" and isinstance(value, list):
        return ", ".join(
            f"{item.get('lot')} × {item.get('quantity')}" if isinstance(item, dict) else str(item)
            for item in value
        )
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if key == "basis":
        try:
            return str(BASIS_LABELS[ComplianceBasis(value)])
        except ValueError:
            return str(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def event_details(event: TraceEvent, unit: str | None = None) -> list[tuple[str, str]]:
    """The event's structured details as ``(label, value)`` rows, known keys first, then any others.

    Quantities read in the unit the event names, else in ``unit`` (the batch's product unit).
    """
    details = event.details or {}
    unit = str(details.get("unit") or unit or "") or None
    rows = [
        (str(name), _detail_value(key, details[key], unit))
        for key, name in DETAIL_LABELS.items()
        if key in details
    ]
    rows += [
        (key, _detail_value(key, value))
        for key, value in sorted(details.items())
        if key not in DETAIL_LABELS and key not in _TITLE_KEYS
    ]
    return rows


def recorded_by(event: TraceEvent) -> str:
    """Who recorded ``event``, publicly: the party's name and in which capacity (events recorded before the
    capacity was kept show the name alone)."""
    if event.recorded_as is None:
        return event.actor_name
    role = RECORDER_LABELS.get(RecorderRole(event.recorded_as), event.recorded_as)
    return str(_("Recorded by %(name)s · %(role)s", name=event.actor_name, role=role))
