"""Complaints and reports (投诉举报): what someone reports about a product, an order or a lot, and how the
county office handles it.

A complaint is about one producer, found from what the reporter names: a product, one of their own orders,
or the lot code printed on a package (the trace page). It goes to the reviewers of that producer's county
(``county_id``, the producer's county when it was received) and moves ``received → acknowledged → decided``,
each step before its deadline (working days, see :mod:`oversight.complaints.deadlines`). ``next_due_at`` is
the deadline of the step it waits for (None once decided): the desk sorts by it and the escalation job reads
the ones past it. The reporter follows it through a private link whose token only the reporter holds (the
table keeps its SHA-256).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User
from orders.models import Order
from traceability.models import Batch


class ComplaintKind(enum.StrEnum):
    """What the report is about."""

    QUALITY = "quality"  # 质量
    PRICE = "price"  # 价格
    COUNTERFEIT = "counterfeit"  # 假冒
    SERVICE = "service"  # 服务
    FALSE_CLAIM = "false_claim"  # 虚假帮扶宣传: a false claim about the households it helps


class ComplaintSubject(enum.StrEnum):
    """What the reporter named: a product, one of their orders, or a lot code from a package."""

    PRODUCT = "product"
    ORDER = "order"
    LOT = "lot"


class ComplaintStatus(enum.StrEnum):
    """received → acknowledged → decided."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    DECIDED = "decided"


class ComplaintOutcome(enum.StrEnum):
    """How the county office decided."""

    UNFOUNDED = "unfounded"  # 不属实
    REMEDY = "remedy"  # 整改补救
    WARNING = "warning"  # 警告
    SUSPENSION = "suspension"  # 暂停销售
    RECALL = "recall"  # 召回


class Complaint(Base):
    """One complaint or report, from receipt to decision."""

    __tablename__ = "oversight_complaint"
    __table_args__ = (
        CheckConstraint("received_month BETWEEN 200001 AND 210012", name="received_month_range"),
        CheckConstraint("(status = 'decided') = (outcome IS NOT NULL)", name="outcome_when_decided"),
        # the public figures: one county's (or every county's) complaints of a bounded range of months
        Index("ix_oversight_complaint_month_county", "received_month", "county_id"),
        # the reviewer's desk: a county's open complaints by the next deadline
        Index("ix_oversight_complaint_county_due", "county_id", "next_due_at"),
        # the escalation job: open complaints past their deadline, not escalated yet
        Index("ix_oversight_complaint_due_escalated", "next_due_at", "escalated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ComplaintKind] = mapped_column(str_enum(ComplaintKind, 16))
    subject: Mapped[ComplaintSubject] = mapped_column(str_enum(ComplaintSubject, 16))
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    #: The producer's county when the complaint was received: its reviewers handle it.
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_product.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("traceability_batch.id"))
    description: Mapped[str] = mapped_column(Text)
    #: Keys of up to three photos (re-encoded WebP, no metadata) under the upload folder ``complaints``.
    photo_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: A phone number or e-mail address for the county office (never shown to the producer or the public).
    contact: Mapped[str | None] = mapped_column(String(254))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True
    )
    #: SHA-256 (hex) of the private follow token; the token itself is shown once and never stored.
    follow_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ComplaintStatus] = mapped_column(
        str_enum(ComplaintStatus, 16), default=ComplaintStatus.RECEIVED
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The Asia/Shanghai month of receipt as ``YYYYMM`` (the public figures group by it).
    received_month: Mapped[int] = mapped_column(Integer)
    #: Deadlines: the end (exclusive) of the last working day allowed, as instants.
    acknowledge_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decide_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The deadline of the step the complaint waits for; None once decided.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    outcome: Mapped[ComplaintOutcome | None] = mapped_column(str_enum(ComplaintOutcome, 16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    #: Set with the decision: acknowledged and decided before both deadlines.
    handled_on_time: Mapped[bool | None] = mapped_column(Boolean)
    #: When the escalation job handed it to the administrators (past a deadline); None otherwise.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    producer: Mapped[Producer] = relationship()
    county: Mapped[Region] = relationship()
    product: Mapped[Product | None] = relationship()
    order: Mapped[Order | None] = relationship()
    batch: Mapped[Batch | None] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_escalated(self) -> bool:
        """Whether it was handed to the administrators for being late."""
        return self.escalated_at is not None

    @property
    def is_open(self) -> bool:
        """Whether a step is still due."""
        return self.status is not ComplaintStatus.DECIDED

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Whether the step it waits for is past its deadline."""
        return self.next_due_at is not None and self.next_due_at <= (now or utcnow())

    @property
    def acknowledge_due_on(self) -> date:
        """The last Asia/Shanghai day to acknowledge it."""
        return shanghai_date(self.acknowledge_due_at - timedelta(microseconds=1))

    @property
    def decide_due_on(self) -> date:
        """The last Asia/Shanghai day to decide it."""
        return shanghai_date(self.decide_due_at - timedelta(microseconds=1))

    @property
    def reference(self) -> str:
        """The number people quote: ``TS`` and the id, zero-padded."""
        return f"TS{self.id:08d}"

    def audit_view(self) -> dict[str, Any]:
        """What the audit log keeps: facts and state, never the contact or the token."""
        return {
            "kind": self.kind.value,
            "subject": self.subject.value,
            "producer_id": self.producer_id,
            "product_id": self.product_id,
            "order_id": self.order_id,
            "batch_id": self.batch_id,
            "status": self.status.value,
            "photos": len(self.photo_keys or []),
            "outcome": self.outcome.value if self.outcome else None,
            "escalated": self.is_escalated,
        }
