"""Pages for members of institutions."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from core.access import user_passes
from shop.procurement.labels import institution_role_label

bp = Blueprint("institution", __name__, url_prefix="/institution")


@bp.get("/")
@user_passes(lambda user: bool(getattr(user, "institution_memberships", [])))
def dashboard() -> ResponseReturnValue:
    """The institution member's start page: the institutions they act for and in which role."""
    return render_template("institution/dashboard.html", memberships=current_user.institution_memberships)


def init_app(app: Flask) -> None:
    """Register the institution pages and their label helpers for templates."""
    app.register_blueprint(bp)
    app.add_template_global(institution_role_label)
