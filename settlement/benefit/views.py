"""Benefit pages: a producer's members report what it paid to households, the county reviewer verifies.

The producer's pages are for its members only (403 for other signed-in users); the review desk for reviewers
and administrators, each report only for the reviewers of its producer's county (403 otherwise). Evidence is
downloaded by members and the county's reviewers only, never shown inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import is_member
from catalog.producers.models import Producer
from core.access import can_review, ensure, user_passes
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.models import User
from core.regions import counties
from core.transactions import run_unit_of_work
from settlement.benefit import services as benefit
from settlement.benefit.errors import BenefitFieldError
from settlement.benefit.evidence import StoredEvidence, delete_evidence, evidence_path, store_evidence
from settlement.benefit.figures import verified_benefit
from settlement.benefit.forms import BenefitForm, ConfirmForm, RejectForm
from settlement.benefit.models import BenefitMode, BenefitReport, HouseholdCategory

bp = Blueprint("benefit", __name__, url_prefix="/settlement")

#: Reviewers (of any county) and administrators; the county of each report is checked on the object.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)


def _user() -> User:
    """The signed-in user as a plain model object (for services)."""
    user: User = current_user._get_current_object()
    return user


def _upload_dir() -> Path:
    """Where uploads live (never under static/)."""
    return Path(current_app.config["UPLOAD_DIR"])


def _member_producer(producer_id: int) -> Producer:
    """A producer the signed-in user acts for: 404 if unknown, 403 if not theirs."""
    producer = get_or_404(Producer, producer_id)
    ensure(is_member(current_user, producer))
    return producer


def _grid() -> dict[str, Any]:
    """The modes and categories every benefit page lays out."""
    return {"modes": list(BenefitMode), "categories": list(HouseholdCategory)}


@bp.get("/producers/<id:producer_id>/benefit")
@login_required
def producer_reports(producer_id: int) -> ResponseReturnValue:
    """Members see every monthly report, its state and this year's verified figures."""
    producer = _member_producer(producer_id)
    year = shanghai_date().year
    return render_template(
        "settlement/benefit/reports.html",
        producer=producer,
        reports=benefit.reports_of(db_session, producer.id),
        verified=verified_benefit(db_session, producer.id, year),
        year=year,
        **_grid(),
    )


def _render_form(
    producer: Producer,
    form: BenefitForm,
    report: BenefitReport | None,
    status: int = 200,
    error: str | None = None,
) -> ResponseReturnValue:
    """The report form of one month (with the report on file, if any)."""
    return render_template(
        "settlement/benefit/form.html", producer=producer, form=form, report=report, error=error, **_grid()
    ), status


@bp.route("/producers/<id:producer_id>/benefit/report", methods=["GET", "POST"])
@login_required
def report_form(producer_id: int) -> ResponseReturnValue:
    """Members report one month's payments (``?year=&month=`` opens that month's report to change it)."""
    producer = _member_producer(producer_id)
    if request.method == "GET":
        today = shanghai_date()
        year = request.args.get("year", type=int) or today.year
        month = request.args.get("month", type=int) or today.month
        if not (benefit.FIRST_YEAR <= year <= today.year and 1 <= month <= 12):
            year, month = today.year, today.month
        report = benefit.find_report(db_session, producer.id, year, month)
        form = (
            BenefitForm.for_report(report)
            if report is not None
            else BenefitForm(formdata=None, data={"year": year, "month": month})
        )
        return _render_form(producer, form, report)
    form = BenefitForm()
    if not form.validate_on_submit():
        return _render_form(producer, form, None, 400)
    user, stored = _user(), None
    upload = form.evidence_upload()
    try:
        stored = store_evidence(upload.stream, _upload_dir()) if upload is not None else None
        saved: StoredEvidence | None = stored
        report = run_unit_of_work(
            lambda: benefit.submit_report(db_session, user, producer, form.benefit_input(), saved), db_session
        )
    except BenefitFieldError as exc:
        db_session.rollback()
        if stored is not None:
            delete_evidence(_upload_dir(), stored)
        form.show_error(exc)
        return _render_form(producer, form, None, exc.status)
    except DomainError as exc:
        db_session.rollback()
        if stored is not None:
            delete_evidence(_upload_dir(), stored)
        return _render_form(producer, form, None, exc.status, str(exc))
    except BaseException:
        if stored is not None:
            delete_evidence(_upload_dir(), stored)
        raise
    flash(
        _("Submitted: the county office checks the report for %(period)s.", period=report.period_label),
        "success",
    )
    return redirect(url_for(".producer_reports", producer_id=producer.id))


