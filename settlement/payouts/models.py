"""Payouts: money the platform sends a producer against its latest statement, proposed and approved by two
different administrators (maker–checker), recorded independently of the rail that carries it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import User
from settlement.payees.models import PayeeAccount
from settlement.statements.models import Statement


class PayoutStatus(enum.StrEnum):
    """Where a payout stands: proposed → paid (approved with the bank's reference) or cancelled."""

    PROPOSED = "proposed"
    PAID = "paid"
    CANCELLED = "cancelled"


class PayoutRail(enum.StrEnum):
    """What carries the money. Only bank transfers are made today; a live card deployment would pay out
    through Stripe Connect (not wired), recorded the same way."""

    BANK_TRANSFER = "bank_transfer"


class Payout(Base):
    """An amount paid (or proposed to be paid) to a producer's verified payee account."""

    __tablename__ = "settlement_payout"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        # maker–checker, kept by the database too: whoever approves is not who proposed
        CheckConstraint("approved_by_id IS NULL OR approved_by_id <> proposed_by_id", name="two_people"),
        Index("ix_settlement_payout_producer_status", "producer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("settlement_statement.id"), index=True)
    #: The verified account at proposal; approval insists it is still the one in force.
    payee_account_id: Mapped[int] = mapped_column(ForeignKey("settlement_payee_account.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[PayoutStatus] = mapped_column(str_enum(PayoutStatus, 16), default=PayoutStatus.PROPOSED)
    rail: Mapped[PayoutRail] = mapped_column(str_enum(PayoutRail, 24), default=PayoutRail.BANK_TRANSFER)
    note: Mapped[str | None] = mapped_column(String(300))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The bank's reference of the transfer: one transfer pays one payout.
    bank_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The Asia/Shanghai day the money left the platform's account.
    paid_on: Mapped[date | None] = mapped_column(Date)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    producer: Mapped[Producer] = relationship()
    statement: Mapped[Statement] = relationship()
    payee_account: Mapped[PayeeAccount] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
