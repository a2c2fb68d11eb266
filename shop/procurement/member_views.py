"""Institution pages for its members: members and roles, settings, and the annual plan."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.access import ensure
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.errors import DomainError
from shop.procurement import members, plans
from shop.procurement.institution_forms import ConfirmForm, MemberForm, PlanForm, SettingsForm
from shop.procurement.institutions import InstitutionFieldError
from shop.procurement.members import is_member_of
from shop.procurement.models import Institution, InstitutionRole
from shop.procurement.views import bp


def _institution(institution_id: int, *roles: InstitutionRole) -> Institution:
    """Load an institution the signed-in user acts for (in one of ``roles``): else 404 or 403."""
    institution = get_or_404(Institution, institution_id)
    ensure(is_member_of(current_user, institution, *roles))
    return institution


def _render_members(institution: Institution, form: MemberForm, status: int) -> ResponseReturnValue:
    """The members page: people and their roles, and (for approvers) the form to add someone."""
    page = render_template(
        "institution/members.html",
        institution=institution,
        people=members.members_by_user(institution),
        form=form,
        remove_form=ConfirmForm(formdata=None),
        is_approver=is_member_of(current_user, institution, InstitutionRole.APPROVER),
        sole_approver=members.sole_approver_who_buys(institution),
    )
    return page, status


@bp.get("/<int:institution_id>/members")
@login_required
def members_page(institution_id: int) -> ResponseReturnValue:
    """Who acts for the institution and in which roles (every member may look)."""
    institution = _institution(institution_id)
    return _render_members(institution, MemberForm(formdata=None), 200)


@bp.post("/<int:institution_id>/members")
@login_required
def add_member(institution_id: int) -> ResponseReturnValue:
    """An approver gives an existing account one or more roles."""
    institution = _institution(institution_id, InstitutionRole.APPROVER)
    form = MemberForm()
    if not form.validate_on_submit():
        return _render_members(institution, form, 400)
    try:
        added = members.add_member(
            db_session, current_user, institution, form.email.data or "", form.roles.data or []
        )
    except DomainError as exc:
        db_session.rollback()
        form.email.errors = [str(exc)]
        return _render_members(institution, form, exc.status)
    db_session.commit()
    flash(_("%(name)s was added.", name=added[0].user.display_name), "success")
    return redirect(url_for("institution.members_page", institution_id=institution.id))


@bp.post("/<int:institution_id>/members/<int:member_id>/remove")
@login_required
def remove_member(institution_id: int, member_id: int) -> ResponseReturnValue:
    """An approver takes one role away from someone (never the last approver's)."""
    institution = _institution(institution_id, InstitutionRole.APPROVER)
    try:
        removed = members.remove_member_role(db_session, current_user, institution, member_id)
    except members.MemberError as exc:
        db_session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("institution.members_page", institution_id=institution.id))
    db_session.commit()
    flash(_("The role was removed from %(name)s.", name=removed.user.display_name), "success")
    return redirect(url_for("institution.members_page", institution_id=institution.id))


@bp.route("/<int:institution_id>/settings", methods=["GET", "POST"])
@login_required
def settings(institution_id: int) -> ResponseReturnValue:
    """Approvers set the spending limit, the approval rule and the paired counties."""
    institution = _institution(institution_id, InstitutionRole.APPROVER)
    form = SettingsForm(data=SettingsForm.data_of(institution))
    form.load_regions(db_session)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            members.update_settings(db_session, current_user, institution, form.settings())
        except InstitutionFieldError as exc:
            db_session.rollback()
            form.show_error(exc)
            status = exc.status
        else:
            db_session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("institution.settings", institution_id=institution.id))
    return render_template("institution/settings.html", institution=institution, form=form), status


def _year() -> int:
    """The plan year asked for in the query string, else the current Asia/Shanghai year."""
    year = request.args.get("year", type=int)
    return year if year in plans.plan_years() else shanghai_date().year


@bp.route("/<int:institution_id>/plan", methods=["GET", "POST"])
@login_required
def plan(institution_id: int) -> ResponseReturnValue:
    """The year's plan: every member sees it; approvers and finance staff edit it."""
    institution = _institution(institution_id)
    year = _year()
    editable = plans.can_edit_plan(current_user, institution)
    saved = plans.plan_for(db_session, institution, year)
    featured = plans.featured_counties(db_session, saved)
    form = PlanForm(data=PlanForm.data_of(saved, featured))
    form.load_regions(db_session)
    status = 200
    if request.method == "POST":
        ensure(editable)
        status = 400
        if form.validate_on_submit():
            try:
                plans.save_plan(db_session, current_user, institution, year, form.plan())
            except InstitutionFieldError as exc:
                db_session.rollback()
                form.show_error(exc)
                status = exc.status
            else:
                db_session.commit()
                flash(_("The plan for %(year)s is saved.", year=year), "success")
                return redirect(url_for("institution.plan", institution_id=institution.id, year=year))
    page = render_template(
        "institution/plan.html",
        institution=institution,
        form=form,
        plan=saved,
        featured=featured,
        year=year,
        years=plans.plan_years(),
        editable=editable,
    )
    return page, status
