"""Price monitoring: every price a product had, the reference prices it is compared with, and the alerts.

- :class:`PriceChange` keeps each change of a product's retail price (old, new, who, when, UTC); the first row
  of a product has no old price (its creation, or the migration's backfill of the price it had then).
- :class:`ReferencePrice` is what a county reviewer set, or a CSV of market prices imported, for a product
  category and selling unit — in one county or platform-wide (``county_id`` None) — or for one product. The
  reference that applies to a product is the most specific: its own, else its county's, else the platform's.
- :class:`PriceAlert` is raised when a price is above its reference by more than a margin
  (``above_reference``) or rose by more than a share within a window (``sharp_rise``). It moves

      open → explained (the producer answered the reviewer's question) → corrected | dismissed
      open → corrected | dismissed

  ``open_product_id`` carries the product's id while the alert is open or explained and is unique with the
  kind: at most one active alert per product and kind; a new finding updates it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from catalog.products.models import Category, Product, Unit
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import Region, User


class PriceChange(Base):
    """One change of a product's retail price."""

    __tablename__ = "oversight_price_change"
    __table_args__ = (
        CheckConstraint("new_fen > 0 AND (old_fen IS NULL OR old_fen > 0)", name="prices_positive"),
        # a product's history and its window of the last days, read in the order of this index
        Index("ix_oversight_price_change_product_at", "product_id", "changed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"))
    #: None for the product's first price (created, or recorded by the backfill).
    old_fen: Mapped[int | None] = mapped_column(Integer)
    new_fen: Mapped[int] = mapped_column(Integer)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    changed_by: Mapped[User | None] = relationship()


class ReferenceSource(enum.StrEnum):
    """Where a reference price came from."""

    REVIEWER = "reviewer"
    IMPORT = "import"


class ReferencePrice(Base):
    """A reference price for a category and unit (in a county, or everywhere), or for one product."""

    __tablename__ = "oversight_reference_price"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        # one reference per scope: county_key / product_key are 0 for "every county" / "every product"
        UniqueConstraint(
            "county_key", "category", "unit", "product_key", name="uq_oversight_reference_price_scope"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The county it applies in, None: platform-wide.
    county_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    county_key: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[Category] = mapped_column(str_enum(Category, 32))
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, 8))
    #: One product (found by its barcode number in an import), None: every product of the category and unit.
    product_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"))
    product_key: Mapped[int] = mapped_column(Integer, default=0)
    price_fen: Mapped[int] = mapped_column(Integer)
    source: Mapped[ReferenceSource] = mapped_column(str_enum(ReferenceSource, 16))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    county: Mapped[Region | None] = relationship()
    product: Mapped[Product | None] = relationship()
    set_by: Mapped[User | None] = relationship()


class AlertKind(enum.StrEnum):
    """Why a price is questioned."""

    ABOVE_REFERENCE = "above_reference"
    SHARP_RISE = "sharp_rise"


class AlertStatus(enum.StrEnum):
    """Where an alert stands (see the module's docstring)."""

    OPEN = "open"
    EXPLAINED = "explained"
    CORRECTED = "corrected"
    DISMISSED = "dismissed"


#: The states in which an alert still waits for the reviewer.
ACTIVE_STATUSES = frozenset({AlertStatus.OPEN, AlertStatus.EXPLAINED})


class PriceAlert(Base):
    """A product's price questioned: above its reference, or a sharp rise."""

    __tablename__ = "oversight_price_alert"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        UniqueConstraint("open_product_id", "kind", name="uq_oversight_price_alert_active"),
        # the reviewer's queue: a county's alerts by state, newest first
        Index("ix_oversight_price_alert_county_status", "county_id", "status", "id"),
        # the queue of every county (administrators) and the producer's card and list
        Index("ix_oversight_price_alert_status", "status", "id"),
        Index("ix_oversight_price_alert_producer_status", "producer_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    #: The product's id while the alert is active (open or explained), None once it ended.
    open_product_id: Mapped[int | None] = mapped_column(Integer)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id", ondelete="CASCADE"))
    #: The product's county (its reviewers handle the alert); None only for a product without one.
    county_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind, 16))
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus, 16), default=AlertStatus.OPEN)
    #: The price questioned, and what it was compared with: the reference, or the lowest price of the window.
    price_fen: Mapped[int] = mapped_column(Integer)
    compared_fen: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The reviewer's question to the producer, and the producer's answer.
    question: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    explanation: Mapped[str | None] = mapped_column(Text)
    explained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it was dismissed (or a note when marked corrected).
    reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    product: Mapped[Product] = relationship()
    producer: Mapped[Producer] = relationship()

    @property
    def is_active(self) -> bool:
        """Whether it still waits for the reviewer."""
        return self.status in ACTIVE_STATUSES

    @property
    def reference(self) -> str:
        """The number people quote: ``JG`` and the id, zero-padded."""
        return f"JG{self.id:08d}"

    @property
    def excess_percent(self) -> int:
        """How far the price is above what it was compared with, in whole percent (rounded down)."""
        return (self.price_fen - self.compared_fen) * 100 // self.compared_fen

    def audit_view(self) -> dict[str, Any]:
        """What the audit log keeps."""
        return {
            "product_id": self.product_id,
            "kind": self.kind.value,
            "status": self.status.value,
            "price_fen": self.price_fen,
            "compared_fen": self.compared_fen,
        }
