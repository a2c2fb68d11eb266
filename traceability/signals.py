"""Signals the layers to the right subscribe to (the shop flags orders of recalled batches, and says which
orders hold units of a batch for the recall export; oversight tells the trace page its quality samples)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypedDict

from blinker import Namespace
from sqlalchemy.orm import Session

signals = Namespace()

#: Sent inside the recalling transaction with ``session`` and ``batch_ids`` (every batch the recall reached).
batch_recalled = signals.signal("batch-recalled")

#: Sent by the recall export with ``session`` as sender and ``batch_ids`` (a batch and every batch made
#: from it). Each receiver returns a list of :class:`AffectedOrder`: every order of its kind that holds
#: units of those batches, shipped or only allocated (units given back to a batch are not counted).
#: Receivers read only, in the request's language (the export asks in the marketplace's default).
collect_recall_orders = signals.signal("collect-recall-orders")


class AffectedOrder(TypedDict):
    """One order line's units of one affected batch, with what a recall needs to reach the buyer."""

    #: ``order`` (a consumer's) or ``purchase_order`` (an institution's delivery).
    kind: str
    #: The order's number (for a purchase order: the producer's delivery number).
    number: str
    #: The purchase order a delivery belongs to ("" for consumer orders).
    purchase_order: str
    #: The order's state, as the orders pages name it.
    status: str
    lot: str
    product: str
    quantity: int
    #: The product's unit as shown (kg, 斤, piece, box).
    unit: str
    #: Who bought: a consumer's display name or an institution's name.
    buyer: str
    recipient: str
    phone: str
    email: str
    address: str
    seller: str
    placed_on: date
    shipped_on: date | None


#: Sent inside the capturing transaction when an event captured from a partner's system (EPCIS 2.0
#: ``sensorElementList``) or uploaded from a data logger carries sensor readings, with ``session`` as sender,
#: ``batch_ids`` (the batches the event is about), ``event_id`` (our :class:`TraceEvent` id, or ``None`` for a
#: logger upload without an event), ``place`` and ``readings``: a list of :class:`SensorReading`.
sensor_readings_captured = signals.signal("sensor-readings-captured")


class SensorReading(TypedDict):
    """One reading as captured: EPCIS 2.0 ``sensorReport`` fields that matter to the cold chain."""

    #: CBV measurement type, e.g. ``Temperature`` or ``RelativeHumidity``.
    type: str
    #: UTC, timezone-aware.
    time: datetime
    #: One value, or a min/max/mean summary over the event's interval (any of them may be ``None``).
    value: float | None
    min_value: float | None
    max_value: float | None
    mean_value: float | None
    #: UN/CEFACT unit code as captured (``CEL`` for °C, ``FAH`` for °F).
    uom: str
    #: A device's alarm (``ALARM_CONDITION`` in ``exception``), if it raised one.
    is_alarm: bool


#: Sent by the trace page with ``session`` as sender and ``batch_id``, only when the batch's
#: ``findings_version`` says a result was recorded. Each receiver returns a list of :class:`SamplingResult`,
#: newest first (oversight answers from its quality samples, in one indexed query). Receivers only read; one
#: that records a result raises the batch's ``findings_version`` in the same transaction, so the page's
#: version (traceability.trace.lookup) moves with it.
collect_sampling_results = signals.signal("collect-sampling-results")


class SamplingResult(TypedDict):
    """A quality sample's (抽检) result as the trace page shows it; pending samples are not shown."""

    #: ``passed`` or ``failed``.
    result: str
    #: The Asia/Shanghai date the sample was taken.
    sampled_on: date
    lab: str
    #: The items tested (e.g. 农药残留).
    items: list[str]


def sampling_results(session: Session, batch_id: int) -> list[SamplingResult]:
    """Every receiver's quality-sample results of the batch, newest first as each answered."""
    found: list[SamplingResult] = []
    for _receiver, answer in collect_sampling_results.send(session, batch_id=batch_id):
        rows: Any = answer or []
        found.extend(rows)
    return found
