"""The buyer's points page (balance, the rule, the newest entries) and the administrators' page of the
assistance actions that earn points. Load → check access → act (one service call) → commit once."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.db import db_session
from core.errors import DomainError
from promotions.points.actions import configure, settings
from promotions.points.forms import ACTION_LABELS, ActionForm
from promotions.points.models import AssistanceAction
from promotions.points.services import FEN_PER_POINT, VALID_DAYS, balance_of, history

bp = Blueprint("points", __name__, url_prefix="/promotions/points")


@bp.get("/")
@login_required
def mine() -> ResponseReturnValue:
    """The signed-in user's points."""
    user_id = current_user.id
    return render_template(
        "promotions/points/mine.html",
        balance=balance_of(db_session, user_id),
        entries=history(db_session, user_id),
        yuan_per_point=FEN_PER_POINT // 100,
        valid_days=VALID_DAYS,
    )


def _render_actions(form: ActionForm, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    """The actions page with their settings and the form."""
    return render_template(
        "promotions/points/actions.html",
        form=form,
        rows=settings(db_session),
        labels=ACTION_LABELS,
        error=error,
    ), status


@bp.route("/actions", methods=["GET", "POST"])
@login_required
def actions() -> ResponseReturnValue:
    """Which assistance actions earn points, and how many (administrators)."""
    if not current_user.is_admin:
        abort(403)
    form = ActionForm()
    if not form.is_submitted():
        return _render_actions(form)
    if not form.validate():
        return _render_actions(form, 400)
    user = current_user._get_current_object()
    action = AssistanceAction(form.action.data)
    try:
        configure(db_session, user, action, int(form.points.data or 0), bool(form.active.data))
    except DomainError as exc:
        db_session.rollback()
        return _render_actions(form, exc.status, str(exc))
    db_session.commit()
    flash(_("Points for “%(action)s” saved.", action=ACTION_LABELS[action]), "success")
    return redirect(url_for(".actions"))
