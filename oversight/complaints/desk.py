"""The county office's complaint desk: the reviewer's counties' complaints by their next deadline (overdue
ones marked), acknowledge, decide. Administrators see every county's, escalated ones on their own tab.

Each complaint opens only for the reviewers of its county and administrators, never for someone who acts
for the producer it is about (403). Photos are served from here only, never inline on a public page.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from catalog.images import ImageError
from core.access import ensure, user_passes
from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.models import User
from oversight.complaints import review
from oversight.complaints.errors import ComplaintFieldError
from oversight.complaints.forms import ConfirmForm, DecideForm
from oversight.complaints.models import Complaint, ComplaintOutcome
from oversight.complaints.photos import photo_path

bp = Blueprint("complaint_desk", __name__, url_prefix="/oversight/desk")

#: Reviewers (of any county) and administrators; each complaint's county is checked on the object.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.get("/")
@reviewer_or_admin
def queue() -> ResponseReturnValue:
    """Complaints of the reviewer's counties (administrators: all) by next deadline; ``?tab=`` open,
    escalated or decided."""
    tab = request.args.get("tab") or "open"
    tab = tab if tab in review.TABS else "open"
    scope = None if current_user.is_admin else [c.id for c in current_user.reviewer_counties]
    page = review.desk_page(db_session, scope, tab, request.args.get("page", type=int) or 1)
    return render_template(
        "oversight/complaints/desk.html", page=page, tab=tab, tabs=review.TABS, now=utcnow()
    )


def _handled(complaint_id: int) -> Complaint:
    """A complaint: 404 if unknown, 403 unless the user handles its county's complaints."""
    complaint = get_or_404(Complaint, complaint_id)
    ensure(review.may_handle(current_user, complaint))
    return complaint


def _render(
    complaint: Complaint, decide_form: DecideForm | None = None, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    return render_template(
        "oversight/complaints/detail.html",
        complaint=complaint,
        history=review.history(db_session, complaint),
        confirm_form=ConfirmForm(formdata=None),
        decide_form=decide_form or DecideForm(formdata=None),
        now=utcnow(),
        recall=ComplaintOutcome.RECALL,
        error=error,
    ), status


@bp.get("/<id:complaint_id>")
@reviewer_or_admin
def detail(complaint_id: int) -> ResponseReturnValue:
    """One complaint with its subject, photos, contact, deadlines, history and the decisions."""
    return _render(_handled(complaint_id))


@bp.post("/<id:complaint_id>/acknowledge")
@reviewer_or_admin
def acknowledge(complaint_id: int) -> ResponseReturnValue:
    """The county office takes the complaint up: the decision is due next."""
    complaint = _handled(complaint_id)
    if not ConfirmForm().validate_on_submit():
        return _render(complaint, status=400)
    try:
        review.acknowledge(db_session, _user(), complaint)
    except DomainError as exc:
        db_session.rollback()
        return _render(complaint, status=exc.status, error=str(exc))
    db_session.commit()
    flash(_("Acknowledged: the reporter has been told."), "success")
    return redirect(url_for(".detail", complaint_id=complaint.id))


@bp.post("/<id:complaint_id>/decide")
@reviewer_or_admin
def decide(complaint_id: int) -> ResponseReturnValue:
    """The county office decides with an outcome and a reason."""
    complaint = _handled(complaint_id)
    form = DecideForm()
    if not form.validate_on_submit():
        return _render(complaint, form, 400)
    try:
        review.decide(db_session, _user(), complaint, form.chosen_outcome, form.reason.data)
    except ComplaintFieldError as exc:
        db_session.rollback()
        form.reason.errors = [*form.reason.errors, str(exc)]
        return _render(complaint, form, exc.status)
    except DomainError as exc:
        db_session.rollback()
        return _render(complaint, form, exc.status, str(exc))
    db_session.commit()
    flash(_("Decided: the reporter has been told."), "success")
    return redirect(url_for(".detail", complaint_id=complaint.id))


@bp.get("/<id:complaint_id>/photos/<id:number>")
@reviewer_or_admin
def photo(complaint_id: int, number: int) -> ResponseReturnValue:
    """One of the complaint's photos (1–3), for the county's reviewers and administrators."""
    complaint = _handled(complaint_id)
    keys = complaint.photo_keys or []
    if not 1 <= number <= len(keys):
        abort(404)
    try:
        path = photo_path(Path(current_app.config["UPLOAD_DIR"]), keys[number - 1])
    except ImageError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/webp", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
