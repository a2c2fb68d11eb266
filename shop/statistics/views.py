"""Consumption-assistance dashboards: public results, county, producer; exports and the statistics API."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("stats", __name__, url_prefix="/stats")


def init_app(app: Flask) -> None:
    """Register these pages."""
    app.register_blueprint(bp)
