"""Institution pages: registration; members, roles, settings and the annual plan; the administrator's desk."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.access import admin_required, ensure
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.models import User
from core.pagination import paginate
from procurement.institutions import members, plans
from procurement.institutions import services as institutions
from procurement.institutions.forms import (
    ConfirmForm,
    DecisionForm,
    MemberForm,
    PlanForm,
    RegistrationForm,
    SettingsForm,
    StatusFilterForm,
)
from procurement.institutions.members import is_member_of
from procurement.institutions.models import Institution, InstitutionRole
from procurement.institutions.services import InstitutionFieldError
from procurement.labels import institution_status_label
from procurement.ordering import queries as ordering_queries

bp = Blueprint("institution", __name__, url_prefix="/institution")


def signed_in_user() -> User:
    """The signed-in user itself (not the proxy), for services that attach it to new rows."""
    user: User = current_user._get_current_object()
    return user


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register() -> ResponseReturnValue:
    """Register an institution for verification; the signed-in user becomes its buyer and approver."""
    form = RegistrationForm()
    form.load_regions(db_session)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            institution = institutions.register_institution(db_session, signed_in_user(), form.registration())
        except institutions.InstitutionFieldError as exc:
            db_session.rollback()
            form.show_error(exc)
            status = exc.status
        else:
            db_session.commit()
            flash(
                _(
                    "%(name)s is registered and awaits verification by an administrator.",
                    name=institution.name,
                ),
                "success",
            )
            return redirect(url_for("progress.dashboard"))
    return render_template("procurement/institutions/register.html", form=form), status


def _institution(institution_id: int, *roles: InstitutionRole) -> Institution:
    """Load an institution the signed-in user acts for (in one of ``roles``): else 404 or 403."""
    institution = get_or_404(Institution, institution_id)
    ensure(is_member_of(current_user, institution, *roles))
    return institution


def _render_members(institution: Institution, form: MemberForm, status: int) -> ResponseReturnValue:
    """The members page: people and their roles, and (for approvers) the form to add someone."""
    page = render_template(
        "procurement/institutions/members.html",
        institution=institution,
        people=members.members_by_user(institution),
        form=form,
        remove_form=ConfirmForm(formdata=None),
        is_approver=is_member_of(current_user, institution, InstitutionRole.APPROVER),
        sole_approver=members.sole_approver_who_buys(institution),
    )
    return page, status


@bp.get("/<id:institution_id>/members")
@login_required
def members_page(institution_id: int) -> ResponseReturnValue:
    """Who acts for the institution and in which roles (every member may look)."""
    institution = _institution(institution_id)
    return _render_members(institution, MemberForm(formdata=None), 200)


@bp.post("/<id:institution_id>/members")
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


@bp.post("/<id:institution_id>/members/<id:member_id>/remove")
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


@bp.route("/<id:institution_id>/settings", methods=["GET", "POST"])
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
    return render_template(
        "procurement/institutions/settings.html", institution=institution, form=form
    ), status


def _year() -> int:
    """The plan year asked for in the query string, else the current Asia/Shanghai year."""
    year = request.args.get("year", type=int)
    return year if year in plans.plan_years() else shanghai_date().year


@bp.route("/<id:institution_id>/plan", methods=["GET", "POST"])
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
        "procurement/institutions/plan.html",
        institution=institution,
        form=form,
        plan=saved,
        featured=featured,
        year=year,
        years=plans.plan_years(),
        editable=editable,
    )
    return page, status


@bp.get("/admin/")
@admin_required
def admin_queue() -> ResponseReturnValue:
    """Every institution, those awaiting verification first; filtered by state."""
    form = StatusFilterForm(request.args)
    query = institutions.admin_queue(form.chosen())
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    return render_template(
        "procurement/institutions/admin_queue.html", page=page, form=form, status=form.status.data or ""
    )


def _render_detail(institution: Institution, form: DecisionForm, status: int) -> ResponseReturnValue:
    """The detail page: submitted facts, members, the decision history and the decision form."""
    page = render_template(
        "procurement/institutions/admin_detail.html",
        institution=institution,
        form=form,
        actions=institutions.allowed_decisions(institution),
        history=institutions.decision_history(db_session, institution),
        open_purchases=ordering_queries.open_purchases(db_session, institution),
    )
    return page, status


@bp.get("/admin/<id:institution_id>")
@admin_required
def admin_detail(institution_id: int) -> ResponseReturnValue:
    """Everything an institution submitted, for the administrator's decision."""
    institution = get_or_404(Institution, institution_id)
    return _render_detail(institution, DecisionForm(formdata=None), 200)


@bp.post("/admin/<id:institution_id>/decision")
@admin_required
def admin_decide(institution_id: int) -> ResponseReturnValue:
    """Verify, reject, suspend or reinstate an institution (audited; its registrant is told)."""
    institution = get_or_404(Institution, institution_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_detail(institution, form, 400)
    try:
        institutions.decide_institution(
            db_session, current_user, institution, form.action.data or "", form.reason.data
        )
    except institutions.InstitutionFieldError as exc:
        db_session.rollback()
        form.reason.errors = [str(exc)]
        return _render_detail(institution, form, exc.status)
    except DomainError as exc:
        db_session.rollback()
        form.form_errors.append(str(exc))
        return _render_detail(institution, form, exc.status)
    db_session.commit()
    flash(
        _(
            "Decision saved: %(name)s is now “%(state)s”.",
            name=institution.name,
            state=institution_status_label(institution.status),
        ),
        "success",
    )
    return redirect(url_for("institution.admin_detail", institution_id=institution.id))
