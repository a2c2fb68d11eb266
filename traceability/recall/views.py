"""Recalls: by the producer or the county reviewer, the reviewer's batch list, and the recall export."""

from __future__ import annotations

import csv
import io
from typing import Any

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
from traceability.recall.services import can_recall, recall_batch, recall_rows

bp = Blueprint("recalls", __name__, url_prefix="/producer/batches")

#: The recall export is read in spreadsheets at county offices: a fixed Chinese header and values.
CSV_HEADER = ("方向", "批次号", "产品", "数量", "环节", "日期", "地点", "发出方", "接收方", "单据号")
CSV_DIRECTIONS = {"backward": "上游(原料)", "this": "本批次", "forward": "下游(制成品)"}
CSV_KINDS = {
    "commissioning": "采收/屠宰", "inspection": "检验", "processing": "加工", "packing": "包装",
    "shipping": "发运", "receiving": "收货", "selling": "销售", "recall": "召回", "correction": "更正",
}  # fmt: skip


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


def _csv_cell(value: Any) -> str:
    """A cell spreadsheets will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/<id:batch_id>/recall.csv")
@login_required
def recall_csv(batch_id: int) -> ResponseReturnValue:
    """Every event backward and forward through the genealogy, one row each (UTF-8 with BOM for Excel)."""
    batch = load_batch(batch_id, manage=False)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in recall_rows(db_session, batch):
        values = (CSV_DIRECTIONS.get(row.direction, row.direction), row.lot, row.product, row.quantity,
                  CSV_KINDS.get(row.event, row.event), row.occurred_on.isoformat(), row.place, row.sender,
                  row.receiver, row.documents)  # fmt: skip
        writer.writerow([_csv_cell(v) for v in values])
    response = Response(buffer.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="recall-{batch.lot_code}.csv"'
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
