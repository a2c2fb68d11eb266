"""Settlement statements: what the platform owes a producer, per producer and Asia/Shanghai month.

A statement is written once, when its month is closed (``flask --app shop settlement close``), and never
changed afterwards: its figures are the money that moved in its period. What changes later (a hold released,
a payout made) is read live beside it (:mod:`settlement.statements.services`). The running month has no row:
it is computed on the fly with the same code.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from core.db import Base, UTCDateTime, utcnow


class Statement(Base):
    """One producer's closed month: the money the platform collected for it, and what it collected itself.

    Platform-collected money (Stripe and consumer bank transfers): ``sales_fen`` (goods, as the sales ledger
    counts them) + ``shipping_fen`` (shipping fees of those orders, the producer's: it ships) −
    ``refunds_fen`` (every refund of those orders recorded in the period, goods and shipping) − ``fees_fen``
    = ``net_fen``; ``cumulative_net_fen`` adds the ``net_fen`` of every earlier statement of the producer.
    Money the producer collected itself is shown, never payable: cash on delivery (net of its refunds) and
    institutions' direct payments for purchase orders received in the period. A third-party sponsor's share
    of a promotion is platform money whoever collected the rest: in ``sales_fen`` (and, for refunded units, in
    ``refunds_fen``), never in the cash collected.
    """

    __tablename__ = "settlement_statement"
    __table_args__ = (
        UniqueConstraint("producer_id", "month"),
        # the administrators' list: one month's statements, largest first
        Index("ix_settlement_statement_month_net", "month", "net_fen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    #: The first day of the statement's month.
    month: Mapped[date] = mapped_column(Date)
    #: The Asia/Shanghai days covered: from the previous statement's end (its month's first day when there
    #: is none before with money) to the first day of the next month, exclusive.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    sales_fen: Mapped[int] = mapped_column(BigInteger)
    shipping_fen: Mapped[int] = mapped_column(BigInteger)
    #: Every refund of platform-collected orders in the period (a positive amount) ...
    refunds_fen: Mapped[int] = mapped_column(BigInteger)
    #: ... of which goods, as the ledger subtracts them (the rest is shipping given back).
    refunded_goods_fen: Mapped[int] = mapped_column(BigInteger)
    fee_basis_points: Mapped[int] = mapped_column(Integer)
    fees_fen: Mapped[int] = mapped_column(BigInteger)
    net_fen: Mapped[int] = mapped_column(BigInteger)
    cumulative_net_fen: Mapped[int] = mapped_column(BigInteger)
    #: Platform-collected money held at closing for orders with an open recall (the live figure may differ).
    held_at_close_fen: Mapped[int] = mapped_column(BigInteger)
    #: Collected by the producer itself (not payable): cash on delivery, net of its refunds ...
    cash_collected_fen: Mapped[int] = mapped_column(BigInteger)
    #: ... and institutions' direct payments for the purchase-order goods they received in the period.
    procurement_received_fen: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    producer: Mapped[Producer] = relationship()
