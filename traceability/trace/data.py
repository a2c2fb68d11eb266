"""What a QR scan shows: every public fact about a batch, assembled once for the HTML page and the JSON.

The trace page and its JSON come from the same :class:`TraceData`, so a person and a machine always see
the same facts. JSON contract (``TraceData.as_json()``; ``Accept: application/json`` on any trace URL)::

    {
      "lot": "261123-7KQ3",
      "trace_url": "https://…/01/<GTIN-14>/10/<lot>" or "https://…/t/<lot>",   # the batch's QR target
      "product": {"id", "name", "name_en", "gtin", "category", "unit"},
      "producer": {"id", "name", "county": {"code", "name"},
                   "linkage": {"lifted_households", "monitored_households", "modes": ["order_purchase", …],
                               "verified_benefit": {"year", "amount_fen", "households", "lifted_households",
                                                    "monitored_households", "verified_by"} | null}},
                # verified_benefit: this year's payments to linked households as the county verified them
                # (households a floor; never a name), null when nothing is verified
      "origin": {"path": [{"code", "name", "level"}, …]},          # county → township → village
      "produced_on": "YYYY-MM-DD", "best_before": "YYYY-MM-DD", "quantity": int,   # in product.unit
      "produced_on_kind": "harvest" | "slaughter" | "processing",   # what produced_on is the day of
      "transformed": bool,                          # made from other batches by a processing step
      "sources": [{"lot", "trace_url", "product", "quantity_used", "unit", "origin": {"path": [...]},
                   "produced_on", "produced_on_kind", "best_before", "quarantine", "compliance", "recalled"}],
                # a transformed batch's raw materials (harvested or slaughtered batches it was made from,
                # directly or through earlier steps): each one's own origin, dates and certificates.
                # quantity_used is null when it went in through an earlier step. Its own "origin" is
                # where it was registered (its first input's); its own "quarantine" is null.
      "certificate": {"number", "authority", "valid_from", "valid_to", "valid", "state", "product"} | null,
      "compliance": {"number", "basis", "issued_on", "commitments", "quantity", "origin"} | null,
      "quarantine": {"slaughterhouse", "origin_quarantine_no", "slaughter_quarantine_no"} | null,
      "events": [{"seq", "kind", "occurred_at", "recorded_at", "place", "actor", "recorded_as", "details",
                  "note", "hash", "epcis_event_id"}],
                # actor: who recorded it (an organisation's name); recorded_as: in which capacity,
                # "producer" | "institution" | "reviewer" | "administrator" (null: older events);
                # epcis_event_id: its canonical EPCIS hash id, covered by "hash" (null: older events)
      "parents": [{"lot", "trace_url", "product"}], "children": [{"lot", "trace_url", "product"}],
      "chain": {"valid": bool, "events": int, "broken_at": int | null},
      "recalled": bool, "recall": {"reason", "at"} | null,
      "visits": int,
      "on_hold": bool,                              # kept off sale while the county office checks it
      "sampling": [{"result": "passed" | "failed", "sampled_on", "lab", "items": [str]}],
                # quality samples' (抽检) results, newest first; pending samples are not shown
      "cold_chain": {"kind", "range": {"min_c", "max_c"} | null, "verdict": "in_range" | "excursion" |
                     "no_range", "readings", "from", "to", "lowest_c", "highest_c", "alarms",
                     "excursion": {"at", "place", "value_c", "alarm"} | null, "on_hold",
                     "curve": [{"at", "min_c", "max_c"}]} | null,
                # null when no temperature was recorded; curve: at most 120 points, each an interval's
                # lowest and highest reading (traceability.coldchain)
      "serial": {"serial", "trace_url", "first_checked_at", "checks", "scanners", "suspicious", "reason"}
                # present only when a serialized unit's URL was opened; checks: visits of its page (a
                # return within the scan window is not a new one); scanners: distinct scanners; reason:
                # "scanners" when more than SERIAL_MAX_NETWORKS opened it (traceability.serials)
    }

Timestamps are UTC ISO 8601 (``2026-11-23T02:15:00Z``); dates are Asia/Shanghai calendar dates.
``certificate`` is the product's consumption-assistance certificate: the one valid today (``valid`` true),
else the newest decided one (expired, revoked or not yet valid; ``valid`` false). ``chain.valid`` is true
only when every stored event still matches its hash and the batch's recorded head: anything altered behind
the application's back makes it false, with ``broken_at`` the first event that no longer matches.
Household data are counts only.

The functions here are services: they take the session, flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Certification, Product
from catalog.public import public_certificate_state
from catalog.signals import HouseholdBenefit, household_benefit
from core.clock import shanghai_date
from core.models import Region, RegionLevel
from traceability.chain import ChainStatus
from traceability.coldchain.verdict import ColdChainView, cold_chain_of
from traceability.display import utc_iso
from traceability.links import trace_path, trace_url
from traceability.models import Batch, ComplianceCertificate, SerialUnit, TraceEvent
from traceability.processing.services import children_of, parents_of, source_batches
from traceability.serials import SerialAssessment
from traceability.signals import SamplingResult, sampling_results
from traceability.trace.verdict import page_chain


def _iso_date(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def origin_path(origin: Region) -> list[Region]:
    """The origin's regions from its county down (county → township → village)."""
    chain = origin.ancestors()
    start = next((i for i, r in enumerate(chain) if r.level == RegionLevel.COUNTY), 0)
    return chain[start:]


