"""The county reviewer's desk: producers waiting for a decision in their counties, and the decisions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from catalog.labels import choices, producer_status_label
from catalog.producers import services as producers
from catalog.producers.forms import DecisionForm
from catalog.producers.models import Producer, ProducerStatus
from core.access import can_review, ensure, user_passes
from core.db import db_session, get_or_404
from core.errors import InvalidTransition
from core.models import Region
from core.pagination import paginate
from core.regions import counties

bp = Blueprint("review", __name__, url_prefix="/review")

#: Reviewers and administrators.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)


def _scope() -> list[Region]:
    """The counties the signed-in user reviews (every county for admins)."""
    return counties(db_session) if current_user.is_admin else list(current_user.reviewer_counties)


@bp.get("/")
@reviewer_or_admin
def dashboard_for_reviewer() -> ResponseReturnValue:
    """The reviewer's counties with how many producers wait for a decision in each (admins see all)."""
    scope = _scope()
    counts = db_session.execute(
        select(Producer.county_id, func.count(Producer.id))
        .where(Producer.status == ProducerStatus.PENDING, Producer.county_id.in_([c.id for c in scope]))
        .group_by(Producer.county_id)
    )
    pending: dict[int, int] = dict(counts.all())
    return render_template("catalog/review/dashboard.html", rows=[(c, pending.get(c.id, 0)) for c in scope])


@bp.get("/producers")
@reviewer_or_admin
def queue() -> ResponseReturnValue:
    """Producers of the reviewer's counties, filtered by state (default: awaiting review) and county."""
    scope = _scope()
    status = request.args.get("status", ProducerStatus.PENDING.value)
    county_code = request.args.get("county", "")
    chosen = [c for c in scope if c.code == county_code] or scope
    query = select(Producer).where(Producer.county_id.in_([c.id for c in chosen]))
    if status in {s.value for s in ProducerStatus}:
        query = query.where(Producer.status == ProducerStatus(status))
    else:
        status = ""
    query = query.order_by(Producer.created_at, Producer.id)
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    return render_template(
        "catalog/review/queue.html",
        page=page,
        scope=scope,
        status=status,
        county=county_code if len(chosen) == 1 and len(scope) > 1 else "",
        statuses=choices("producer_status"),
    )


def _render_producer(producer: Producer, form: DecisionForm, status: int) -> ResponseReturnValue:
    """The review page: every submitted fact, the decision history and the decision form."""
    page = render_template(
        "catalog/review/producer.html",
        producer=producer,
        form=form,
        actions=producers.allowed_decisions(producer),
        history=producers.decision_history(db_session, producer),
    )
    return page, status


@bp.get("/producers/<id:producer_id>")
@reviewer_or_admin
def producer(producer_id: int) -> ResponseReturnValue:
    """Everything a producer submitted, for the reviewer of its county (403 for other counties)."""
    found = get_or_404(Producer, producer_id)
    ensure(can_review(current_user, found.county))
    return _render_producer(found, DecisionForm(formdata=None), 200)


@bp.post("/producers/<id:producer_id>/decision")
@reviewer_or_admin
def decide(producer_id: int) -> ResponseReturnValue:
    """Approve, reject, suspend or reinstate a producer of the reviewer's county."""
    found = get_or_404(Producer, producer_id)
    ensure(can_review(current_user, found.county))
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_producer(found, form, 400)
    action = form.action.data or ""
    try:
        producers.decide_producer(db_session, current_user, found, action, form.reason.data)
    except producers.ProducerFieldError as exc:
        db_session.rollback()
        form.reason.errors = [str(exc)]
        return _render_producer(found, form, exc.status)
    except InvalidTransition as exc:
        db_session.rollback()
        form.form_errors.append(str(exc))
        return _render_producer(found, form, exc.status)
    db_session.commit()
    flash(
        _(
            "Decision saved: %(name)s is now “%(state)s”.",
            name=found.name,
            state=producer_status_label(found.status),
        ),
        "success",
    )
    return redirect(url_for("review.producer", producer_id=found.id))
