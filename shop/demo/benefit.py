"""Demo benefit to households: for one producer of each county that brings households along, two verified
monthly reports (wages and dividends to lifted households, land rent to monitored ones), so the product,
producer, trace and county pages show verified figures. Idempotent: a producer with a report is left alone."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from settlement.benefit.evidence import store_evidence
from settlement.benefit.models import (
    BenefitLine,
    BenefitMode,
    BenefitReport,
    BenefitStatus,
    HouseholdCategory,
    VerifierRole,
)

#: A one-page PDF standing in for a bank's batch-payment report (the demo has no real evidence).
DEMO_EVIDENCE = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
)


def _last_months(today: date, count: int) -> list[tuple[int, int]]:
    """The ``count`` months before ``today``'s, newest last."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append((year, month))
    return months[::-1]


def seed_benefit(
    session: Session, producers: list[Producer], reviewers: dict[int, User], upload_dir: Path | None
) -> None:
    """Give the first approved producer of each county with recorded households two verified reports of the
    last two months (``reviewers`` by county id decide them). Does not commit."""
    chosen: dict[int, Producer] = {}
    for producer in producers:
        if producer.is_approved and producer.lifted_households > 0:
            chosen.setdefault(producer.county_id, producer)
    for county_id, producer in chosen.items():
        if session.scalar(select(BenefitReport.id).where(BenefitReport.producer_id == producer.id)):
            continue
        reviewer = reviewers.get(county_id)
        key = "0" * 32  # no upload folder: the evidence is not on file
        if upload_dir is not None:
            key = store_evidence(io.BytesIO(DEMO_EVIDENCE), upload_dir).key
        lifted = min(producer.lifted_households, 20)
        monitored = min(producer.monitored_households, 3)
        for number, (year, month) in enumerate(_last_months(shanghai_date(), 2)):
            report = BenefitReport(
                producer=producer,
                county_id=county_id,
                year=year,
                month=month,
                status=BenefitStatus.VERIFIED,
                evidence_key=key,
                evidence_mimetype="application/pdf",
                decided_by_id=reviewer.id if reviewer is not None else None,
                decided_at=utcnow(),
                verifier_role=VerifierRole.COUNTY_REVIEWER,
            )
            report.lines.append(
                BenefitLine(
                    mode=BenefitMode.WAGES,
                    category=HouseholdCategory.LIFTED,
                    households=lifted - number,
                    amount_fen=(lifted - number) * 280_000,  # ¥2,800 a month in wages
                )
            )
            if number == 0:
                report.lines.append(
                    BenefitLine(
                        mode=BenefitMode.DIVIDEND,
                        category=HouseholdCategory.LIFTED,
                        households=lifted,
                        amount_fen=lifted * 50_000,  # a ¥500 guaranteed dividend
                    )
                )
            if monitored:
                report.lines.append(
                    BenefitLine(
                        mode=BenefitMode.LAND_RENT,
                        category=HouseholdCategory.MONITORED,
                        households=monitored,
                        amount_fen=monitored * 60_000,
                    )
                )
            session.add(report)
    session.flush()
