"""Access rows for quality sampling: the list (the county's reviewers, administrators, the producer's
members), recording and results (reviewers and administrators only), a sample's page and report (also the
producer's members)."""

from __future__ import annotations

import io
from typing import Any

from core.db import utcnow
from oversight.sampling.models import QualitySample, SampleResult
from oversight.sampling.reports import store_report
from oversight.sampling.services import SampleInput, record_sample
from tests.access_rows import ADM, P, R, World, only
from tests.access_rows.batches import fresh_batch

#: The smallest file the report check accepts as a PDF.
PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\nstartxref\n9\n%%EOF\n"


def _sample(w: World, result: SampleResult = SampleResult.PENDING, *, report: bool = False) -> QualitySample:
    """A sample of a fresh batch of the producer persona's product, recorded by the administrator."""
    batch = fresh_batch(w)
    key = store_report(io.BytesIO(PDF), w.factories["upload_dir"]) if report else None
    data = SampleInput(
        utcnow(), "疏勒县农贸市场", "疏勒县市场监管局", "喀什地区检测中心", ["农药残留"], result
    )
    return record_sample(w.db, w.users[ADM], batch, data, key)


def _page(w: World) -> str:
    """The page of a fresh pending sample."""
    return f"/oversight/sampling/{_sample(w).id}"


def _report(w: World) -> str:
    """The report address of a fresh sample with a stored PDF."""
    return f"/oversight/sampling/{_sample(w, report=True).id}/report.pdf"


def _retested(w: World) -> str:
    """The release address of a passed re-test of a batch a failed sample holds."""
    failed = _sample(w, SampleResult.FAILED)
    data = SampleInput(
        utcnow(), "疏勒县农贸市场", "疏勒县市场监管局", "喀什地区检测中心", ["农药残留"], SampleResult.PASSED
    )
    passed = record_sample(w.db, w.users[ADM], failed.batch, data)
    return f"/oversight/sampling/{passed.id}/release"


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "sampling.samples": ("GET", "/oversight/sampling/", {}, only((P, R, ADM))),
    "sampling.new": ("GET", "/oversight/sampling/new", {}, only((R, ADM))),
    # nothing filled in: refused (400) for those who may record, before anything is looked up
    "sampling.create": ("POST", "/oversight/sampling/new", {"lot": ""}, only((R, ADM), ok=400)),
    "sampling.detail": ("GET", _page, {}, only((P, R, ADM))),
    "sampling.result": ("POST", lambda w: _page(w) + "/result", {"result": "passed"}, only((R, ADM), ok=302)),
    "sampling.release": ("POST", _retested, {"reason": "复检合格"}, only((R, ADM), ok=302)),
    "sampling.report": ("GET", _report, {}, only((P, R, ADM))),
}
