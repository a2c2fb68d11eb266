"""Releasing a hold: the county reviewer says why the batch may be sold again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.access import ensure
from core.db import db_session, get_or_404
from core.errors import DomainError
from traceability.batches.views import load_batch
from traceability.coldchain.views import render_page
from traceability.holds.forms import ReleaseForm
from traceability.holds.models import BatchHold
from traceability.holds.services import can_release, release_hold

bp = Blueprint("holds", __name__, url_prefix="/producer/batches")


@bp.post("/<id:batch_id>/holds/<id:hold_id>/release")
@login_required
def release(batch_id: int, hold_id: int) -> ResponseReturnValue:
    """Release one hold of the batch (its county's reviewers and admins), with a reason; audited."""
    batch = load_batch(batch_id, manage=False)
    hold = get_or_404(BatchHold, hold_id)
    if hold.batch_id != batch.id:
        abort(404)
    ensure(can_release(current_user, batch))
    form = ReleaseForm()
    if not form.validate_on_submit():
        return render_page(batch, 400, release_form=form)
    try:
        release_hold(db_session, current_user, hold, form.reason.data)
    except DomainError as exc:
        db_session.rollback()
        return render_page(batch, exc.status, release_form=form, error=str(exc))
    db_session.commit()
    if batch.is_on_hold:
        flash(_("Hold released; the batch has other open holds."), "success")
    else:
        flash(_("Hold released: batch %(lot)s can be sold again.", lot=batch.lot_code), "success")
    return redirect(url_for("cold_chain.page", batch_id=batch.id))
