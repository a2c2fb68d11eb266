"""The buyer's points page: balance, the rule, the newest entries."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from core.db import db_session
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
