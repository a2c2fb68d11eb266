"""A batch's cold chain for its producer and the county reviewer: readings, verdict, holds, logger upload."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from core.db import db_session
from core.errors import DomainError
from traceability.batches.views import load_batch
from traceability.coldchain.forms import LoggerUploadForm
from traceability.coldchain.upload import upload_logger_file
from traceability.coldchain.verdict import cold_chain_of
from traceability.errors import LoggerFileInvalid
from traceability.holds.forms import ReleaseForm
from traceability.holds.services import HOLD_REASON_LABELS, can_release, hold_history
from traceability.models import Batch

bp = Blueprint("cold_chain", __name__, url_prefix="/producer/batches")


def render_page(batch: Batch, status: int = 200, **context: Any) -> ResponseReturnValue:
    """The batch's cold-chain page (``context`` replaces blank forms or adds an error)."""
    context.setdefault("form", LoggerUploadForm())
    context.setdefault("release_form", ReleaseForm())
    page = render_template(
        "traceability/coldchain/page.html",
        batch=batch,
        cold_chain=cold_chain_of(db_session, batch),
        holds=hold_history(db_session, batch),
        may_release=can_release(current_user, batch),
        reason_labels=HOLD_REASON_LABELS,
        **context,
    )
    return page, status


@bp.get("/<id:batch_id>/cold-chain")
@login_required
def page(batch_id: int) -> ResponseReturnValue:
    """The batch's readings, verdict and holds, with the logger upload (its producer and reviewers)."""
    return render_page(load_batch(batch_id, manage=False))


@bp.post("/<id:batch_id>/cold-chain")
@login_required
def upload(batch_id: int) -> ResponseReturnValue:
    """Store a logger's CSV for the batch, all or nothing; an excursion holds the batch."""
    batch = load_batch(batch_id, manage=False)
    form = LoggerUploadForm()
    if not form.validate_on_submit():
        return render_page(batch, 422 if form.file.data else 400, form=form)
    try:
        count, holds = upload_logger_file(
            db_session, current_user, batch, form.file.data.read(), form.place.data
        )
    except LoggerFileInvalid as exc:
        db_session.rollback()
        return render_page(
            batch, exc.status, form=form, error=str(exc), row_errors=exc.params.get("errors", [])
        )
    except DomainError as exc:
        db_session.rollback()
        return render_page(batch, exc.status, form=form, error=str(exc))
    db_session.commit()
    flash(ngettext("%(num)s reading stored.", "%(num)s readings stored.", count), "success")
    if holds:
        flash(
            _("A reading left the safe range: the batch is on hold until the county office releases it."),
            "warning",
        )
    return redirect(url_for("cold_chain.page", batch_id=batch.id))
