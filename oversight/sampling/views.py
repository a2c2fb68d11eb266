"""Quality sampling pages: the county office's list of samples (a producer's members: theirs), the new
sample form (from a lot code), each sample with its result form, the release after a passed re-test, and
the lab report.

A sample opens for the reviewers of its batch's county and administrators, and for the producer's own
members (read only); never for another producer or an ordinary buyer (403). Reports are served from here
only, never publicly.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage

from core.access import ensure, user_passes
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.models import User
from oversight.sampling import services
from oversight.sampling.errors import NotCountySampler, ReportRefused, UnknownLot
from oversight.sampling.forms import ReleaseForm, ResultForm, SampleForm
from oversight.sampling.models import QualitySample, SampleResult
from oversight.sampling.reports import delete_report, report_path, store_report
from traceability.trace.lookup import find_batch

bp = Blueprint("sampling", __name__, url_prefix="/oversight/sampling")

#: Reviewers (of any county) and administrators; each batch's county is checked on the object.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)


def _user() -> User:
    """The signed-in user as a model object."""
    user: User = current_user._get_current_object()
    return user


def _upload_dir() -> Path:
    """The configured upload folder."""
    return Path(current_app.config["UPLOAD_DIR"])


@bp.get("/")
@login_required
def samples() -> ResponseReturnValue:
    """Samples of the reviewer's counties (administrators: all; a producer's members: their own), newest
    first, paged."""
    user = _user()
    number = request.args.get("page", type=int) or 1
    if user.is_admin:
        page = services.reviewer_page(db_session, None, number)
    elif user.is_reviewer:
        page = services.reviewer_page(db_session, [c.id for c in user.reviewer_counties], number)
    else:
        producer_ids = [m.producer_id for m in user.producer_memberships]
        ensure(bool(producer_ids))
        page = services.producer_page(db_session, producer_ids, number)
    may_record = user.is_admin or user.is_reviewer
    return render_template("oversight/sampling/list.html", page=page, may_record=may_record)


def _render_form(form: SampleForm, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    """The new sample form with ``status`` (and an error above it)."""
    return render_template("oversight/sampling/form.html", form=form, error=error), status


@bp.get("/new")
@reviewer_or_admin
def new() -> ResponseReturnValue:
    """The new sample form (``?lot=`` fills the lot code, e.g. from a batch's page)."""
    form = SampleForm(formdata=None)
    form.lot.data = (request.args.get("lot") or "")[:20]
    return _render_form(form)


@bp.post("/new")
@reviewer_or_admin
def create() -> ResponseReturnValue:
    """Record a sample (and its result when already known); a failed one holds the batch at once."""
    form = SampleForm()
    if not form.validate_on_submit():
        return _render_form(form, 400)
    batch = find_batch(db_session, form.lot.data)
    if batch is None:
        form.lot.errors = [str(UnknownLot())]
        return _render_form(form, 404)
    if not services.may_record(_user(), batch):
        return _render_form(form, 403, str(NotCountySampler()))
    upload = form.report.data
    key = None
    try:
        if isinstance(upload, FileStorage) and upload.filename:
            key = store_report(upload.stream, _upload_dir())
        sample = services.record_sample(db_session, _user(), batch, form.sample_input(), key)
        db_session.commit()
    except DomainError as exc:
        db_session.rollback()
        if key:
            delete_report(_upload_dir(), key)
        if isinstance(exc, ReportRefused):
            form.report.errors = [str(exc)]
            return _render_form(form, exc.status)
        return _render_form(form, exc.status, str(exc))
    except BaseException:
        if key:
            delete_report(_upload_dir(), key)
        raise
    _flash_result(sample)
    return redirect(url_for(".detail", sample_id=sample.id))


def _flash_result(sample: QualitySample) -> None:
    """Say what recording did: a failure's holds, or just that it is recorded."""
    if sample.result == SampleResult.FAILED:
        flash(
            _("Failed: the batch and every batch made from it are on hold. Decide on the recall."), "warning"
        )
    else:
        flash(_("Sample recorded."), "success")


def _seen(sample_id: int) -> QualitySample:
    """A sample: 404 if unknown, 403 unless the user may see it."""
    sample = get_or_404(QualitySample, sample_id)
    ensure(services.may_view(current_user, sample))
    return sample


def _handled(sample_id: int) -> QualitySample:
    """A sample: 404 if unknown, 403 unless the user records its batch's samples."""
    sample = get_or_404(QualitySample, sample_id)
    ensure(services.may_record(current_user, sample.batch))
    return sample


def _render(
    sample: QualitySample,
    status: int = 200,
    *,
    result_form: ResultForm | None = None,
    release_form: ReleaseForm | None = None,
    error: str | None = None,
) -> ResponseReturnValue:
    """A sample's page with ``status``, its forms (as sent, when refused) and an error."""
    may_record = services.may_record(current_user, sample.batch)
    return render_template(
        "oversight/sampling/detail.html",
        sample=sample,
        batch=sample.batch,
        may_record=may_record,
        result_form=result_form or ResultForm(formdata=None),
        release_form=release_form or ReleaseForm(formdata=None),
        holds=services.sampling_holds(db_session, sample) if may_record else [],
        history=services.batch_history(db_session, sample.batch),
        error=error,
    ), status


@bp.get("/<id:sample_id>")
@login_required
def detail(sample_id: int) -> ResponseReturnValue:
    """A sample: where, who, lab, items, report and result; the result form and, once failed, the recall."""
    return _render(_seen(sample_id))


@bp.post("/<id:sample_id>/result")
@reviewer_or_admin
def result(sample_id: int) -> ResponseReturnValue:
    """Record a pending sample's result (failed: the batch and its descendants are held at once)."""
    sample = _handled(sample_id)
    form = ResultForm()
    if not form.validate_on_submit():
        return _render(sample, 400, result_form=form)
    try:
        services.record_result(db_session, _user(), sample, SampleResult(form.result.data), form.note.data)
    except DomainError as exc:
        db_session.rollback()
        return _render(sample, exc.status, result_form=form, error=str(exc))
    db_session.commit()
    _flash_result(sample)
    return redirect(url_for(".detail", sample_id=sample.id))


@bp.post("/<id:sample_id>/release")
@reviewer_or_admin
def release(sample_id: int) -> ResponseReturnValue:
    """After a passed re-test, release the sampling holds of the batch and the batches made from it."""
    sample = _handled(sample_id)
    form = ReleaseForm()
    if not form.validate_on_submit():
        return _render(sample, 400, release_form=form)
    try:
        released = services.release_after_retest(db_session, _user(), sample, form.reason.data)
    except DomainError as exc:
        db_session.rollback()
        return _render(sample, exc.status, release_form=form, error=str(exc))
    db_session.commit()
    flash(
        _("Sampling holds released: %(lots)s.", lots=", ".join(h.batch.lot_code for h in released)), "success"
    )
    return redirect(url_for(".detail", sample_id=sample.id))


@bp.get("/<id:sample_id>/report.pdf")
@login_required
def report(sample_id: int) -> ResponseReturnValue:
    """The lab report (PDF) for the county's reviewers, administrators and the producer's members."""
    sample = _seen(sample_id)
    if not sample.report_key:
        abort(404)
    try:
        path = report_path(_upload_dir(), sample.report_key)
    except ReportRefused:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"sample-{sample.id}.pdf",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
