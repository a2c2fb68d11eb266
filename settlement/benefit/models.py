"""Benefit to households (联农带农): what a producer paid to the households it brings along, month by month.

A report covers one producer and one month. Its lines say, for each linkage mode (保底分红
dividends, 优先雇用 wages, 订单收购 purchases, 土地租金 land rent) and household category (脱贫户
lifted, 监测户 monitored), how many households were paid and how much, in integer fen. Evidence (a
bank's batch-payment report or a signed list) backs it; the reviewer of the producer's county verifies or
rejects it. Only verified reports are shown to the public (see :mod:`settlement.benefit.figures`).

There is deliberately no field for a household's name, an identity number or any free text from the producer:
households are counted by category, never listed on the platform.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.producers.models import Producer
from core.db import Base, UTCDateTime, str_enum, utcnow
from core.models import User


class BenefitStatus(enum.StrEnum):
    """Where a monthly report stands: submitted → verified / rejected; a changed report is submitted again."""

    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"


class BenefitMode(enum.StrEnum):
    """The ways money reaches linked households that a report counts."""

    DIVIDEND = "guaranteed_dividend"  # 保底分红
    WAGES = "priority_employment"  # 优先雇用 (wages)
    PURCHASE = "order_purchase"  # 订单收购
    LAND_RENT = "land_rent"  # 土地租金


class HouseholdCategory(enum.StrEnum):
    """The two categories of household the consolidation period follows."""

    LIFTED = "lifted"  # 脱贫户
    MONITORED = "monitored"  # 监测户


class VerifierRole(enum.StrEnum):
    """Who verified a report, as the public reads it: a unit and role, never a person."""

    ADMINISTRATOR = "administrator"
    COUNTY_REVIEWER = "county_reviewer"


class BenefitReport(Base):
    """One producer's payments to linked households in one Asia/Shanghai month."""

    __tablename__ = "settlement_benefit_report"
    __table_args__ = (
        UniqueConstraint("producer_id", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("revision > 0", name="revision_positive"),
        # the county's public figure and the reviewers' queue read a county's reports of one state and year
        Index("ix_settlement_benefit_report_county_status_year", "county_id", "status", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("catalog_producer.id"))
    #: The producer's county when the report was last submitted (the county's reviewer decides it).
    county_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    status: Mapped[BenefitStatus] = mapped_column(
        str_enum(BenefitStatus, 16), default=BenefitStatus.SUBMITTED
    )
    #: How many times it was submitted (1 for the first; every change adds one).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    #: The stored evidence file (random key; PDF kept as sent, photos re-encoded) and how it is served.
    evidence_key: Mapped[str] = mapped_column(String(32))
    evidence_mimetype: Mapped[str] = mapped_column(String(32))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the public is told verified it (set with the verification).
    verifier_role: Mapped[VerifierRole | None] = mapped_column(str_enum(VerifierRole, 16))
    #: The reviewer's reason for a rejection (the producer reads it).
    decision_reason: Mapped[str | None] = mapped_column(String(500))

    producer: Mapped[Producer] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    lines: Mapped[list[BenefitLine]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="BenefitLine.id"
    )

    @property
    def period_label(self) -> str:
        """The month as ``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def amount_fen(self) -> int:
        """Everything the report says was paid, in fen."""
        return sum(line.amount_fen for line in self.lines)

    def cell(self, mode: BenefitMode, category: HouseholdCategory) -> BenefitLine | None:
        """The line of one mode and category, or None when nothing was paid that way."""
        return next((ln for ln in self.lines if ln.mode is mode and ln.category is category), None)

    def audit_view(self) -> dict[str, object]:
        """What the audit log keeps of the report: period, state, revision and every line (counts, fen)."""
        return {
            "period": self.period_label,
            "status": self.status.value,
            "revision": self.revision,
            "evidence": self.evidence_key,
            "lines": [
                {
                    "mode": ln.mode.value,
                    "category": ln.category.value,
                    "households": ln.households,
                    "amount_fen": ln.amount_fen,
                }
                for ln in self.lines
            ],
        }


class BenefitLine(Base):
    """How many households of one category were paid in one way in the report's month, and how much."""

    __tablename__ = "settlement_benefit_line"
    __table_args__ = (
        UniqueConstraint("report_id", "mode", "category"),
        CheckConstraint("households >= 0", name="households_not_negative"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("settlement_benefit_report.id", ondelete="CASCADE"))
    mode: Mapped[BenefitMode] = mapped_column(str_enum(BenefitMode, 24))
    category: Mapped[HouseholdCategory] = mapped_column(str_enum(HouseholdCategory, 16))
    households: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    report: Mapped[BenefitReport] = relationship(back_populates="lines")