@dataclass(frozen=True)
class RelatedBatch:
    """A parent or child in the genealogy, with where its QR leads."""

    batch: Batch
    trace_url: str
    #: The same address relative to this site, for links on the page.
    path: str


@dataclass(frozen=True)
class Source:
    """A raw-material batch of a transformed batch, with what its trace shows of it."""

    batch: Batch
    trace_url: str
    path: str
    origin_path: list[Region]
    #: How much of it went directly into the batch (``None``: through an earlier processing step).
    quantity_used: int | None

    @property
    def produced_on_kind(self) -> str:
        """What its production date is: ``slaughter`` or ``harvest`` (raw materials are never processed)."""
        return "slaughter" if self.batch.product.category.is_meat else "harvest"

    @property
    def quarantine(self) -> dict[str, str | None] | None:
        """Its slaughterhouse and quarantine numbers, when it is meat or any was recorded."""
        return quarantine_of(self.batch)


def quarantine_of(batch: Batch) -> dict[str, str | None] | None:
    """Slaughterhouse and quarantine numbers of ``batch`` for meat (or whenever any was recorded)."""
    values = (batch.slaughterhouse, batch.origin_quarantine_no, batch.slaughter_quarantine_no)
    if not (batch.product.category.is_meat or any(values)):
        return None
    return dict(
        zip(("slaughterhouse", "origin_quarantine_no", "slaughter_quarantine_no"), values, strict=True)
    )


