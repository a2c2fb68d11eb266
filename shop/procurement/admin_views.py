"""Administrators: institutions to verify and the decisions (verify, reject, suspend, reinstate)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from core.access import admin_required
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.pagination import paginate
from shop.procurement import institutions
from shop.procurement.institution_forms import DecisionForm, StatusFilterForm
from shop.procurement.labels import institution_status_label
from shop.procurement.models import Institution
from shop.procurement.views import bp


@bp.get("/admin/")
@admin_required
def admin_queue() -> ResponseReturnValue:
    """Every institution, those awaiting verification first; filtered by state."""
    form = StatusFilterForm(request.args)
    query = institutions.admin_queue(form.chosen())
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    return render_template(
        "institution/admin_queue.html", page=page, form=form, status=form.status.data or ""
    )


def _render_detail(institution: Institution, form: DecisionForm, status: int) -> ResponseReturnValue:
    """The detail page: submitted facts, members, the decision history and the decision form."""
    page = render_template(
        "institution/admin_detail.html",
        institution=institution,
        form=form,
        actions=institutions.allowed_decisions(institution),
        history=institutions.decision_history(db_session, institution),
    )
    return page, status


@bp.get("/admin/<int:institution_id>")
@admin_required
def admin_detail(institution_id: int) -> ResponseReturnValue:
    """Everything an institution submitted, for the administrator's decision."""
    institution = get_or_404(Institution, institution_id)
    return _render_detail(institution, DecisionForm(formdata=None), 200)


@bp.post("/admin/<int:institution_id>/decision")
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
