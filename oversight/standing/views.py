"""The county office's standing desk (a county's producers, lowest score first; assess again; decide) and
each producer's own page (its score, the reasons and the decided level).

A standing opens for the reviewers of the producer's county and administrators, and for the producer's own
members (read only); never for another producer or an ordinary buyer (403).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import is_member
from catalog.producers.models import Producer
from core.access import ensure, user_passes
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.models import User
from oversight.standing import services
from oversight.standing.assessment import (
    LEVEL_FLOORS,
    MIN_ORDERS,
    MIN_RATINGS,
    SHIP_HOURS,
    UPHELD_PRICE_ALERT_POINTS,
)
from oversight.standing.forms import ConfirmForm, StandingForm

bp = Blueprint("standing", __name__, url_prefix="/oversight/standing")

#: Reviewers (of any county) and administrators; each producer's county is checked on the object.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.get("/")
@reviewer_or_admin
def desk() -> ResponseReturnValue:
    """The assessed producers of the reviewer's counties (administrators: all), lowest score first."""
    scope = None if current_user.is_admin else [c.id for c in current_user.reviewer_counties]
    page = services.desk_page(db_session, scope, request.args.get("page", type=int) or 1)
    return render_template("oversight/standing/desk.html", page=page)


def _decided(producer_id: int) -> Producer:
    """A producer: 404 if unknown, 403 unless the user decides its standing."""
    producer = get_or_404(Producer, producer_id)
    ensure(services.may_decide(current_user, producer))
    return producer


def _render(
    producer: Producer, form: StandingForm | None = None, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    return render_template(
        "oversight/standing/detail.html",
        producer=producer,
        standing=services.standing_of(db_session, producer.id),
        form=form or StandingForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        may_decide=services.may_decide(current_user, producer),
        rule={
            "floors": LEVEL_FLOORS,
            "min_orders": MIN_ORDERS,
            "min_ratings": MIN_RATINGS,
            "hours": SHIP_HOURS,
            "price_alert_points": UPHELD_PRICE_ALERT_POINTS,
        },
        error=error,
    ), status


@bp.get("/producers/<id:producer_id>")
@login_required
def producer_page(producer_id: int) -> ResponseReturnValue:
    """A producer's standing: score, reasons, decided level; the decision form for its county office."""
    producer = get_or_404(Producer, producer_id)
    ensure(services.may_decide(current_user, producer) or is_member(current_user, producer))
    return _render(producer)


@bp.post("/producers/<id:producer_id>/assess")
@reviewer_or_admin
def assess(producer_id: int) -> ResponseReturnValue:
    """Assess the producer again now (its score and reasons; the decided level stays)."""
    producer = _decided(producer_id)
    if not ConfirmForm().validate_on_submit():
        return _render(producer, status=400)
    services.refresh(db_session, producer)
    db_session.commit()
    flash(_("Assessed again."), "success")
    return redirect(url_for(".producer_page", producer_id=producer.id))


@bp.post("/producers/<id:producer_id>/decide")
@reviewer_or_admin
def decide(producer_id: int) -> ResponseReturnValue:
    """The county office decides the producer's standing with a reason."""
    producer = _decided(producer_id)
    form = StandingForm()
    if not form.validate_on_submit():
        return _render(producer, form, 400)
    try:
        services.decide(db_session, _user(), producer, form.chosen_level, form.reason.data)
    except DomainError as exc:
        db_session.rollback()
        return _render(producer, form, exc.status, str(exc))
    db_session.commit()
    flash(_("Decided: the producer's members have been told."), "success")
    return redirect(url_for(".producer_page", producer_id=producer.id))