@dataclass
class TraceData:
    """Everything the trace page and its JSON show about one batch (and, optionally, one labelled unit)."""

    batch: Batch
    trace_url: str
    origin_path: list[Region]
    certificate: Certification | None
    certificate_state: str | None
    compliance: ComplianceCertificate | None
    events: list[TraceEvent]
    chain: ChainStatus
    parents: list[RelatedBatch]
    children: list[RelatedBatch]
    #: The raw materials of a transformed batch (empty for a harvested or slaughtered one).
    sources: list[Source]
    #: How often the page was opened (this visit included), or the placeholder a kept page is rendered with.
    visits: int | str
    serial: SerialUnit | None = None
    serial_url: str | None = None
    assessment: SerialAssessment | None = None
    #: The producer's verified payments to linked households this year (None: nothing verified).
    benefit: HouseholdBenefit | None = None
    #: The batch's temperature readings in plain words (None: none recorded).
    cold_chain: ColdChainView | None = None
    #: Quality samples' results, newest first (empty: none recorded).
    sampling: list[SamplingResult] = field(default_factory=list)

    @property
    def product(self) -> Product:
        """The batch's product."""
        return self.batch.product

    @property
    def producer(self) -> Producer:
        """The batch's producer."""
        return self.batch.producer

    @property
    def trace_path(self) -> str:
        """The batch's trace address relative to this site, for links on the page."""
        return trace_path(self.batch)

    @property
    def certificate_valid(self) -> bool:
        """Whether the product's consumption-assistance certificate is valid today."""
        return self.certificate_state == "valid"

    @property
    def transformed(self) -> bool:
        """Whether the batch was made from others by a processing step."""
        return bool(self.parents)

    @property
    def source_origins(self) -> list[str]:
        """The distinct origins of a transformed batch's raw materials (county › township › village)."""
        paths = (" › ".join(region.name for region in source.origin_path) for source in self.sources)
        return list(dict.fromkeys(paths))

    @property
    def produced_on_kind(self) -> str:
        """What the batch's own production date is: ``processing`` for a transformed batch, else the day
        of ``slaughter`` (meat) or ``harvest``."""
        if self.transformed:
            return "processing"
        return "slaughter" if self.product.category.is_meat else "harvest"

    @property
    def quarantine(self) -> dict[str, str | None] | None:
        """Slaughterhouse and quarantine numbers for meat (or whenever any was recorded), else ``None``.

        A transformed batch has none of its own unless some were recorded on it: its sources carry theirs.
        """
        batch = self.batch
        if self.transformed and not any(
            (batch.slaughterhouse, batch.origin_quarantine_no, batch.slaughter_quarantine_no)
        ):
            return None
        return quarantine_of(batch)

    def as_json(self) -> dict[str, Any]:
        """The JSON contract described in this module's docstring."""
        batch, product, producer = self.batch, self.product, self.producer
        data: dict[str, Any] = {
            "lot": batch.lot_code,
            "trace_url": self.trace_url,
            "product": {
                "id": product.id,
                "name": product.name,
                "name_en": product.name_en,
                "gtin": product.gtin,
                "category": str(product.category),
                "unit": str(product.unit),
            },
            "producer": {
                "id": producer.id,
                "name": producer.name,
                "county": {"code": producer.county.code, "name": producer.county.name},
                "linkage": {
                    "lifted_households": producer.lifted_households,
                    "monitored_households": producer.monitored_households,
                    "modes": list(producer.linkage_modes or []),
                    "verified_benefit": dict(self.benefit) if self.benefit else None,
                },
            },
            "origin": {
                "path": [{"code": r.code, "name": r.name, "level": str(r.level)} for r in self.origin_path]
            },
            "produced_on": _iso_date(batch.produced_on),
            "produced_on_kind": self.produced_on_kind,
            "best_before": _iso_date(batch.best_before),
            "quantity": batch.quantity,
            "certificate": self._certificate_json(),
            "compliance": self._compliance_json(),
            "quarantine": self.quarantine,
            "events": [_event_json(e) for e in self.events],
            "transformed": self.transformed,
            "sources": [_source_json(source) for source in self.sources],
            "parents": [_related_json(r) for r in self.parents],
            "children": [_related_json(r) for r in self.children],
            "chain": {
                "valid": self.chain.valid,
                "events": self.chain.events,
                "broken_at": self.chain.broken_at,
            },
            "recalled": batch.is_recalled,
            "recall": (
                {"reason": batch.recall_reason, "at": utc_iso(batch.recalled_at)}
                if batch.is_recalled
                else None
            ),
            "visits": self.visits,
            "on_hold": batch.is_on_hold,
            "cold_chain": self.cold_chain.as_json() if self.cold_chain is not None else None,
            "sampling": [{**found, "sampled_on": _iso_date(found["sampled_on"])} for found in self.sampling],
        }
        if self.serial is not None and self.assessment is not None:
            data["serial"] = {
                "serial": self.serial.serial,
                "trace_url": self.serial_url,
                "first_checked_at": utc_iso(self.assessment.first_checked_at),
                "checks": self.assessment.check_count,
                "scanners": self.assessment.scanners,
                "suspicious": self.assessment.suspicious,
                "reason": self.assessment.reason,
            }
        return data

    def _certificate_json(self) -> dict[str, Any] | None:
        cert = self.certificate
        if cert is None:
            return None
        return {
            "number": cert.certificate_no,
            "authority": cert.authority,
            "valid_from": _iso_date(cert.valid_from),
            "valid_to": _iso_date(cert.valid_to),
            "valid": self.certificate_valid,
            "state": self.certificate_state,
            "product": cert.facts.as_dict(),  # what it vouches for, as certified
        }

    def _compliance_json(self) -> dict[str, Any] | None:
        comp = self.compliance
        if comp is None:
            return None
        return {
            "number": comp.number,
            "basis": str(comp.basis),
            "issued_on": _iso_date(comp.issued_on),
            "commitments": list(comp.commitments or []),
            "quantity": comp.quantity,
            "origin": comp.origin_name,
        }


