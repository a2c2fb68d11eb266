"""Access rows for the producer's batch workbench and the reviewer's recall list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.clock import shanghai_date
from tests.access_rows import ADM, P, R, World, only
from traceability.batches.services import DEFAULT_COMMITMENTS, BatchData, ComplianceData, create_batch
from traceability.models import Batch, ComplianceBasis


def fresh_batch(w: World, *, compliance: bool = True) -> Batch:
    """A new batch of the producer persona's certified vegetable, from the first township of 疏勒县."""
    today = shanghai_date()
    towns = sorted(w.factories["region"]("653122").children, key=lambda r: r.code or "")
    data = BatchData(50, today - timedelta(days=1), today + timedelta(days=20), origin=towns[0])
    certificate = (
        ComplianceData(ComplianceBasis.QUALITY_CONTROL, "13912345678", today) if compliance else None
    )
    return create_batch(w.db, w.users[P], w.objects["product"], data, certificate)


def batch_url(suffix: str = "", *, compliance: bool = True) -> Any:
    """A builder for a page of a fresh batch (one per persona, so POSTs can repeat)."""
    return lambda w: f"/producer/batches/{fresh_batch(w, compliance=compliance).id}{suffix}"


SHIPPING = {"kind": "shipping", "occurred_at": "2026-01-05T09:30", "ship_to": "喀什冷链仓", "waybill": "SF1"}
CERTIFICATE = {
    "basis": "quality_control",
    "contact_phone": "13912345678",
    "issued_on": "2026-01-05",
    "commitments": list(DEFAULT_COMMITMENTS),
}
MEMBERS = (P, ADM)
VIEWERS = (P, R, ADM)

#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "batches.index": ("GET", "/producer/batches/", {}, only((P,))),
    "batches.new": ("GET", "/producer/batches/new", {}, only((P,))),
    "batches.processing": ("GET", "/producer/batches/processing", {}, only((P,))),
    "recalls.review_list": ("GET", "/producer/batches/review", {}, only((R, ADM))),
    "batches.detail": ("GET", batch_url(), {}, only(VIEWERS)),
    "batches.record_event": ("POST", batch_url("/events"), SHIPPING, only(MEMBERS, ok=302)),
    "batches.issue_certificate": (
        "POST",
        batch_url("/certificate", compliance=False),
        CERTIFICATE,
        only(MEMBERS, ok=302),
    ),
    "labels.issue_serials": ("POST", batch_url("/serials"), {"count": "2"}, only(MEMBERS, ok=302)),
    # the county's reviewer may recall the producer's batches; a fresh batch per persona
    "recalls.recall": ("POST", batch_url("/recall"), {"reason": "抽检农残超标"}, only(VIEWERS, ok=302)),
    "recalls.recall_csv": ("GET", batch_url("/recall.csv"), {}, only(VIEWERS)),
    "recalls.recall_xlsx": ("GET", batch_url("/recall.xlsx"), {}, only(VIEWERS)),
    # rendered by traceability.labels.services (helper G)
    "labels.label_png": ("GET", batch_url("/label.png"), {}, only(MEMBERS)),
    "labels.labels_pdf": ("GET", batch_url("/labels.pdf?count=2"), {}, only(MEMBERS)),
}
