"""The running total of the sales a sponsor's promotions brought (one row per sponsor).

A paid order line discounted by one or more of a sponsor's promotions adds its sales value once to that
sponsor (``paid_fen + sponsored_fen``, as a promotion's report counts it); a refund of its units takes their
value back. Rows only move by ``UPDATE … SET x = x + :d`` (:mod:`promotions.sponsors.services`), so
concurrent payments never lose an addition. Money is integer fen (64-bit: a platform-wide sponsor's total
passes 2³¹ fen).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, str_enum
from orders.models import SponsorKind

#: ``sponsor_id`` of the platform (it has no producer or institution id; a key column cannot be NULL).
PLATFORM_ID = 0


class SponsorSalesTotal(Base):
    """Sales brought by one sponsor's promotions (net of refunds), its paid orders, what refunds took back."""

    __tablename__ = "promotions_sponsor_total"
    __table_args__ = (CheckConstraint("orders >= 0 AND refunded_fen >= 0", name="counts_not_negative"),)

    sponsor_kind: Mapped[SponsorKind] = mapped_column(str_enum(SponsorKind, 16), primary_key=True)
    #: The producer's or institution's id (:data:`PLATFORM_ID` for the platform).
    sponsor_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: The discounted lines' buyer and third-party money, refunds subtracted.
    sales_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Paid orders with at least one line the sponsor discounted.
    orders: Mapped[int] = mapped_column(Integer, default=0)
    #: What refunds of those lines took back from ``sales_fen``.
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