def _readable(report_id: int) -> BenefitReport:
    """A report: 404 if unknown, 403 unless the user acts for its producer or reviews its county."""
    report = get_or_404(BenefitReport, report_id)
    ensure(benefit.may_read(current_user, report))
    return report


@bp.get("/benefit/<id:report_id>/evidence")
@login_required
def evidence(report_id: int) -> ResponseReturnValue:
    """Download the evidence file: members and the county's reviewers only, never shown inline."""
    report = _readable(report_id)
    stored = StoredEvidence(report.evidence_key, report.evidence_mimetype)
    path = evidence_path(_upload_dir(), stored)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=stored.mimetype,
        as_attachment=True,
        download_name=f"benefit-{report.producer_id}-{report.period_label}.{stored.extension}",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/benefit/")
@reviewer_or_admin
def queue() -> ResponseReturnValue:
    """Benefit reports waiting for verification in the reviewer's counties (admins: all), oldest first."""
    scope = counties(db_session) if current_user.is_admin else list(current_user.reviewer_counties)
    page = benefit.review_queue(db_session, request.args.get("page", type=int) or 1, [c.id for c in scope])
    return render_template("settlement/benefit/queue.html", page=page)


def _reviewable(report_id: int) -> BenefitReport:
    """A report: 404 if unknown, 403 unless the user reviews its producer's county."""
    report = get_or_404(BenefitReport, report_id)
    ensure(can_review(current_user, report.producer.county))
    return report


def _render_review(
    report: BenefitReport, reject_form: RejectForm | None = None, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """The review page: the figures, the producer's recorded households, the evidence, history, decisions."""
    return render_template(
        "settlement/benefit/review.html",
        report=report,
        producer=report.producer,
        history=benefit.history(db_session, report),
        may_decide=benefit.may_review(current_user, report),
        confirm_form=ConfirmForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None),
        error=error,
        **_grid(),
    ), status


@bp.get("/benefit/<id:report_id>")
@reviewer_or_admin
def review(report_id: int) -> ResponseReturnValue:
    """One report with everything the reviewer checks it against."""
    return _render_review(_reviewable(report_id))


@bp.post("/benefit/<id:report_id>/verify")
@reviewer_or_admin
def verify(report_id: int) -> ResponseReturnValue:
    """The reviewer verifies the report: its figures are public from now on."""
    report = _reviewable(report_id)
    if not ConfirmForm().validate_on_submit():
        return _render_review(report, status=400)
    try:
        benefit.verify_report(db_session, _user(), report)
    except DomainError as exc:
        db_session.rollback()
        return _render_review(report, status=exc.status, error=str(exc))
    db_session.commit()
    flash(_("Verified: the figures are shown on the producer's public pages."), "success")
    return redirect(url_for(".review", report_id=report.id))


@bp.post("/benefit/<id:report_id>/reject")
@reviewer_or_admin
def reject(report_id: int) -> ResponseReturnValue:
    """The reviewer rejects the report with a reason."""
    report = _reviewable(report_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_review(report, form, 400)
    try:
        benefit.reject_report(db_session, _user(), report, form.reason.data)
    except BenefitFieldError as exc:
        db_session.rollback()
        form.reason.errors = [*form.reason.errors, str(exc)]
        return _render_review(report, form, exc.status)
    except DomainError as exc:
        db_session.rollback()
        return _render_review(report, form, exc.status, str(exc))
    db_session.commit()
    flash(_("Not verified; the producer has been told why."), "info")
    return redirect(url_for(".review", report_id=report.id))
