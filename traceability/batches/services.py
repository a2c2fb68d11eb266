"""Batch services: record a batch with its compliance certificate, append events, draw and return stock.

All functions flush but never commit. Stock changes are single conditional UPDATEs, so two buyers can never
take the same unit, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.products.models import Product
from core.clock import SHANGHAI, shanghai_date
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import Region, RegionLevel, User
from core.urls import public_base_url
from traceability.batches.rules import (
    COMMITMENTS,
    ensure_all_commitments,
    ensure_clean_text,
    normal_quarantine_number,
    recorder,
)
from traceability.chain import CHAIN_VERSION, compute_hash
from traceability.epcis import epcis_event
from traceability.errors import (
    BatchRecalled,
    DatesOutOfOrder,
    EventNotAllowed,
    MissingQuarantineRecords,
    OriginOutsideCounty,
    QuantityNotPositive,
    TestReportRequired,
)
from traceability.interop.index import index_own_event, is_captured
from traceability.models import (
    Batch,
    ComplianceBasis,
    ComplianceCertificate,
    EventKind,
    RecorderRole,
    TraceEvent,
)

#: Characters of generated codes: no 0/O, 1/I/L, so they survive being read over the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

#: Events a producer records by hand (the others come from processing, sales and recalls).
MANUAL_EVENT_KINDS = frozenset(
    {EventKind.INSPECTION, EventKind.PACKING, EventKind.SHIPPING, EventKind.RECEIVING, EventKind.CORRECTION}
)

#: A certificate affirms every commitment of the national template (traceability.batches.rules).
DEFAULT_COMMITMENTS = COMMITMENTS


@dataclass
class BatchData:
    """What a producer states about a new batch."""

    quantity: int
    produced_on: date
    best_before: date
    origin: Region
    slaughterhouse: str | None = None
    origin_quarantine_no: str | None = None
    slaughter_quarantine_no: str | None = None
    note: str | None = None
    #: The stored photo (a :mod:`catalog.images` key) taken when the batch was recorded.
    photo_key: str | None = None


@dataclass
class ComplianceData:
    """What a producer states on the 承诺达标合格证."""

    basis: ComplianceBasis
    contact_phone: str
    issued_on: date
    commitments: list[str] = field(default_factory=lambda: list(DEFAULT_COMMITMENTS))
    test_report_key: str | None = None


def generate_code(length: int = 4) -> str:
    """A random code from :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_lot_code(session: Session, produced_on: date) -> str:
    """A unique, human-readable lot code such as ``261123-7KQ3`` (date of production + random part)."""
    for _ in range(20):
        code = f"{produced_on:%y%m%d}-{generate_code()}"
        if session.scalar(select(Batch.id).where(Batch.lot_code == code)) is None:
            return code
    return f"{produced_on:%y%m%d}-{generate_code(8)}"  # practically unreachable


def ensure_member(user: User, product: Product) -> None:
    """Only members of the product's producer (or admins) act on its batches."""
    if not (user.is_admin or is_member(user, product.producer)):
        raise PermissionDenied()


def _check_origin(product: Product, origin: Region) -> None:
    county = product.producer.county
    if origin.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE, RegionLevel.COUNTY) or (
        origin.county() is None or origin.county().id != county.id  # type: ignore[union-attr]
    ):
        raise OriginOutsideCounty(county=county.name)


def _check_batch_data(
    product: Product, data: BatchData, today: date, *, transformed: bool
) -> tuple[str | None, str | None]:
    """Refuse what cannot be a batch's facts; return its quarantine numbers as stored (origin, slaughter).

    A transformed batch (made from other batches) needs no quarantine records of its own: its inputs carry
    them.
    """
    if data.quantity <= 0:
        raise QuantityNotPositive()
    if data.produced_on > today or data.best_before < data.produced_on:
        raise DatesOutOfOrder()
    _check_origin(product, data.origin)
    ensure_clean_text(data.slaughterhouse, paragraphs=[data.note])
    numbers = (
        normal_quarantine_number(data.origin_quarantine_no),
        normal_quarantine_number(data.slaughter_quarantine_no),
    )
    if (
        product.category.is_meat
        and not transformed
        and not ((data.slaughterhouse or "").strip() and all(numbers))
    ):
        raise MissingQuarantineRecords()
    return numbers


