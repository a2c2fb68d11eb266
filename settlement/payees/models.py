"""Payee accounts: the bank account a producer is paid into, in versions that the county reviewer verifies.

A producer's account is never edited in place. Every submission is a new version (``version`` 1, 2, …) that
starts ``pending``; the county reviewer verifies or rejects it. At most one version is ``verified`` — the one
in force, which institutions and platform payouts pay into — and at most one is ``pending``. Verifying a new
version supersedes the one in force; until then the old one stays in force (see
:mod:`settlement.payees.services`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import User


class PayeeStatus(enum.StrEnum):
    """Where one version of a payee account stands."""

    #: Submitted by a member of the producer; waits for the county reviewer.
    PENDING = "pending"
    #: Verified by the reviewer: in force, money is paid into it.
    VERIFIED = "verified"
    #: Refused by the reviewer (with a reason); the version in force, if any, stays.
    REJECTED = "rejected"
    #: A pending change the producer took back before the reviewer decided.
    WITHDRAWN = "withdrawn"
    #: Was in force until a newer version was verified.
    SUPERSEDED = "superseded"


def mask_number(number: str) -> str:
    """An account number as shown to people who may not read it: the last four digits only."""
    return "•••• " + number[-4:]


class PayeeAccount(Base):
    """One version of the bank account a producer is paid into."""

    __tablename__ = "settlement_payee_account"
    __table_args__ = (
        UniqueConstraint("producer_id", "version"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[PayeeStatus] = mapped_column(
        str_enum(PayeeStatus, 16), default=PayeeStatus.PENDING, index=True
    )
    #: The account holder's name as the bank knows it (户名).
    account_name: Mapped[str] = mapped_column(String(120))
    #: Why the holder's name differs from the producer's registered name (required then, else empty).
    name_note: Mapped[str | None] = mapped_column(String(300))
    #: The bank (开户银行) and the branch (开户网点).
    bank_name: Mapped[str] = mapped_column(String(60))
    branch_name: Mapped[str] = mapped_column(String(100))
    #: Digits only.
    account_number: Mapped[str] = mapped_column(String(32))
    #: The branch's CNAPS bank code (联行号, 12 digits), when the producer knows it.
    cnaps_code: Mapped[str | None] = mapped_column(String(12))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The reviewer's reason for a rejection (or the producer's note when withdrawing).
    decision_reason: Mapped[str | None] = mapped_column(String(500))

    producer: Mapped[Producer] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def masked_number(self) -> str:
        """The account number with all but its last four digits hidden."""
        return mask_number(self.account_number)

    @property
    def name_differs(self) -> bool:
        """Whether the holder's name is not the producer's registered name."""
        return " ".join(self.account_name.split()) != " ".join(self.producer.name.split())

    def audit_view(self) -> dict[str, object]:
        """What the audit log keeps of this version (the number masked: the log is read widely)."""
        return {
            "version": self.version,
            "status": self.status.value,
            "account_name": self.account_name,
            "bank": self.bank_name,
            "branch": self.branch_name,
            "number": self.masked_number,
            "cnaps": self.cnaps_code,
        }
