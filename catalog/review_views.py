"""The county reviewer's desk: producers waiting for a decision in their counties."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from catalog.models import Producer, ProducerStatus
from core.access import user_passes
from core.db import db_session
from core.regions import counties

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("/")
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