def create_batch(
    session: Session,
    user: User,
    product: Product,
    data: BatchData,
    compliance: ComplianceData | None = None,
    *,
    transformed: bool = False,
) -> Batch:
    """Record a batch of ``product`` and its commissioning event (harvest, slaughter, or production when the
    batch is ``transformed`` from others by a processing step).

    Raises :class:`PermissionDenied`, :class:`DatesOutOfOrder`, :class:`OriginOutsideCounty`,
    :class:`MissingQuarantineRecords`, :class:`InvalidQuarantineNumber`, :class:`ControlCharacterInText`,
    :class:`TestReportRequired`, :class:`CommitmentsIncomplete`; nothing is written then. Does not commit.
    """
    ensure_member(user, product)
    origin_no, slaughter_no = _check_batch_data(product, data, shanghai_date(), transformed=transformed)
    if compliance is not None:
        _check_compliance(compliance)
    role, actor_name = recorder(user, product.producer)
    batch = Batch(
        lot_code=new_lot_code(session, data.produced_on),
        product=product,
        producer=product.producer,
        quantity=data.quantity,
        quantity_available=data.quantity,
        produced_on=data.produced_on,
        best_before=data.best_before,
        origin=data.origin,
        slaughterhouse=(data.slaughterhouse or "").strip() or None,
        origin_quarantine_no=origin_no,
        slaughter_quarantine_no=slaughter_no,
        photo_key=data.photo_key,
        created_by_id=user.id,
    )
    session.add(batch)
    session.flush()
    kind_detail = "production" if transformed else "slaughter" if product.category.is_meat else "harvest"
    append_event(
        session,
        batch,
        EventKind.COMMISSIONING,
        actor=user,
        actor_name=actor_name,
        recorded_as=role,
        occurred_at=datetime.combine(data.produced_on, datetime.min.time(), tzinfo=SHANGHAI),
        place=data.origin.path_name(),
        region=data.origin,
        details={
            "step": kind_detail,
            "quantity": data.quantity,
            "unit": str(product.unit),
            "best_before": data.best_before.isoformat(),
            **({"slaughterhouse": batch.slaughterhouse} if batch.slaughterhouse else {}),
            **({"origin_quarantine_no": batch.origin_quarantine_no} if batch.origin_quarantine_no else {}),
            **(
                {"slaughter_quarantine_no": batch.slaughter_quarantine_no}
                if batch.slaughter_quarantine_no
                else {}
            ),
        },
        note=data.note,
    )
    if compliance is not None:
        issue_compliance_certificate(session, user, batch, compliance)
    return batch


def issue_compliance_certificate(
    session: Session, user: User, batch: Batch, data: ComplianceData
) -> ComplianceCertificate:
    """Attach the 承诺达标合格证 to ``batch`` (once) and record it as an inspection event. Does not commit.

    Raises :class:`TestReportRequired` for a tested basis without a report, :class:`CommitmentsIncomplete`
    unless all four commitments are affirmed, :class:`EventNotAllowed` if the batch already has one (a
    certificate is never replaced; recall and re-batch instead).
    """
    ensure_member(user, batch.product)
    if batch.is_recalled:
        raise BatchRecalled(lot=batch.lot_code)
    if batch.compliance is not None:
        raise EventNotAllowed()
    _check_compliance(data)
    role, actor_name = recorder(user, batch.producer)
    producer = batch.producer
    certificate = ComplianceCertificate(
        batch=batch,
        number=f"HGZ{batch.produced_on:%Y%m%d}{generate_code(6)}",
        product_name=batch.product.name,
        producer_name=producer.name,
        contact_phone=data.contact_phone,
        origin_name=batch.origin.path_name(),
        quantity=batch.quantity,
        issued_on=data.issued_on,
        commitments=list(data.commitments),
        basis=data.basis,
        test_report_key=data.test_report_key,
    )
    session.add(certificate)
    session.flush()
    append_event(
        session,
        batch,
        EventKind.INSPECTION,
        actor=user,
        actor_name=actor_name,
        recorded_as=role,
        occurred_at=utcnow(),
        place=batch.origin.path_name(),
        region=batch.origin,
        details={"compliance_certificate": certificate.number, "basis": str(data.basis)},
    )
    return certificate


