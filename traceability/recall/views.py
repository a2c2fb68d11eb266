"""Recalls: by the producer or the county reviewer, the reviewer's batch list, and the recall export."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from catalog.producers.models import Producer
from catalog.products.forms import suffix_ids
from core.access import ensure
from core.db import db_session
from core.errors import DomainError
from core.pagination import paginate
from core.urls import safe_next_url
from traceability.batches.forms import (
    RecallForm,
)
from traceability.batches.views import (
    _failed,
    load_batch,
    render_detail,
    reviewer_or_admin_required,
)
from traceability.models import Batch
from traceability.recall import export
from traceability.recall.services import can_recall, recall_batch

bp = Blueprint("recalls", __name__, url_prefix="/producer/batches")


@bp.post("/<id:batch_id>/recall")
@login_required
def recall(batch_id: int) -> ResponseReturnValue:
    """Recall a batch and every batch made from it (its producer, the county reviewer or an admin)."""
    batch = load_batch(batch_id, manage=False)
    ensure(can_recall(current_user, batch))
    form = RecallForm()
    if not form.validate_on_submit():
        return render_detail(batch, 400, recall_form=form)
    try:
        reached = recall_batch(db_session, current_user, batch, form.reason.data)
    except DomainError as exc:
        return render_detail(batch, *_failed(exc), recall_form=form)
    db_session.commit()
    others = len(reached) - 1
    message = (
        _("Batch %(lot)s and %(count)s batches made from it recalled.", lot=batch.lot_code, count=others)
        if others
        else _("Batch %(lot)s recalled.", lot=batch.lot_code)
    )
    flash(message, "success")
    target = url_for("batches.detail", batch_id=batch.id)
    return redirect(safe_next_url(form.next.data) if form.next.data else target)


@bp.get("/<id:batch_id>/recall.csv")
@login_required
def recall_csv(batch_id: int) -> ResponseReturnValue:
    """The recall list as CSV (UTF-8 with BOM for Excel): every event backward and forward through the
    genealogy, and every order and purchase order holding units of the batch or of what was made from it."""
    batch = load_batch(batch_id, manage=False)
    body = export.to_csv(export.export_rows(db_session, batch))
    return _download(body, "text/csv; charset=utf-8", f"recall-{batch.lot_code}.csv")


@bp.get("/<id:batch_id>/recall.xlsx")
@login_required
def recall_xlsx(batch_id: int) -> ResponseReturnValue:
    """The same recall list as an XLSX sheet (sortable and filterable by every column)."""
    batch = load_batch(batch_id, manage=False)
    body = export.to_xlsx(export.export_rows(db_session, batch), title=f"召回清单 {batch.lot_code}")
    return _download(body, export.XLSX_MIMETYPE, f"recall-{batch.lot_code}.xlsx")


def _download(body: bytes, content_type: str, filename: str) -> Response:
    """An attachment nobody caches (it names buyers)."""
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/review")
@reviewer_or_admin_required
def review_list() -> ResponseReturnValue:
    """Batches of the reviewer's counties (all for admins), with a recall button each."""
    query = select(Batch).join(Producer, Batch.producer_id == Producer.id)
    if not current_user.is_admin:
        query = query.where(Producer.county_id.in_([c.id for c in current_user.reviewer_counties]))
    lot = (request.args.get("lot") or "").strip().upper()
    if lot:
        query = query.where(Batch.lot_code.contains(lot, autoescape=True))
    query = query.order_by(Batch.created_at.desc(), Batch.id.desc())
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    back = request.full_path if request.query_string else request.path
    rows = [(b, suffix_ids(RecallForm(formdata=None, next=back), str(b.id))) for b in page.items]
    return render_template("traceability/batches/review.html", page=page, rows=rows, lot=lot)
