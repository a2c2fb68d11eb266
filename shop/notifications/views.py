"""Each user's inbox of notifications."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


def init_app(app: Flask) -> None:
    """Register this module's pages (and, later, its commands and signal receivers)."""
    app.register_blueprint(bp)
