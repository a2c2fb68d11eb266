"""Batches with their 承诺达标合格证, hash-chained trace events and (for a few) serialized units.

Every batch's chain is the app's own: each event holds what the service that records it would have written
(``create_batch``'s commissioning, ``issue_compliance_certificate``'s inspection, a packing step, the
shipping event of each order that drew from it — ``ship_order`` and the procurement ``ship`` —, the
institution's receiving event, the recall), and its hash is computed by
``traceability.chain.compute_hash`` over the same content, so ``verify_chain`` passes.

The event budget (``--events``) covers the batches' own events first; what remains goes to shipments,
drawn evenly from every shipped order line (a shipment without an event of its own is one the producer
recorded with the batch's packing step).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from shop.demo.scale.codes import (
    SHORT_DELIVERY,
    code,
    lot_code,
    recall_reason_of,
    supplier_number,
    tracking_number,
)
from shop.demo.scale.institutions import Buyer
from shop.demo.scale.loader import Loader, columns, moment
from shop.demo.scale.people import address_of
from shop.demo.scale.places import Places
from shop.demo.scale.products import DAY
from shop.demo.scale.purchasing import Purchasing
from shop.demo.scale.shopping import HOUR, Context, Shopping, day_of, document_number, midnight
from shop.demo.scale.vocabulary import CARRIERS
from traceability.batches.services import CODE_ALPHABET, DEFAULT_COMMITMENTS
from traceability.chain import compute_hash
from traceability.models import ComplianceBasis, EventKind, RecorderRole, TraceEvent

#: Share of batches with a packing step recorded.
PACKING_SHARE = 0.8
SERIALIZED_BATCHES, SERIALS_PER_BATCH = 20, 50
#: Kinds of shipment an event can record (the low bits of a sort key).
CONSUMER_SHIPPING, SUPPLIER_SHIPPING, SUPPLIER_RECEIVING = 0, 1, 2
BATCH_COLUMNS = columns(
    "id lot_code product_id producer_id quantity quantity_available produced_on best_before "
    "origin_id slaughterhouse origin_quarantine_no slaughter_quarantine_no status recalled_at "
    "recall_reason visit_count head_hash event_count created_at created_by_id"
)
EVENT_COLUMNS = columns(
    "id batch_id seq kind occurred_at recorded_at place region_id actor_id actor_name details note "
    "prev_hash hash"
)
COMPLIANCE_COLUMNS = columns(
    "id batch_id number product_name producer_name contact_phone origin_name quantity issued_on "
    "commitments basis test_report_key"
)


@dataclass(slots=True)
class Step:
    """What ``compute_hash`` reads of an event (the attributes of ``TraceEvent`` it covers), and its two
    times as seconds since the epoch."""

    at: int
    recorded: int
    seq: int
    kind: EventKind
    occurred_at: datetime
    recorded_at: datetime
    place: str
    region_id: int | None
    actor_id: int | None
    actor_name: str
    details: dict[str, Any]
    note: str | None
    #: Generated events say nothing of who recorded them, like events older than that column (not hashed).
    recorded_as: RecorderRole | None = None
    #: Generated events are hashed with the chain's version 1 formula, without an EPCIS hash id (the column's
    #: default; ``flask --app shop epcis index-events`` enters them into the EPCIS query index).
    chain_version: int = 1
    epcis_event_id: str | None = None


@dataclass(frozen=True)
class FirstIds:
    """The ids the orders, supplier orders and purchase orders will get (their numbers appear in events)."""

    order: int
    supplier_order: int


class BatchWriter:
    """Writes every planned batch, its compliance certificate and its events, then a few serialized units."""

    def __init__(
        self,
        loader: Loader,
        rng: random.Random,
        context: Context,
        places: Places,
        shopping: Shopping,
        purchasing: Purchasing,
        first: FirstIds,
    ) -> None:
        """Everything the batches' rows and events are made of."""
        self.loader, self.rng, self.context, self.places = loader, rng, context, places
        self.shopping, self.purchasing, self.first = shopping, purchasing, first
        self.batches = loader.table("traceability_batch", BATCH_COLUMNS)
        self.compliance = loader.table("traceability_compliance_certificate", COMPLIANCE_COLUMNS)
        self.events = loader.table("traceability_event", EVENT_COLUMNS)
        self.first_batch = loader.next_id("traceability_batch")
        self.next_event = loader.next_id("traceability_event")
        self.next_certificate = loader.next_id("traceability_compliance_certificate")
        self.lots_per_day: dict[int, int] = {}
        self.lot_codes: list[str] = []

    def shipment_keys(self, budget: int) -> list[int]:
        """Sort keys (batch, time, kind, line) of the shipments that get events of their own, by batch."""
        shop, purchase = self.shopping, self.purchasing
        candidates = sum(1 for line in range(len(shop.l_order)) if shop.shipped[shop.l_order[line]])
        for line in range(len(purchase.l_supplier)):
            supplier = purchase.l_supplier[line]
            candidates += (1 if purchase.s_shipped[supplier] else 0) + (
                1 if purchase.s_received[supplier] else 0
            )
        share = min(1.0, budget / candidates) if candidates else 0.0
        rng, t0 = self.rng, self.context.cutoff - 8 * 365 * DAY
        keys: list[int] = []

        def key(batch: int, when: int, kind: int, line: int) -> int:
            return (((batch << 28) + when - t0) << 2 | kind) << 28 | line

        for line in range(len(shop.l_order)):
            shipped = shop.shipped[shop.l_order[line]]
            if shipped and rng.random() < share:
                keys.append(key(shop.l_batch[line], shipped, CONSUMER_SHIPPING, line))
        for line in range(len(purchase.l_supplier)):
            supplier = purchase.l_supplier[line]
            for when, kind in (
                (purchase.s_shipped[supplier], SUPPLIER_SHIPPING),
                (purchase.s_received[supplier], SUPPLIER_RECEIVING),
            ):
                if when and rng.random() < share:
                    keys.append(key(purchase.l_batch[line], when, kind, line))
        keys.sort()
        return keys

    def write(self, events: int) -> None:
        """Write every batch; ``events`` is the budget of trace events in all."""
        lots, items = self.context.lots, self.context.items
        needs = sum(
            1
            for b in range(len(lots))
            if lots.compliant[b] and items[lots.item[b]].category.needs_compliance_certificate
        )
        recalls = sum(1 for b in range(len(lots)) if lots.recalled[b])
        own = len(lots) + needs + recalls
        self.packing_share = min(PACKING_SHARE, max(0.0, (events - own) / max(1, len(lots))))
        budget = max(0, events - own - int(self.packing_share * len(lots)))
        keys = self.shipment_keys(budget)
        position = 0
        for batch in range(len(lots)):
            self.loader.checkpoint()
            refs: list[tuple[int, int, int]] = []
            while position < len(keys) and keys[position] >> 58 == batch:
                value = keys[position]
                refs.append(((value >> 30) & (2**28 - 1), (value >> 28) & 3, value & (2**28 - 1)))
                position += 1
            self._batch(batch, refs)
        self._serials()

    def _batch(self, batch: int, refs: list[tuple[int, int, int]]) -> None:
        c, rng, v, lots = self.context, self.rng, self.loader.values, self.context.lots
        item = c.items[lots.item[batch]]
        seller = item.seller
        produced, best_before, recalled = lots.produced[batch], lots.best_before[batch], lots.recalled[batch]
        batch_id = self.first_batch + batch
        seq = self.lots_per_day.get(produced, 0)
        self.lots_per_day[produced] = seq + 1
        lot = lot_code(produced, seq)
        self.lot_codes.append(lot)
        in_stock = best_before >= c.last_day + 1 and not recalled
        leftover = rng.randint(20, 400) if in_stock else rng.randint(0, 20)
        quantity = max(1, lots.taken[batch] + leftover)
        available = 0 if recalled else quantity - lots.taken[batch]
        meat = item.category.is_meat
        county = seller.county
        origin = seller.location_id
        origin_path = self.places.paths[origin]
        created = midnight(produced) + rng.randint(8 * HOUR, 18 * HOUR)
        slaughterhouse = f"{county.name}定点屠宰场" if meat else None
        quarantine = (
            (f"{county.code}0{batch_id:08d}1", f"{county.code}0{batch_id:08d}2") if meat else (None, None)
        )
        details: dict[str, Any] = {
            "step": "slaughter" if meat else "harvest",
            "quantity": quantity,
            "unit": item.unit.value,
            "best_before": v.day(best_before),
        }
        if meat:
            details.update(
                slaughterhouse=slaughterhouse,
                origin_quarantine_no=quarantine[0],
                slaughter_quarantine_no=quarantine[1],
            )
        owner, name = seller.owner_id, seller.name
        steps = [
            Step(
                midnight(produced),
                created,
                1,
                EventKind.COMMISSIONING,
                moment(midnight(produced)),
                moment(created),
                origin_path,
                origin,
                owner,
                name,
                details,
                None,
            )
        ]
        if lots.compliant[batch] and item.category.needs_compliance_certificate:
            number = (
                f"HGZ{v.day(produced).replace('-', '')}{code(batch_id * 7_919 % len(CODE_ALPHABET) ** 6, 6)}"
            )
            basis = ComplianceBasis.QUALITY_CONTROL
            self.compliance.add(
                (
                    self.next_certificate,
                    batch_id,
                    number,
                    item.name,
                    name,
                    seller.phone,
                    origin_path,
                    quantity,
                    v.day(produced),
                    v.json(list(DEFAULT_COMMITMENTS)),
                    basis.value,
                    v.null,
                )
            )
            self.next_certificate += 1
            steps.append(
                _step(
                    created + 300,
                    EventKind.INSPECTION,
                    origin_path,
                    origin,
                    owner,
                    name,
                    {"compliance_certificate": number, "basis": basis.value},
                )
            )
        if rng.random() < self.packing_share:
            steps.append(
                _step(
                    created + rng.randint(HOUR, 3 * HOUR),
                    EventKind.PACKING,
                    origin_path,
                    None,
                    owner,
                    name,
                    {"container_id": f"P-{lot}", "count": max(1, quantity // 20)},
                )
            )
        steps += [self._shipment(kind, line) for _when, kind, line in refs]
        recall_reason = None
        recalled_at = 0
        if recalled:
            recall_reason = recall_reason_of(batch)
            recalled_at = midnight(recalled) + rng.randint(10 * HOUR, 16 * HOUR)
            steps.append(
                _step(
                    recalled_at,
                    EventKind.RECALL,
                    county.path,
                    None,
                    county.reviewer_id,
                    county.name,
                    {"reason": recall_reason, "origin_lot": lot},
                )
            )
        steps.sort(key=lambda step: step.at)  # stable: the batch's own steps keep their order
        prev: str | None = None
        for seq_no, step in enumerate(steps, start=1):
            step.seq = seq_no
            digest = compute_hash(cast(TraceEvent, step), lot, prev)
            self.events.add(
                (
                    self.next_event,
                    batch_id,
                    seq_no,
                    step.kind.value,
                    v.ts(step.at),
                    v.ts(step.recorded),
                    step.place,
                    v.opt(step.region_id),
                    v.opt(step.actor_id),
                    step.actor_name,
                    v.json(step.details),
                    v.null,
                    v.opt(prev),
                    digest,
                )
            )
            self.next_event += 1
            prev = digest
        self.batches.add(
            (
                batch_id,
                lot,
                item.id,
                seller.id,
                quantity,
                available,
                v.day(produced),
                v.day(best_before),
                origin,
                v.opt(slaughterhouse),
                v.opt(quarantine[0]),
                v.opt(quarantine[1]),
                "recalled" if recalled else "active",
                v.opt_ts(recalled_at or None),
                v.opt(recall_reason),
                min(100_000, int(rng.paretovariate(1.3)) - 1),
                prev,
                len(steps),
                v.ts(created),
                owner,
            )
        )

    def _shipment(self, kind: int, line: int) -> Step:
        """The shipping or receiving event of one order line (as the services record it)."""
        c = self.context
        if kind == CONSUMER_SHIPPING:
            shop = self.shopping
            order = shop.l_order[line]
            order_id = self.first.order + order
            seller = c.sellers[shop.seller[order]]
            address = address_of(shop.buyer[order])
            details = {
                "from": seller.name,
                "to": f"{address.province.name}{address.city}{address.district}",
                "carrier": CARRIERS[order_id % len(CARRIERS)],
                "waybill": tracking_number(order_id),
                "order": document_number("", day_of(shop.placed[order]), shop.seq[order]),
                "quantity": shop.l_qty[line],
            }
            path = self.places.paths[seller.location_id]
            return _step(
                shop.shipped[order], EventKind.SHIPPING, path, None, seller.owner_id, seller.name, details
            )
        purchase = self.purchasing
        supplier = purchase.l_supplier[line]
        seller = c.sellers[purchase.s_seller[supplier]]
        institution: Buyer = c.institutions[purchase.institution[purchase.s_purchase[supplier]]]
        number = supplier_number(purchase, supplier)
        if kind == SUPPLIER_SHIPPING:
            details = {
                "from": seller.name,
                "to": f"{institution.name}（{institution.city}）",
                "carrier": CARRIERS[supplier % len(CARRIERS)],
                "waybill": tracking_number(self.first.supplier_order + supplier),
                "order": number,
                "quantity": purchase.l_confirmed[line],
            }
            path = self.places.paths[seller.location_id]
            return _step(
                purchase.s_shipped[supplier],
                EventKind.SHIPPING,
                path,
                None,
                seller.owner_id,
                seller.name,
                details,
            )
        details = {
            "from": seller.name,
            "receiver": institution.name,
            "order": number,
            "quantity": purchase.l_received[line],
        }
        if purchase.l_received[line] < purchase.l_confirmed[line]:
            details["condition"] = SHORT_DELIVERY
        place = f"{self.places.paths[institution.region_id]} {institution.name}".strip()[:200]
        return _step(
            purchase.s_received[supplier],
            EventKind.RECEIVING,
            place,
            institution.region_id,
            institution.buyer_id,
            institution.name,
            details,
        )

    def _serials(self) -> None:
        """A few batches were labelled unit by unit (serials), as producers of gift boxes do."""
        v, lots = self.loader.values, self.context.lots
        if not len(lots):
            return
        serials = self.loader.table(
            "traceability_serial_unit",
            ("id", "batch_id", "serial", "created_at", "first_checked_at", "check_count"),
        )
        serial_id = self.loader.next_id("traceability_serial_unit")
        step = max(1, len(lots) // SERIALIZED_BATCHES)
        for batch in range(0, len(lots), step)[:SERIALIZED_BATCHES]:
            created = midnight(lots.produced[batch]) + 20 * HOUR
            self.loader.checkpoint()
            for unit in range(SERIALS_PER_BATCH):
                serial = f"{self.first_batch + batch:08X}{unit:04X}{self.rng.getrandbits(40):010X}"
                serials.add((serial_id, self.first_batch + batch, serial, v.ts(created), v.null, 0))
                serial_id += 1


def _step(
    at: int,
    kind: EventKind,
    place: str,
    region_id: int | None,
    actor_id: int | None,
    actor_name: str,
    details: dict[str, Any],
) -> Step:
    """An event recorded when it happened (``occurred_at`` = ``recorded_at``), as services record them."""
    when = moment(at)
    return Step(at, at, 0, kind, when, when, place, region_id, actor_id, actor_name, details, None)
