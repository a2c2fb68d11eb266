"""Serials and printable labels of a batch (members of its producer and admins)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.db import db_session
from core.errors import DomainError
from traceability.batches.forms import (
    SerialsForm,
)
from traceability.batches.views import (
    MAX_LABEL_COPIES,
    MAX_LABELS_PER_SHEET,
    _failed,
    load_batch,
    render_detail,
    serial_count,
    sheet_count,
)
from traceability.errors import BatchRecalled, LabelCountOutOfRange, LabelSheetOutOfRange
from traceability.links import trace_url
from traceability.models import Batch, SerialUnit
from traceability.processing.services import source_batches
from traceability.serials import create_serials

bp = Blueprint("labels", __name__, url_prefix="/producer/batches")


@bp.post("/<id:batch_id>/serials")
@login_required
def issue_serials(batch_id: int) -> ResponseReturnValue:
    """Issue serialized unit codes (one per label)."""
    batch = load_batch(batch_id)
    form = SerialsForm(remaining=batch.quantity - serial_count(batch))
    if not form.validate_on_submit():
        return render_detail(batch, 400, serials_form=form)
    try:
        units = create_serials(db_session, current_user, batch, form.count.data)
    except DomainError as exc:
        return render_detail(batch, *_failed(exc), serials_form=form)
    db_session.commit()
    flash(_("%(count)s unit codes issued.", count=len(units)), "success")
    return redirect(url_for("batches.detail", batch_id=batch.id, _anchor="labels"))


def _printable(batch_id: int) -> Batch:
    """A batch the user manages and that may still get labels (not recalled)."""
    batch = load_batch(batch_id)
    if batch.is_recalled:
        raise BatchRecalled(lot=batch.lot_code)
    return batch


@bp.get("/<id:batch_id>/label.png")
@login_required
def label_png(batch_id: int) -> ResponseReturnValue:
    """One label as PNG: the lot's, or with ``?serial=`` one serialized unit's."""
    from traceability.labels.services import render_label_png  # helper G's module; imported on use

    batch = _printable(batch_id)
    serial = request.args.get("serial") or None
    if (
        serial is not None
        and db_session.scalar(
            select(SerialUnit.id).where(SerialUnit.batch_id == batch.id, SerialUnit.serial == serial)
        )
        is None
    ):
        abort(404)
    png = render_label_png(
        batch,
        trace_url(current_app.config["PUBLIC_BASE_URL"], batch, serial),
        serial=serial,
        sources=[source.batch for source in source_batches(db_session, batch)],
    )
    return Response(png, mimetype="image/png")


def _number_arg(name: str) -> int | None:
    """The query argument ``name`` as a whole number (1 when absent), ``None`` when it is not one."""
    raw = request.args.get(name, "1").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


@bp.get("/<id:batch_id>/labels.pdf")
@login_required
def labels_pdf(batch_id: int) -> ResponseReturnValue:
    """An A4 sheet of labels: one per unit code when the batch has them (at most
    :data:`MAX_LABELS_PER_SHEET` per sheet, ``?part=`` picks the sheet), else ``?count=`` lot labels.

    A request renders a bounded number of labels whatever the batch's size; anything else is a 400 that
    says what can be printed.
    """
    from traceability.labels.services import render_label_sheet_pdf  # helper G's module; imported on use

    batch = _printable(batch_id)
    base = current_app.config["PUBLIC_BASE_URL"]
    total = serial_count(batch)
    if total:
        parts = sheet_count(total)
        part = _number_arg("part")
        if part is None or not 1 <= part <= parts:
            raise LabelSheetOutOfRange(parts=parts, size=MAX_LABELS_PER_SHEET)
        serials = db_session.scalars(
            select(SerialUnit.serial)
            .where(SerialUnit.batch_id == batch.id)
            .order_by(SerialUnit.id)
            .offset((part - 1) * MAX_LABELS_PER_SHEET)
            .limit(MAX_LABELS_PER_SHEET)
        )
        items: list[tuple[str, str | None]] = [(trace_url(base, batch, s), s) for s in serials]
        name = f"labels-{batch.lot_code}-{part}.pdf" if parts > 1 else f"labels-{batch.lot_code}.pdf"
    else:
        count = _number_arg("count")
        if count is None or not 1 <= count <= MAX_LABEL_COPIES:
            raise LabelCountOutOfRange(max=MAX_LABEL_COPIES)
        items = [(trace_url(base, batch), None)] * count
        name = f"labels-{batch.lot_code}.pdf"
    sources = [source.batch for source in source_batches(db_session, batch)]
    pdf = render_label_sheet_pdf(batch, items, sources=sources)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
