"""Helpers for the settlement tests: a verified payee account and a benefit report put in place directly."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.db import utcnow
from settlement.benefit.evidence import store_evidence
from settlement.benefit.models import (
    BenefitLine,
    BenefitMode,
    BenefitReport,
    BenefitStatus,
    HouseholdCategory,
    VerifierRole,
)
from settlement.payees.models import PayeeAccount, PayeeStatus

_numbers = itertools.count(1)


def give_payee(
    db: Session,
    producer: Producer,
    *,
    number: str | None = None,
    status: PayeeStatus = PayeeStatus.VERIFIED,
    bank: str = "中国农业银行",
) -> PayeeAccount:
    """A payee account version of ``producer`` in ``status`` (default: verified, in force), in its name."""
    latest = db.scalar(select(func.max(PayeeAccount.version)).where(PayeeAccount.producer_id == producer.id))
    account = PayeeAccount(
        producer=producer,
        version=(latest or 0) + 1,
        status=status,
        account_name=producer.name,
        bank_name=bank,
        branch_name="疏勒县支行",
        account_number=number or f"62284800{next(_numbers):011d}",
        decided_at=utcnow() if status is not PayeeStatus.PENDING else None,
    )
    db.add(account)
    db.flush()
    return account


_months = itertools.count(0)
#: The smallest file the evidence checks accept as a PDF (header, an object, ``startxref`` and ``%%EOF``).
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n"


def give_benefit_report(
    db: Session,
    producer: Producer,
    *,
    upload_dir: str | Path | None = None,
    year: int | None = None,
    month: int | None = None,
    status: BenefitStatus = BenefitStatus.SUBMITTED,
    households: int = 3,
    amount_fen: int = 150_000,
    mode: BenefitMode = BenefitMode.WAGES,
    category: HouseholdCategory = HouseholdCategory.LIFTED,
) -> BenefitReport:
    """A benefit report of ``producer`` put in place directly (default: a fresh past month, submitted, one
    line); with ``upload_dir`` its evidence file exists. The producer records enough households for it."""
    if year is None or month is None:
        n = next(_months)
        year, month = 2000 + (n // 12) % 100, n % 12 + 1
    if category is HouseholdCategory.LIFTED:
        producer.lifted_households = max(producer.lifted_households or 0, households)
    else:
        producer.monitored_households = max(producer.monitored_households or 0, households)
    key = "0" * 32
    if upload_dir is not None:
        key = store_evidence(io.BytesIO(MINIMAL_PDF), Path(upload_dir)).key
    report = BenefitReport(
        producer=producer,
        county_id=producer.county_id,
        year=year,
        month=month,
        status=status,
        evidence_key=key,
        evidence_mimetype="application/pdf",
        decided_at=utcnow() if status is not BenefitStatus.SUBMITTED else None,
        verifier_role=VerifierRole.COUNTY_REVIEWER if status is BenefitStatus.VERIFIED else None,
        decision_reason="材料不全" if status is BenefitStatus.REJECTED else None,
    )
    report.lines.append(
        BenefitLine(mode=mode, category=category, households=households, amount_fen=amount_fen)
    )
    db.add(report)
    db.flush()
    return report
