"""Institutions' pages for one producer's delivery: receipt line by line, invoice, settlement."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("delivery", __name__, url_prefix="/procurement/deliveries")


def init_app(app: Flask) -> None:
    """Register these pages."""
    app.register_blueprint(bp)
