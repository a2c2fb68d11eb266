"""Promotions: what they take off, on what, for whom, when, who pays, and the budget they spend.

A promotion is created by the platform, by a producer for its own products, or by a sponsor institution (a
paired partner city, an assistance group, an enterprise) who pays for it. ``spent_fen`` only grows by a
single conditional UPDATE (``… WHERE spent_fen + x <= budget_fen``, :mod:`promotions.offers.budget`), so a
budget is never overspent however many checkouts run at once. Per-buyer uses are counted in
:class:`BuyerUse` the same way. Money is integer fen; times UTC.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.db import Base, UTCDateTime, str_enum, utcnow
from orders.models import SponsorKind
from procurement.institutions.models import Institution
from promotions.eligibility.models import Eligibility
from promotions.eligibility.services import Audience

__all__ = ["BuyerUse", "Eligibility", "Promotion", "PromotionKind", "PromotionStatus", "promotion_product"]


class PromotionKind(enum.StrEnum):
    """What a promotion takes off."""

    SPEND_SAVE = "spend_save"  # 满减: spend at least X, save Y
    PERCENT_OFF = "percent_off"  # a percentage off chosen products
    FIXED_OFF = "fixed_off"  # a fixed amount off each unit of chosen products
    FREE_SHIPPING = "free_shipping"  # 包邮: the shipping fee is waived from a threshold on
    GIFT = "gift"  # 满赠: spend at least X, receive a gift product drawn from its batches


class PromotionStatus(enum.StrEnum):
    """Whether it is offered now (a paused promotion gives nothing until resumed)."""

    ACTIVE = "active"
    PAUSED = "paused"


#: The chosen products of a promotion (none: every product of its producer, or of every producer).
promotion_product = Table(
    "promotions_promotion_product",
    Base.metadata,
    Column("promotion_id", ForeignKey("promotions_promotion.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("catalog_product.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Promotion(Base):
    """A discount offered from ``starts_at`` to ``ends_at``, paid by its sponsor out of ``budget_fen``."""

    __tablename__ = "promotions_promotion"
    __table_args__ = (
        CheckConstraint("budget_fen > 0 AND spent_fen >= 0 AND spent_fen <= budget_fen", name="budget"),
        CheckConstraint("threshold_fen >= 0 AND amount_fen >= 0", name="amounts"),
        CheckConstraint("percent IS NULL OR (percent BETWEEN 1 AND 90)", name="percent_range"),
        CheckConstraint("per_buyer_limit IS NULL OR per_buyer_limit > 0", name="limit_positive"),
        CheckConstraint("ends_at > starts_at", name="window"),
        CheckConstraint("gift_quantity IS NULL OR gift_quantity > 0", name="gift_quantity_positive"),
        # checkout reads the active promotions of the cart's producers, and the cross-producer ones
        Index("ix_promotions_promotion_status_producer_id", "status", "producer_id", "ends_at"),
        Index("ix_promotions_promotion_sponsor", "sponsor_kind", "sponsor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    kind: Mapped[PromotionKind] = mapped_column(str_enum(PromotionKind, 24))
    status: Mapped[PromotionStatus] = mapped_column(
        str_enum(PromotionStatus, 16), default=PromotionStatus.ACTIVE
    )
    sponsor_kind: Mapped[SponsorKind] = mapped_column(str_enum(SponsorKind, 16))
    #: The sponsoring producer's or institution's id (``None``: the platform).
    sponsor_id: Mapped[int | None] = mapped_column(Integer)
    sponsor_name: Mapped[str] = mapped_column(String(120))
    #: Only this producer's products (``None``: across producers).
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_producer.id", ondelete="CASCADE"))
    #: 满减 and free shipping: the least value of the goods it applies to (list prices).
    threshold_fen: Mapped[int] = mapped_column(Integer, default=0)
    #: 满减: what it saves; fixed discount: off each unit.
    amount_fen: Mapped[int] = mapped_column(Integer, default=0)
    percent: Mapped[int | None] = mapped_column(Integer)
    #: Combines with other stackable promotions; an exclusive one applies alone.
    is_stackable: Mapped[bool] = mapped_column(Boolean, default=True)
    eligibility: Mapped[Eligibility] = mapped_column(str_enum(Eligibility, 16), default=Eligibility.EVERYONE)
    #: Staff-only promotions: the institution whose members may use it.
    eligible_institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_institution.id", name="fk_promotions_promotion_eligible_institution")
    )
    #: How many checkouts one buyer may use it in (``None``: no limit).
    per_buyer_limit: Mapped[int | None] = mapped_column(Integer)
    budget_fen: Mapped[int] = mapped_column(Integer)
    spent_fen: Mapped[int] = mapped_column(Integer, default=0)
    #: Checkouts that used it (kept with ``spent_fen`` by the same UPDATE).
    uses: Mapped[int] = mapped_column(Integer, default=0)
    #: 满赠: the product given (its producer's order carries it) and how many units.
    gift_product_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_product.id"))
    gift_quantity: Mapped[int | None] = mapped_column(Integer)
    #: Applies to its chosen products only (``products``); otherwise to every product in its scope.
    chosen_products_only: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Given only to a buyer who enters one of its coupons (:mod:`promotions.coupons`).
    needs_coupon: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    producer: Mapped[Producer | None] = relationship()
    products: Mapped[list[Product]] = relationship(secondary=promotion_product, order_by=Product.id)
    gift_product: Mapped[Product | None] = relationship(foreign_keys=[gift_product_id])
    eligible_institution: Mapped[Institution | None] = relationship()

    @property
    def audience(self) -> Audience:
        """Who may use it (for :mod:`promotions.eligibility.services`)."""
        return Audience(self.eligibility, self.eligible_institution, promotion_id=self.id)

    @property
    def left_fen(self) -> int:
        """Budget not spent yet."""
        return self.budget_fen - self.spent_fen

    def is_running(self, now: datetime) -> bool:
        """Active, within its window, with budget left."""
        return (
            self.status is PromotionStatus.ACTIVE
            and self.starts_at <= now < self.ends_at
            and self.left_fen > 0
        )


class BuyerUse(Base):
    """How many checkouts a buyer used a promotion in (grown by one conditional upsert, never past the
    promotion's per-buyer limit)."""

    __tablename__ = "promotions_buyer_use"
    __table_args__ = (CheckConstraint("uses > 0", name="uses_positive"),)

    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotions_promotion.id", ondelete="CASCADE"), primary_key=True
    )
    buyer_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=1)
