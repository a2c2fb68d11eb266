"""Access rows for benefit to households: a producer's reports (its members), evidence (members and the
county's reviewer), the review desk (the county's reviewer, administrators)."""

from __future__ import annotations

from typing import Any

from settlement.benefit.models import BenefitReport
from tests.access_rows import ADM, P, R, World, only
from tests.settlement.support import give_benefit_report


def _own(w: World) -> int:
    """The producer persona's producer (疏勒县, the reviewer persona's county)."""
    return int(w.objects["producer"].id)


def _submitted(w: World) -> int:
    """A fresh submitted report of the producer persona's producer, with its evidence file."""
    report: BenefitReport = give_benefit_report(
        w.db, w.objects["producer"], upload_dir=w.factories["upload_dir"]
    )
    return report.id


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "benefit.producer_reports": (
        "GET",
        lambda w: f"/settlement/producers/{_own(w)}/benefit",
        {},
        only((P,)),
    ),
    "benefit.report_form": (
        "GET",
        lambda w: f"/settlement/producers/{_own(w)}/benefit/report",
        {},
        only((P,)),
    ),
    "benefit.evidence": (
        "GET",
        lambda w: f"/settlement/benefit/{_submitted(w)}/evidence",
        {},
        only((P, R, ADM)),
    ),
    "benefit.queue": ("GET", "/settlement/benefit/", {}, only((R, ADM))),
    "benefit.review": ("GET", lambda w: f"/settlement/benefit/{_submitted(w)}", {}, only((R, ADM))),
    "benefit.verify": (
        "POST",
        lambda w: f"/settlement/benefit/{_submitted(w)}/verify",
        {},
        only((R, ADM), ok=302),
    ),
    "benefit.reject": (
        "POST",
        lambda w: f"/settlement/benefit/{_submitted(w)}/reject",
        {"reason": "银行回单金额与报告不符"},
        only((R, ADM), ok=302),
    ),
}
