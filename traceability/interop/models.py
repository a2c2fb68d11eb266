"""Partners' systems that talk EPCIS 2.0 to us, their tokens and scopes, capture jobs and the query index.

Captured events themselves live in the batches' hash chains (:class:`traceability.models.TraceEvent`), with
the events recorded on our pages; :class:`EpcisEvent` and :class:`EpcisEventLot` only index both for the
query interface, once per event (an event about two lots is in two chains but is one EPCIS event).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, str_enum, utcnow


class PartnerKind(enum.StrEnum):
    """What a partner does along the chain (养殖 → 屠宰 → 运输 → 批发 → 零售)."""

    SLAUGHTERHOUSE = "slaughterhouse"
    COLD_STORE = "cold_store"
    CARRIER = "carrier"
    COUNTER = "counter"  # a wholesale or retail counter


class Partner(Base):
    """An organisation whose system captures and queries events about the lots of the producers it serves."""

    __tablename__ = "traceability_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown publicly beside the events it records.
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[PartnerKind] = mapped_column(str_enum(PartnerKind, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    scopes: Mapped[list[PartnerScope]] = relationship(back_populates="partner", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        """Whether the partner's tokens still open the interface."""
        return self.deactivated_at is None


class PartnerScope(Base):
    """One producer, or every producer of one county, whose lots a partner serves."""

    __tablename__ = "traceability_partner_scope"
    __table_args__ = (
        UniqueConstraint("partner_id", "producer_id", "county_id"),
        CheckConstraint("(producer_id IS NULL) <> (county_id IS NULL)", name="producer_or_county"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("traceability_partner.id", ondelete="CASCADE"), index=True
    )
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_producer.id", ondelete="CASCADE"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id", ondelete="CASCADE"))

    partner: Mapped[Partner] = relationship(back_populates="scopes")


class PartnerToken(Base):
    """A bearer token of a partner's system; only the SHA-256 of the secret is stored."""

    __tablename__ = "traceability_partner_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("traceability_partner.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship()


class CaptureStatus(enum.StrEnum):
    """A capture job ends accepted (every event recorded) or refused (none recorded)."""

    ACCEPTED = "accepted"
    REFUSED = "refused"


class EpcisCapture(Base):
    """One captured document: processed within the request, so the job is finished when it is created."""

    __tablename__ = "traceability_epcis_capture"
    # a partner's jobs, newest first (``GET /epcis/capture``)
    __table_args__ = (Index("ix_traceability_epcis_capture_partner", "partner_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("traceability_partner.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[CaptureStatus] = mapped_column(str_enum(CaptureStatus, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    size_bytes: Mapped[int] = mapped_column(Integer)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Hash ids of the events recorded (or already recorded by an earlier capture).
    accepted: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Why the document was refused: an RFC 9457 problem with the EPCIS exception type, else ``None``.
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class EpcisEvent(Base):
    """One EPCIS event as the query interface finds it; ``document`` is the event as captured (or, for an
    event recorded on our pages, as our export wrote it when it was recorded), with its hash id as
    ``eventID``. ``capture_id`` and ``partner_id`` are ``None`` for events recorded on our pages."""

    __tablename__ = "traceability_epcis_event"
    __table_args__ = (
        # every query pages on (recorded_at, id); the filters narrow the rows of one page's scope
        Index("ix_traceability_epcis_event_recorded", "recorded_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("traceability_epcis_capture.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("traceability_partner.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    biz_step: Mapped[str | None] = mapped_column(String(200))
    disposition: Mapped[str | None] = mapped_column(String(200))
    biz_location: Mapped[str | None] = mapped_column(String(300))
    #: The prefixes of the capture document's ``@context`` the event's extensions use.
    context: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)

    lots: Mapped[list[EpcisEventLot]] = relationship(back_populates="event")
    sensor_reports: Mapped[list[EpcisSensorReport]] = relationship()


class EpcisEventLot(Base):
    """A lot (batch) an EPCIS event names, with the identifier it used, in that batch's chain as
    ``trace_event_id``. ``producer_id``, ``county_id`` and ``recorded_at`` are copies, so a partner's page of
    events is read from one index in order."""

    __tablename__ = "traceability_epcis_event_lot"
    __table_args__ = (
        UniqueConstraint("epcis_event_id", "batch_id"),
        Index("ix_traceability_epcis_event_lot_producer", "producer_id", "recorded_at", "epcis_event_id"),
        Index("ix_traceability_epcis_event_lot_county", "county_id", "recorded_at", "epcis_event_id"),
        Index("ix_traceability_epcis_event_lot_epc", "epc", "recorded_at", "epcis_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    epcis_event_id: Mapped[int] = mapped_column(ForeignKey("traceability_epcis_event.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("traceability_batch.id"), index=True)
    trace_event_id: Mapped[int] = mapped_column(ForeignKey("traceability_event.id"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The lot's canonical identifier (GS1 Digital Link on id.gs1.org, or our trace URL).
    epc: Mapped[str] = mapped_column(String(300))

    event: Mapped[EpcisEvent] = relationship(back_populates="lots")


class EpcisSubscription(Base):
    """A partner's subscription to a named query: its result is POSTed to ``dest`` when something new matches
    (today the one named query is ``RecalledLots``: the recall of a lot the partner serves)."""

    __tablename__ = "traceability_epcis_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("traceability_partner.id", ondelete="CASCADE"), index=True
    )
    query_name: Mapped[str] = mapped_column(String(40))
    dest: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship()


class EpcisDelivery(Base):
    """One query result owed to a subscriber (the outbox): written in the transaction that made it due and
    POSTed by ``flask epcis deliver`` after that transaction committed, retried with back-off until it is
    delivered or :data:`traceability.interop.subscriptions.MAX_ATTEMPTS` have failed."""

    __tablename__ = "traceability_epcis_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "trace_event_id"),
        # the deliverer reads the pending rows that are due, oldest first
        Index("ix_traceability_epcis_delivery_pending", "delivered_at", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("traceability_epcis_subscription.id", ondelete="CASCADE"), index=True
    )
    #: The event the result reports (the lot's recall event).
    trace_event_id: Mapped[int] = mapped_column(ForeignKey("traceability_event.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))

    subscription: Mapped[EpcisSubscription] = relationship()


class EpcisSensorReport(Base):
    """One sensor report of a captured event, for the query's sensor filters (``EQ_type``,
    ``GE_maxValue_CEL``…); ``type`` is the bare CBV/GS1 term (``Temperature``)."""

    __tablename__ = "traceability_epcis_sensor_report"
    __table_args__ = (Index("ix_traceability_epcis_sensor_report_event_type", "epcis_event_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    epcis_event_id: Mapped[int] = mapped_column(ForeignKey("traceability_epcis_event.id"))
    type: Mapped[str] = mapped_column(String(100))
    uom: Mapped[str] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Float)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    mean_value: Mapped[float | None] = mapped_column(Float)
    is_alarm: Mapped[bool] = mapped_column(Boolean, default=False)
