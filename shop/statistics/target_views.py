"""Admins set sales targets (county, partner relation, platform); reviewers see the help-sell list."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("targets", __name__, url_prefix="/admin/targets")


def init_app(app: Flask) -> None:
    """Register these pages."""
    app.register_blueprint(bp)
