"""Batches (the unit of truth), their compliance certificates, hash-chained events, genealogy and serials."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User


class BatchStatus(enum.StrEnum):
    """A batch is active until recalled; a recall is final."""

    ACTIVE = "active"
    RECALLED = "recalled"


class ComplianceBasis(enum.StrEnum):
    """What the producer's 承诺达标合格证 rests on."""

    QUALITY_CONTROL = "quality_control"  # 质量安全控制符合要求
    SELF_TESTED = "self_tested"  # 自行检测合格
    COMMISSIONED_TEST = "commissioned_test"  # 委托检测合格

    @property
    def needs_report(self) -> bool:
        """Tested bases must come with the test report."""
        return self is not ComplianceBasis.QUALITY_CONTROL


class EventKind(enum.StrEnum):
    """Steps along the chain (harvest or slaughter → processing → packing → shipping → receipt)."""

    COMMISSIONING = "commissioning"  # harvest / slaughter / batch created
    INSPECTION = "inspection"
    PROCESSING = "processing"
    PACKING = "packing"
    SHIPPING = "shipping"
    RECEIVING = "receiving"
    SELLING = "selling"
    RECALL = "recall"
    CORRECTION = "correction"
    #: Any other step a partner's system reported through the EPCIS capture interface (storing, arriving…).
    OBSERVATION = "observation"


class RecorderRole(enum.StrEnum):
    """Who recorded an event, shown publicly beside it: the batch's producer or someone else."""

    PRODUCER = "producer"  # a member of the batch's producer
    INSTITUTION = "institution"  # the buying institution (receipt of a delivery)
    REVIEWER = "reviewer"  # the county office (乡村振兴局) reviewing the producer
    ADMINISTRATOR = "administrator"  # the platform's administrator
    PARTNER = "partner"  # a partner's system (slaughterhouse, cold store, carrier, counter) through EPCIS


