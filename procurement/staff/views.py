"""The consumer's opt-in: count my shop purchases toward my employer (职工个人)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.db import db_session
from procurement.institutions.forms import ConfirmForm, StaffLinkForm
from procurement.staff import services as staff

bp = Blueprint("staff", __name__, url_prefix="/institution")


def _render(form: StaffLinkForm, status: int) -> ResponseReturnValue:
    """The page: the current link (with the button to remove it) and the form to link or change."""
    page = render_template(
        "procurement/institutions/staff_link.html",
        link=staff.staff_link_of(db_session, current_user),
        form=form,
        unlink_form=ConfirmForm(formdata=None),
    )
    return page, status


@bp.get("/staff-link")
@login_required
def staff_link() -> ResponseReturnValue:
    """Show whether the signed-in user's purchases count toward an employer, and the form to change it."""
    return _render(StaffLinkForm(formdata=None), 200)


@bp.post("/staff-link")
@login_required
def link_employer() -> ResponseReturnValue:
    """Link the signed-in user's purchases to the verified institution with the given credit code."""
    form = StaffLinkForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        link = staff.link_staff(db_session, current_user, form.credit_code.data or "")
    except staff.StaffLinkError as exc:
        db_session.rollback()
        form.credit_code.errors = [str(exc)]
        return _render(form, exc.status)
    db_session.commit()
    flash(
        _(
            "Your purchases in the shop now count toward %(name)s as staff purchases.",
            name=link.institution.name,
        ),
        "success",
    )
    return redirect(url_for("staff.staff_link"))


@bp.post("/staff-link/remove")
@login_required
def unlink_employer() -> ResponseReturnValue:
    """Stop counting the signed-in user's later purchases toward their employer."""
    if staff.unlink_staff(db_session, current_user):
        db_session.commit()
        flash(_("Your purchases no longer count toward your employer."), "info")
    return redirect(url_for("staff.staff_link"))
