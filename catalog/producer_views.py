"""The producer's workbench: registration, profile, members and invitations."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from catalog.access import producer_member_required, producers_of

bp = Blueprint("producer", __name__, url_prefix="/producer")


@bp.get("/")
@producer_member_required
def dashboard() -> ResponseReturnValue:
    """The producer member's workbench: the producers they act for and their review state."""
    return render_template("producer/dashboard.html", producers=producers_of(current_user))
