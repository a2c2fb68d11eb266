"""Pages for producers (their workbench) and county reviewers (their queue)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from catalog.access import producer_member_required, producers_of
from catalog.labels import producer_kind_label, producer_status_label
from catalog.models import Producer, ProducerStatus
from core.access import user_passes
from core.db import db_session
from core.regions import counties

producer_bp = Blueprint("producer", __name__, url_prefix="/producer")
review_bp = Blueprint("review", __name__, url_prefix="/review")


@producer_bp.get("/")
@producer_member_required
def dashboard() -> ResponseReturnValue:
    """The producer member's workbench: the producers they act for and their review state."""
    return render_template("producer/dashboard.html", producers=producers_of(current_user))


@review_bp.get("/")
@user_passes(lambda user: user.is_reviewer or user.is_admin)
def dashboard_for_reviewer() -> ResponseReturnValue:
    """The reviewer's counties with how many producers wait for a decision in each (admins see all)."""
    scope = counties(db_session) if current_user.is_admin else current_user.reviewer_counties
    counts = db_session.execute(
        select(Producer.county_id, func.count(Producer.id))
        .where(Producer.status == ProducerStatus.PENDING, Producer.county_id.in_([c.id for c in scope]))
        .group_by(Producer.county_id)
    )
    pending: dict[int, int] = dict(counts.all())  # type: ignore[arg-type]
    return render_template("review/dashboard.html", rows=[(c, pending.get(c.id, 0)) for c in scope])


def init_app(app: Flask) -> None:
    """Register the catalog's pages and its label helpers for templates."""
    app.register_blueprint(producer_bp)
    app.register_blueprint(review_bp)
    app.add_template_global(producer_status_label)
    app.add_template_global(producer_kind_label)
