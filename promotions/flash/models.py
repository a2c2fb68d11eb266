"""A flash sale, how many units each buyer took, and each purchase (the order it made, the points it cost).

``sold`` only moves by one conditional UPDATE (``sold < units``) and a buyer's ``bought`` by one conditional
upsert (``bought < per_buyer_limit``), so neither passes its bound however many requests race. The check
constraints say the same to the database.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.products.models import Product
from core.db import Base, UTCDateTime, str_enum, utcnow
from orders.models import SponsorKind
from procurement.institutions.models import Institution
from promotions.eligibility.models import Eligibility
from promotions.eligibility.services import Audience


class FlashSale(Base):
    """Units of a product sold for points (or points + cash) between two moments (UTC); the sponsor pays the
    producer the rest of the list value."""

    __tablename__ = "promotions_flash_sale"
    __table_args__ = (
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("sold >= 0 AND sold <= units", name="sold_within_units"),
        CheckConstraint("points_price > 0", name="points_positive"),
        CheckConstraint("cash_fen >= 0", name="cash_not_negative"),
        CheckConstraint("per_buyer_limit > 0", name="limit_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # the public list reads the sales still running or to come, soonest first
        Index("ix_promotions_flash_sale_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    units: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    points_price: Mapped[int] = mapped_column(Integer)
    #: The cash part of a unit's price (points + cash), paid like any order; 0: points only.
    cash_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    per_buyer_limit: Mapped[int] = mapped_column(Integer, default=1)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Who pays the producer the list value of each unit (the platform, or the producer itself).
    sponsor_kind: Mapped[SponsorKind] = mapped_column(str_enum(SponsorKind, 16))
    sponsor_id: Mapped[int | None] = mapped_column(Integer)
    sponsor_name: Mapped[str] = mapped_column(String(120))
    #: Who may buy: everyone, new buyers, staff of ``eligible_institution_id``, or invited buyers.
    eligibility: Mapped[Eligibility] = mapped_column(
        str_enum(Eligibility, 16), default=Eligibility.EVERYONE, server_default=Eligibility.EVERYONE.value
    )
    eligible_institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_institution.id", name="fk_promotions_flash_sale_eligible_institution")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()
    eligible_institution: Mapped[Institution | None] = relationship()

    @property
    def audience(self) -> Audience:
        """Who may buy in it (for :mod:`promotions.eligibility.services`)."""
        return Audience(self.eligibility, self.eligible_institution, flash_sale_id=self.id)

    @property
    def left(self) -> int:
        """Units not sold yet."""
        return self.units - self.sold

    @property
    def line_promotion_id(self) -> int:
        """The id its discounts carry on order lines: negative, so it never names an offer's promotion."""
        return -self.id


class PurchaseState(enum.StrEnum):
    """Where a purchase's points stand."""

    SPENT = "spent"  # points only: spent at once, the order paid with them
    RESERVED = "reserved"  # points + cash: taken at the press, the order awaits its cash
    PAID = "paid"  # points + cash: the cash came, the points are spent
    RETURNED = "returned"  # points + cash: the order was cancelled or expired unpaid; points and unit back


class FlashBuyer(Base):
    """How many units of a flash sale one buyer took (never more than the sale's limit)."""

    __tablename__ = "promotions_flash_buyer"
    __table_args__ = (CheckConstraint("bought >= 0", name="bought_not_negative"),)

    sale_id: Mapped[int] = mapped_column(
        ForeignKey("promotions_flash_sale.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True)
    bought: Mapped[int] = mapped_column(Integer, default=0)


class FlashPurchase(Base):
    """One unit bought in a flash sale: the paid order it made and the points it cost."""

    __tablename__ = "promotions_flash_purchase"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("promotions_flash_sale.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"), unique=True)
    points: Mapped[int] = mapped_column(Integer)
    #: Moves only by conditional UPDATEs (reserved → paid, reserved → returned), so points come back once.
    state: Mapped[PurchaseState] = mapped_column(
        str_enum(PurchaseState, 16), default=PurchaseState.SPENT, server_default=PurchaseState.SPENT.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