class Batch(Base):
    """A lot of one product: where and when it was made, how much is left, and its QR trail.

    ``quantity_available`` is the stock for sale in the product's unit; it can never go negative (a CHECK
    constraint backs the conditional updates that draw from it).
    """

    __tablename__ = "traceability_batch"
    __table_args__ = (
        CheckConstraint("quantity_available >= 0", name="available_not_negative"),
        CheckConstraint("quantity_available <= quantity", name="available_within_quantity"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("best_before >= produced_on", name="dates_in_order"),
        # a product's batches buyers can take from (product page, API): only the live ones are read
        Index("ix_traceability_batch_product_stock", "product_id", "status", "best_before"),
        # the producer's workbench: its live batches near best-before, its recent recalls
        Index("ix_traceability_batch_producer_stock", "producer_id", "status", "best_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_code: Mapped[str] = mapped_column(String(20), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_available: Mapped[int] = mapped_column(Integer)
    produced_on: Mapped[date] = mapped_column(Date)
    best_before: Mapped[date] = mapped_column(Date, index=True)
    origin_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    slaughterhouse: Mapped[str | None] = mapped_column(String(120))
    origin_quarantine_no: Mapped[str | None] = mapped_column(String(60))  # 产地检疫
    slaughter_quarantine_no: Mapped[str | None] = mapped_column(String(60))  # 屠宰检疫
    #: The photo taken when the batch was recorded (a :mod:`catalog.images` key), if any.
    photo_key: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[BatchStatus] = mapped_column(
        str_enum(BatchStatus, 16), default=BatchStatus.ACTIVE, index=True
    )
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recall_reason: Mapped[str | None] = mapped_column(String(500))
    #: Set while the batch has an open hold (:class:`traceability.holds.models.BatchHold`): nothing is sold
    #: from it. A copy of "an open hold exists", so stock queries need no join.
    is_on_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    visit_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Raised by a layer to the right each time it records a finding the trace page shows (a quality
    #: sample's result, through ``collect_sampling_results``): part of the page's version, 0 when none.
    findings_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Hash of the newest event: the head of this batch's chain.
    head_hash: Mapped[str | None] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    product: Mapped[Product] = relationship()
    producer: Mapped[Producer] = relationship()
    origin: Mapped[Region] = relationship()
    compliance: Mapped[ComplianceCertificate | None] = relationship(
        back_populates="batch", uselist=False, cascade="all, delete-orphan"
    )
    events: Mapped[list[TraceEvent]] = relationship(back_populates="batch", order_by="TraceEvent.seq")

    @property
    def is_recalled(self) -> bool:
        """Whether the batch has been recalled."""
        return self.status == BatchStatus.RECALLED


class ComplianceCertificate(Base):
    """承诺达标合格证: the producer's written commitment that the batch meets the safety standards."""

    __tablename__ = "traceability_compliance_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("traceability_batch.id", ondelete="CASCADE"), unique=True
    )
    number: Mapped[str] = mapped_column(String(40), unique=True)
    #: Snapshots as printed on the certificate (the product or producer may be renamed later).
    product_name: Mapped[str] = mapped_column(String(120))
    producer_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str] = mapped_column(String(20))
    origin_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    commitments: Mapped[list[str]] = mapped_column(JSON, default=list)
    basis: Mapped[ComplianceBasis] = mapped_column(str_enum(ComplianceBasis, 24))
    test_report_key: Mapped[str | None] = mapped_column(String(32))

    batch: Mapped[Batch] = relationship(back_populates="compliance")


class TraceEvent(Base):
    """One append-only step of a batch's chain; ``hash`` covers its canonical content and ``prev_hash``.

    Never updated or deleted: a correction is a new event of kind ``correction`` that refers to the old one.
    The database refuses UPDATE, DELETE and TRUNCATE of this table with triggers (see the migration
    ``traceability_event_append_only``), so not even the application's own connection can rewrite history.
    """

    __tablename__ = "traceability_event"
    __table_args__ = (UniqueConstraint("batch_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 16), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    place: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    #: Who acted, as shown publicly (organisation name, never a private person's name).
    actor_name: Mapped[str] = mapped_column(String(120))
    #: In which capacity the event was recorded (public; covered by the hash). ``None`` only for events
    #: recorded before this was kept: their hashes were computed without it.
    recorded_as: Mapped[RecorderRole | None] = mapped_column(str_enum(RecorderRole, 16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: The canonical EPCIS event hash id (``ni:///sha-256;…?ver=CBV2.0``) of the event as exported (or as a
    #: partner captured it), covered by ``hash`` from chain version 2 on; ``None`` on version 1 rows.
    epcis_event_id: Mapped[str | None] = mapped_column(String(120))
    #: Which formula ``hash`` follows (:func:`traceability.chain.canonical_content`): 1 for the events
    #: recorded before the chain linked EPCIS hash ids, 2 since.
    chain_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    batch: Mapped[Batch] = relationship(back_populates="events")
    region: Mapped[Region | None] = relationship()
    actor: Mapped[User | None] = relationship()


class BatchLink(Base):
    """Genealogy: ``parent`` went into ``child`` at a processing event (pork → cured pork; carcass → cuts)."""

    __tablename__ = "traceability_batch_link"
    __table_args__ = (
        UniqueConstraint("parent_id", "child_id"),
        CheckConstraint("parent_id <> child_id", name="no_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("traceability_event.id"))
    quantity_used: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[Batch] = relationship(foreign_keys=[parent_id])
    child: Mapped[Batch] = relationship(foreign_keys=[child_id])


class SerialUnit(Base):
    """One labelled unit of a serialized batch, with an unguessable serial and its scan statistics."""

    __tablename__ = "traceability_serial_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Scans of the label: visits of its page, a scanner's return within the scan window not counted again.
    check_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Distinct scanners (see :class:`SerialScan`); more than ``SERIAL_MAX_NETWORKS`` flags a copied label.
    scanner_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    batch: Mapped[Batch] = relationship()


class SerialScan(Base):
    """One scanner of a serial: first seen on one network (a salted hash of the /24 or /48 prefix; no
    address is kept), and the same browser wherever it comes back from (a signed first-party cookie naming
    this row), so one client is one scanner however often and from wherever it opens the page.
    """

    __tablename__ = "traceability_serial_scan"
    __table_args__ = (UniqueConstraint("serial_unit_id", "network_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_unit_id: Mapped[int] = mapped_column(ForeignKey("traceability_serial_unit.id"), index=True)
    network_hash: Mapped[str] = mapped_column(String(64))
    #: The coarse network it was first seen on (IPv4 /16, IPv6 /32), for reviewers; ``None`` if unknown.
    network_label: Mapped[str | None] = mapped_column(String(40))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Visits by this scanner (opening the page again within the scan window is not a new visit).
    count: Mapped[int] = mapped_column(Integer, default=1)


class DailyDigest(Base):
    """One hash per Asia/Shanghai day over every batch's chain head at the end of that day."""

    __tablename__ = "traceability_daily_digest"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    batch_count: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
