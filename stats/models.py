"""The append-only sales ledger and the targets progress is measured against.

A ledger entry is written, in the same transaction, whenever something starts or stops counting: a consumer
order line paid (+), a procurement line received (+), a refund or a cancellation after counting (−).
Dimensions are copied onto the entry at the time (county, buyer kind, certification on that day) so that
later changes to a producer or certificate never rewrite history.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, str_enum, utcnow
from orders.channel import Channel as Channel  # re-exported: the ledger's channel is the order's


class EntryKind(enum.StrEnum):
    """Why the entry was written: a sale starts counting, a refund or cancellation stops it."""

    SALE = "sale"
    REFUND = "refund"
    CANCELLATION = "cancellation"
    #: Units an institution did not receive but pays for after all (its after-sales request ended with less
    #: agreed than claimed), counted when the producer confirms the money arrived.
    CONCESSION = "concession"


class EntrySource(enum.StrEnum):
    """Which record the entry came from (with ``source_id``), so the ledger can be rebuilt and compared."""

    ORDER_LINE = "order_line"
    SUPPLIER_LINE = "supplier_line"
    REFUND_LINE = "refund_line"


class SalesEntry(Base):
    """One signed amount of sales with every dimension the dashboards group by."""

    __tablename__ = "stats_sales_entry"
    __table_args__ = (
        Index("ix_stats_sales_entry_source", "source", "source_id", "kind", unique=True),
        Index("ix_stats_sales_entry_county_day", "county_id", "day"),
        Index("ix_stats_sales_entry_institution_day", "institution_id", "day"),
        Index("ix_stats_sales_entry_producer_day", "producer_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, 16))
    source: Mapped[EntrySource] = mapped_column(str_enum(EntrySource, 16))
    source_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The Asia/Shanghai calendar day of ``occurred_at``: statistics periods are local.
    day: Mapped[date] = mapped_column(Date, index=True)
    #: Signed: positive for sales, negative for refunds and cancellations.
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    prefecture_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    #: "consumer" or an institution kind (budget_unit, school, …).
    buyer_kind: Mapped[str] = mapped_column(String(32))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("shop_institution.id"))
    #: The institution is paired with the producer's county (对口帮扶 relation).
    is_paired: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    funding_source: Mapped[str | None] = mapped_column(String(24))
    #: The product held a valid 消费帮扶 certificate on ``day``: only these count toward assistance.
    is_certified: Mapped[bool] = mapped_column(Boolean)


class TargetScope(enum.StrEnum):
    """What a target measures: a county's sales, a partner relation's purchases, or the whole platform."""

    COUNTY = "county"
    PARTNER = "partner"
    PLATFORM = "platform"


class Target(Base):
    """An amount of counted sales to reach over a year or a span of years (e.g. Chengkou 2021–2025 ¥3亿)."""

    __tablename__ = "stats_target"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("end_year >= start_year", name="years"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[TargetScope] = mapped_column(str_enum(TargetScope, 16))
    #: The county (county and partner scopes).
    county_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    #: The partner institution (partner scope).
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("shop_institution.id"))
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class _RollupColumns:
    """The columns of a roll-up row: the period's first day, every dimension of the ledger, and the sums.

    ``dims`` is a canonical text key of all the dimension values (so one unique index on (day, dims) works
    with NULLs on both databases); it is written only by the ledger code that maintains the roll-ups.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    dims: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    prefecture_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    buyer_kind: Mapped[str] = mapped_column(String(32))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("shop_institution.id"))
    is_paired: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    funding_source: Mapped[str | None] = mapped_column(String(24))
    is_certified: Mapped[bool] = mapped_column(Boolean)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class DailyRollup(_RollupColumns, Base):
    """Sums of ledger entries per Asia/Shanghai day and combination of dimensions, kept with the ledger.

    Early warning reads these rows (30-day windows) instead of scanning every entry.
    """

    __tablename__ = "stats_daily_rollup"
    __table_args__ = (
        Index("ix_stats_daily_rollup_dims", "day", "dims", unique=True),
        Index("ix_stats_daily_rollup_county_day", "county_id", "day"),
        Index("ix_stats_daily_rollup_institution_day", "institution_id", "day"),
        Index("ix_stats_daily_rollup_producer_day", "producer_id", "day"),
    )


