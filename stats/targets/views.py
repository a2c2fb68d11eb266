"""Admins set sales targets (county, partner relation, platform); reviewers see the help-sell list.

Also registers the ``flask stats`` commands and the receiver that writes procurement receipts to the ledger.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from core.access import admin_required, user_passes
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.models import Region
from core.regions import counties, get_region
from procurement.institutions.models import Institution
from stats.models import Target, TargetScope
from stats.targets.forms import TARGET_SCOPE_LABELS, TargetForm
from stats.targets.services import (
    InvalidTarget,
    TargetData,
    create_target,
    delete_target,
    is_paired,
    progress_of_targets,
    targets_in_order,
    update_target,
)
from stats.targets.warnings import current_thresholds, expiring_batches, falling_products

bp = Blueprint("targets", __name__, url_prefix="/admin/targets")

#: Reviewers (for their counties) and admins (everywhere).
reviewer_or_admin = user_passes(lambda user: user.is_admin or user.is_reviewer)


def _prepare(form: TargetForm) -> None:
    """Fill the county and institution choices."""
    none = SelectChoice("", _("None"))
    form.county.choices = [none] + [SelectChoice(c.code or "", c.path_name()) for c in counties(db_session)]
    institutions = db_session.scalars(select(Institution).order_by(Institution.name))
    form.institution.choices = [none] + [SelectChoice(str(i.id), i.name) for i in institutions]


def _data(form: TargetForm) -> TargetData:
    """The validated form as service input."""
    county = get_region(db_session, form.county.data) if form.county.data else None
    institution_id = form.institution.data or ""
    institution = db_session.get(Institution, int(institution_id)) if institution_id.isdigit() else None
    return TargetData(
        scope=TargetScope(form.scope.data),
        start_year=int(form.start_year.data or 0),
        end_year=int(form.end_year.data or 0),
        amount_fen=form.amount.fen,
        county=county,
        institution=institution,
        note=form.note.data,
    )


def _yuan(fen: int) -> str:
    """Fen as a yuan amount for the form (``30000000000`` → ``300000000``, ``1250`` → ``12.50``)."""
    yuan, rest = divmod(fen, 100)
    return f"{yuan}.{rest:02d}" if rest else str(yuan)


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    """Every target with its computed progress (a few queries, whatever the number of targets)."""
    targets = targets_in_order(db_session)
    progress = progress_of_targets(db_session, targets)
    county_ids = {t.county_id for t in targets if t.county_id is not None}
    regions = {r.id: r for r in db_session.scalars(select(Region).where(Region.id.in_(county_ids)))}
    partners = {t.institution_id for t in targets if t.institution_id is not None}
    institutions = {
        i.id: i
        for i in db_session.scalars(
            select(Institution)
            .where(Institution.id.in_(partners))
            .options(selectinload(Institution.paired_counties))
        )
    }
    rows = []
    for target in targets:
        counted, goal = progress[target.id]
        rows.append(
            {
                "target": target,
                "county": regions.get(target.county_id) if target.county_id else None,
                "institution": institutions.get(target.institution_id) if target.institution_id else None,
                "counted": counted,
                "goal": goal,
                "percent": max(counted, 0) * 100 // goal,
                "shown": min(max(counted, 0), goal),
                "unpaired": target.scope is TargetScope.PARTNER
                and not is_paired(target, institutions.get(target.institution_id or 0)),
            }
        )
    return render_template("stats/targets/index.html", rows=rows, scope_labels=TARGET_SCOPE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    """Set a new target."""
    form = TargetForm()
    _prepare(form)
    error = None
    if form.validate_on_submit():
        try:
            create_target(db_session, current_user, _data(form))
        except InvalidTarget as exc:
            error = str(exc)
        else:
            db_session.commit()
            flash(_("Target saved."), "success")
            return redirect(url_for("targets.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("stats/targets/form.html", form=form, target=None, error=error), status


@bp.route("/<id:target_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(target_id: int) -> ResponseReturnValue:
    """Change a target."""
    target = get_or_404(Target, target_id)
    form = TargetForm()
    _prepare(form)
    if request.method == "GET":
        county = db_session.get(Region, target.county_id) if target.county_id else None
        form.scope.data = target.scope.value
        form.county.data = county.code if county else ""
        form.institution.data = str(target.institution_id or "")
        form.start_year.data, form.end_year.data = target.start_year, target.end_year
        form.amount.data = _yuan(target.amount_fen)
        form.note.data = target.note
    error = None
    if form.validate_on_submit():
        try:
            update_target(db_session, current_user, target, _data(form))
        except InvalidTarget as exc:
            error = str(exc)
        else:
            db_session.commit()
            flash(_("Target saved."), "success")
            return redirect(url_for("targets.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("stats/targets/form.html", form=form, target=target, error=error), status


@bp.post("/<id:target_id>/delete")
@admin_required
def delete(target_id: int) -> ResponseReturnValue:
    """Delete a target."""
    target = get_or_404(Target, target_id)
    delete_target(db_session, current_user, target)
    db_session.commit()
    flash(_("Target deleted."), "success")
    return redirect(url_for("targets.index"))


@bp.get("/help-sell")
@reviewer_or_admin
def help_sell() -> ResponseReturnValue:
    """Batches near their best-before date with much unsold, and products whose sales fell sharply."""
    allowed = None if current_user.is_admin else list(current_user.reviewer_counties)
    choices = allowed if allowed is not None else counties(db_session)
    code = request.args.get("county", "")
    chosen: list[Any] | None = allowed
    if code:
        county = next((c for c in choices if c.code == code), None)
        if county is None:
            abort(404)
        chosen = [county]
    today, limits = shanghai_date(), current_thresholds()
    return render_template(
        "stats/targets/help_sell.html",
        batches=expiring_batches(db_session, today, chosen, limits),
        drops=falling_products(db_session, today, chosen, limits),
        limits=limits,
        counties=choices,
        county=code,
    )
