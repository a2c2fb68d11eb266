"""Requests for quotation: institutions ask producers, producers quote, a quote becomes a purchase order."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("rfq", __name__, url_prefix="/rfq")


def init_app(app: Flask) -> None:
    """Register these pages."""
    app.register_blueprint(bp)
