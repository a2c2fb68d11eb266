"""The county office's pages for assistance groups: the list and a new group, and each group's members,
pairings and targets. Each group opens only for the reviewers of the county it helps and administrators
(403); its progress page is ``stats.groups``."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from channels.assistance import services
from channels.assistance.errors import GroupFieldError
from channels.assistance.forms import GroupForm, MemberForm, PairingForm, TargetForm
from channels.assistance.models import AssistanceGroup, AssistanceGroupMember
from core.access import ensure, user_passes
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.models import User
from core.regions import get_region

bp = Blueprint("assistance", __name__, url_prefix="/assistance-groups")

#: Reviewers (of any county) and administrators; each group's county is checked on the object.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _scope() -> list[int] | None:
    return None if current_user.is_admin else [c.id for c in current_user.reviewer_counties]


def _render_index(form: GroupForm | None = None, status: int = 200) -> ResponseReturnValue:
    page = services.groups_page(db_session, _scope(), request.args.get("page", type=int) or 1)
    return render_template(
        "channels/assistance/index.html", page=page, form=form or GroupForm(formdata=None)
    ), status


@bp.get("/")
@reviewer_or_admin
def index() -> ResponseReturnValue:
    """The groups helping the reviewer's counties (administrators: all), and the form for a new one."""
    return _render_index()


def _field_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a domain error on its form field (or the form's first field)."""
    name = getattr(exc, "field", None)
    field = form[name] if name and name in form else next(iter(form))
    field.errors = [*field.errors, str(exc)]


@bp.post("/")
@reviewer_or_admin
def create() -> ResponseReturnValue:
    """Form a group for one of the reviewer's counties with its lead unit."""
    form = GroupForm()
    if not form.validate_on_submit():
        return _render_index(form, 400)
    county = get_region(db_session, form.county.data or "")
    if county is None or county.level.value != "county":
        form.county.errors = [*form.county.errors, _("Enter the code of a county, e.g. 500229.")]
        return _render_index(form, 400)
    try:
        group = services.create_group(db_session, _user(), county, form.name.data, form.lead_credit_code.data)
    except GroupFieldError as exc:
        db_session.rollback()
        _field_error(form, exc)
        return _render_index(form, exc.status)
    db_session.commit()
    flash(_("Group %(name)s formed.", name=group.name), "success")
    return redirect(url_for(".manage", group_id=group.id))


def _kept(group_id: int) -> AssistanceGroup:
    """A group: 404 if unknown, 403 unless the user keeps it."""
    group = get_or_404(AssistanceGroup, group_id)
    ensure(services.may_keep(current_user, group))
    return group


def _render_manage(group: AssistanceGroup, status: int = 200, **forms: FlaskForm) -> ResponseReturnValue:
    return render_template(
        "channels/assistance/manage.html",
        group=group,
        member_form=forms.get("member_form") or MemberForm(formdata=None),
        pairing_form=forms.get("pairing_form") or PairingForm(formdata=None),
        target_form=forms.get("target_form") or TargetForm(formdata=None, year=shanghai_date().year),
        remove_form=FlaskForm(formdata=None),
    ), status


@bp.get("/<id:group_id>/manage")
@reviewer_or_admin
def manage(group_id: int) -> ResponseReturnValue:
    """A group's members, pairings and targets, with the forms that change them."""
    return _render_manage(_kept(group_id))


@bp.post("/<id:group_id>/members")
@reviewer_or_admin
def add_member(group_id: int) -> ResponseReturnValue:
    """Add a member institution by its credit code."""
    group = _kept(group_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _render_manage(group, 400, member_form=form)
    try:
        member = services.add_member(db_session, _user(), group, form.credit_code.data)
    except GroupFieldError as exc:
        db_session.rollback()
        _field_error(form, exc)
        return _render_manage(_kept(group_id), exc.status, member_form=form)
    db_session.commit()
    flash(_("%(institution)s joined the group.", institution=member.institution.name), "success")
    return redirect(url_for(".manage", group_id=group.id))


@bp.post("/<id:group_id>/members/<id:member_id>/remove")
@reviewer_or_admin
def remove_member(group_id: int, member_id: int) -> ResponseReturnValue:
    """Take a member out of the group (never its lead)."""
    group = _kept(group_id)
    member = get_or_404(AssistanceGroupMember, member_id)
    if member.group_id != group.id or not FlaskForm().validate_on_submit():
        return _render_manage(group, 404 if member.group_id != group.id else 400)
    try:
        services.remove_member(db_session, _user(), group, member)
    except DomainError as exc:
        db_session.rollback()
        flash(str(exc), "error")
        return _render_manage(_kept(group_id), exc.status)
    db_session.commit()
    flash(_("The member left the group."), "success")
    return redirect(url_for(".manage", group_id=group.id))


@bp.post("/<id:group_id>/pairings")
@reviewer_or_admin
def pair(group_id: int) -> ResponseReturnValue:
    """Pair the group with a town or village of its county."""
    group = _kept(group_id)
    form = PairingForm()
    if not form.validate_on_submit():
        return _render_manage(group, 400, pairing_form=form)
    try:
        services.pair_region(db_session, _user(), group, get_region(db_session, form.region_code.data or ""))
    except GroupFieldError as exc:
        db_session.rollback()
        _field_error(form, exc)
        return _render_manage(_kept(group_id), exc.status, pairing_form=form)
    db_session.commit()
    flash(_("Pairing saved."), "success")
    return redirect(url_for(".manage", group_id=group.id))


@bp.post("/<id:group_id>/targets")
@reviewer_or_admin
def target(group_id: int) -> ResponseReturnValue:
    """Set the group's target for a year."""
    group = _kept(group_id)
    form = TargetForm()
    if not form.validate_on_submit():
        return _render_manage(group, 400, target_form=form)
    try:
        services.set_target(db_session, _user(), group, int(form.year.data), form.amount_fen())
    except GroupFieldError as exc:
        db_session.rollback()
        _field_error(form, exc)
        return _render_manage(_kept(group_id), exc.status, target_form=form)
    db_session.commit()
    flash(_("Target saved."), "success")
    return redirect(url_for(".manage", group_id=group.id))