class MonthlyRollup(_RollupColumns, Base):
    """Sums of ledger entries per Asia/Shanghai month (``day``: its first day) and combination of dimensions.

    Kept with the ledger in the same transaction as :class:`DailyRollup`. The county, producer and partner
    dashboards read these rows: their periods are whole months, and a month folds the daily rows of the same
    dimensions into one.
    """

    __tablename__ = "stats_monthly_rollup"
    __table_args__ = (
        Index("ix_stats_monthly_rollup_dims", "day", "dims", unique=True),
        Index("ix_stats_monthly_rollup_county_day", "county_id", "day"),
        Index("ix_stats_monthly_rollup_institution_day", "institution_id", "day"),
        Index("ix_stats_monthly_rollup_producer_day", "producer_id", "day"),
    )


class CountyMonthlyRollup(Base):
    """Sums of ledger entries per Asia/Shanghai month (``day``: its first day), county, channel and
    certification only: a few rows per county and month, kept with the other roll-ups.

    The public results page (every county, this period and all time) and the county and platform targets
    read these rows; the monthly roll-up, which keeps every product and institution apart, has hundreds of
    thousands of rows at a million entries, too many to sum on each request.
    """

    __tablename__ = "stats_county_monthly_rollup"
    __table_args__ = (
        Index("ix_stats_county_monthly_rollup_dims", "day", "dims", unique=True),
        Index("ix_stats_county_monthly_rollup_county_day", "county_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    #: :func:`stats.ledger.dims_key` of the county, channel and certification.
    dims: Mapped[str] = mapped_column(String(40))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    is_certified: Mapped[bool] = mapped_column(Boolean)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class _CountyRollupColumns:
    """What every county-level monthly roll-up row has: the month (``day``, its first day), the county, the
    channel, the certification and the sums; ``dims`` is :func:`stats.ledger.dims_key` of its dimensions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    is_certified: Mapped[bool] = mapped_column(Boolean)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class CountyKindRollup(_CountyRollupColumns, Base):
    """Sums of ledger entries per Asia/Shanghai month, county, kind of buyer, paired or not, channel and
    certification: neither products nor single buyers, so a county's year is a few hundred rows at most.

    The county dashboard's breakdowns by month, buyer kind, channel and partner read these rows, kept with the
    other roll-ups.
    """

    __tablename__ = "stats_county_kind_rollup"
    __table_args__ = (
        Index("ix_stats_county_kind_rollup_dims", "day", "dims", unique=True),
        Index("ix_stats_county_kind_rollup_county_day", "county_id", "day"),
    )

    dims: Mapped[str] = mapped_column(String(80))
    buyer_kind: Mapped[str] = mapped_column(String(32))
    is_paired: Mapped[bool] = mapped_column(Boolean)


class CountyBuyerRollup(_CountyRollupColumns, Base):
    """Sums of ledger entries per Asia/Shanghai month, county, buyer (kind, institution, paired or not),
    channel, funding source and certification: no products, so a county's year is a few rows per buyer.

    The county dashboard's top institutions, partner targets and the institution's progress read these rows,
    kept with the other roll-ups.
    """

    __tablename__ = "stats_county_buyer_rollup"
    __table_args__ = (
        Index("ix_stats_county_buyer_rollup_dims", "day", "dims", unique=True),
        Index("ix_stats_county_buyer_rollup_county_day", "county_id", "day"),
        Index("ix_stats_county_buyer_rollup_institution_day", "institution_id", "day"),
    )

    dims: Mapped[str] = mapped_column(String(120))
    buyer_kind: Mapped[str] = mapped_column(String(32))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("shop_institution.id"))
    is_paired: Mapped[bool] = mapped_column(Boolean)
    funding_source: Mapped[str | None] = mapped_column(String(24))


class CountyProductRollup(_CountyRollupColumns, Base):
    """Sums of ledger entries per Asia/Shanghai month, county, product (and its producer), channel and
    certification: no buyers, so a county's year is a few rows per product sold.

    The county dashboard's breakdown by product and its producers without sales, and the producer dashboard,
    read these rows, kept with the other roll-ups.
    """

    __tablename__ = "stats_county_product_rollup"
    __table_args__ = (
        Index("ix_stats_county_product_rollup_dims", "day", "dims", unique=True),
        Index("ix_stats_county_product_rollup_county_day", "county_id", "day"),
        Index("ix_stats_county_product_rollup_producer_day", "producer_id", "day"),
    )

    dims: Mapped[str] = mapped_column(String(80))
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