def _event_json(event: TraceEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "kind": str(event.kind),
        "occurred_at": utc_iso(event.occurred_at),
        "recorded_at": utc_iso(event.recorded_at),
        "place": event.place,
        "actor": event.actor_name,
        "recorded_as": str(event.recorded_as) if event.recorded_as is not None else None,
        "details": event.details or {},
        "note": event.note,
        "hash": event.hash,
        "epcis_event_id": event.epcis_event_id,
    }


def _compliance_of(batch: Batch) -> dict[str, Any] | None:
    comp = batch.compliance
    if comp is None:
        return None
    return {"number": comp.number, "basis": str(comp.basis), "issued_on": _iso_date(comp.issued_on)}


def _source_json(source: Source) -> dict[str, Any]:
    batch = source.batch
    return {
        "lot": batch.lot_code,
        "trace_url": source.trace_url,
        "product": batch.product.name,
        "quantity_used": source.quantity_used,
        "unit": str(batch.product.unit),
        "origin": {
            "path": [{"code": r.code, "name": r.name, "level": str(r.level)} for r in source.origin_path]
        },
        "produced_on": _iso_date(batch.produced_on),
        "produced_on_kind": source.produced_on_kind,
        "best_before": _iso_date(batch.best_before),
        "quarantine": source.quarantine,
        "compliance": _compliance_of(batch),
        "recalled": batch.is_recalled,
    }


def _related_json(related: RelatedBatch) -> dict[str, Any]:
    return {
        "lot": related.batch.lot_code,
        "trace_url": related.trace_url,
        "product": related.batch.product.name,
    }


def _related(batches: list[Batch], base_url: str) -> list[RelatedBatch]:
    return [
        RelatedBatch(b, trace_url(base_url, b), trace_path(b))
        for b in sorted(batches, key=lambda b: b.lot_code)
    ]


def assemble(
    session: Session,
    batch: Batch,
    base_url: str,
    *,
    visits: int | str,
    linked: bool = True,
    fingerprint: str | None = None,
    cold_chain: bool = True,
    findings: bool = True,
    every_event: bool = True,
    serial: SerialUnit | None = None,
    assessment: SerialAssessment | None = None,
    today: date | None = None,
) -> TraceData:
    """Gather every public fact about ``batch``: events loaded fresh and their chain verified. Read-only.

    ``linked=False`` says the batch was neither made from nor into others (its genealogy is not queried),
    ``cold_chain=False`` that no temperature was recorded for it (its summary is not read), ``findings=False``
    that no quality sample's result was recorded (none is asked for);
    ``every_event=False`` keeps only the first and last steps of a long chain, as a page lists them, with
    the verdict still over every step (``fingerprint``: of its stored events; see trace.verdict).
    """
    today = today or shanghai_date()
    events, chain = page_chain(session, batch, fingerprint, every=every_event)
    state, cert = public_certificate_state(batch.product, today)
    sources = [
        Source(
            source.batch,
            trace_url(base_url, source.batch),
            trace_path(source.batch),
            origin_path(source.batch.origin),
            source.quantity_used,
        )
        for source in (source_batches(session, batch) if linked else [])
    ]
    return TraceData(
        batch=batch,
        trace_url=trace_url(base_url, batch),
        origin_path=origin_path(batch.origin),
        certificate=cert,
        certificate_state=str(state) if state is not None else None,
        compliance=batch.compliance,
        events=events,
        chain=chain,
        parents=_related(parents_of(session, batch), base_url) if linked else [],
        children=_related(children_of(session, batch), base_url) if linked else [],
        sources=sources,
        visits=visits,
        serial=serial,
        serial_url=trace_url(base_url, batch, serial.serial) if serial is not None else None,
        assessment=assessment,
        benefit=household_benefit(session, batch.producer_id, today.year),
        cold_chain=cold_chain_of(session, batch) if cold_chain else None,
        sampling=sampling_results(session, batch.id) if findings else [],
    )