def _check_compliance(data: ComplianceData) -> None:
    """Refuse a 承诺达标合格证 that is not one: all commitments affirmed, a test report if it rests on one."""
    ensure_all_commitments(data.commitments)
    if data.basis.needs_report and not data.test_report_key:
        raise TestReportRequired()


def append_event(
    session: Session,
    batch: Batch,
    kind: EventKind,
    *,
    actor: User | None,
    actor_name: str,
    recorded_as: RecorderRole,
    occurred_at: datetime,
    place: str,
    region: Region | None = None,
    details: dict[str, Any] | None = None,
    note: str | None = None,
) -> TraceEvent:
    """Append one event to ``batch``'s chain (locking the batch row so two writers cannot fork it).

    ``actor_name`` and ``recorded_as`` say publicly who recorded it (see rules.recorder). Raises
    :class:`ControlCharacterInText` before anything is written when any of its text holds a control
    character (what enters the chain is served for ever). The event's canonical EPCIS hash id (of the event
    as our export writes it, or as a partner captured it) is kept on it and covered by its chain hash
    (:data:`traceability.chain.CHAIN_VERSION`); an event not captured from a partner's system enters the EPCIS
    query index as our export writes it (:mod:`traceability.interop.index`). Does not commit.
    """
    ensure_clean_text(actor_name, place, paragraphs=[note], details=details)
    session.flush()
    locked = session.execute(
        select(Batch).where(Batch.id == batch.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    event = TraceEvent(
        batch_id=locked.id,
        seq=locked.event_count + 1,
        kind=kind,
        occurred_at=occurred_at,
        recorded_at=utcnow(),
        place=place,
        region_id=region.id if region is not None else None,
        actor_id=actor.id if actor is not None else None,
        actor_name=actor_name,
        recorded_as=recorded_as,
        details=details or {},
        note=(note or "").strip() or None,
        prev_hash=locked.head_hash,
        chain_version=CHAIN_VERSION,
        region=region,  # read by the EPCIS export before the event is added
    )
    base_url, document = public_base_url(), None
    if is_captured(event):  # a partner's capture gave it its hash id and indexes it itself
        event.epcis_event_id = str(event.details["epcis_event_id"])
    else:
        document = epcis_event(session, event, locked, base_url)
        event.epcis_event_id = str(document["eventID"])
    event.hash = compute_hash(event, locked.lot_code, locked.head_hash)
    session.add(event)
    locked.head_hash = event.hash
    locked.event_count = event.seq
    session.flush()
    if document is not None:
        index_own_event(session, event, locked, document, base_url)
    return event


def record_event(
    session: Session,
    user: User,
    batch: Batch,
    kind: EventKind,
    *,
    occurred_at: datetime,
    place: str,
    details: dict[str, Any],
    note: str | None = None,
) -> TraceEvent:
    """A producer (or an administrator, named as the platform) records a manual step (inspection, packing,
    shipping, receiving, correction).

    Raises :class:`PermissionDenied`, :class:`EventNotAllowed` (other kinds, or a time in the future),
    :class:`BatchRecalled` (only corrections are accepted after a recall), :class:`ControlCharacterInText`.
    Does not commit.
    """
    ensure_member(user, batch.product)
    if kind not in MANUAL_EVENT_KINDS or occurred_at > utcnow() + timedelta(minutes=5):
        raise EventNotAllowed()
    if batch.is_recalled and kind is not EventKind.CORRECTION:
        raise BatchRecalled(lot=batch.lot_code)
    role, actor_name = recorder(user, batch.producer)
    return append_event(
        session,
        batch,
        kind,
        actor=user,
        actor_name=actor_name,
        recorded_as=role,
        occurred_at=occurred_at,
        place=place.strip() or batch.origin.path_name(),
        details=details,
        note=note,
    )
