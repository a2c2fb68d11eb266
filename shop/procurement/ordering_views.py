"""Institution buyers' pages: bulk order grid, CSV upload, purchase orders, approval."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("procurement", __name__, url_prefix="/procurement")


def init_app(app: Flask) -> None:
    """Register these pages."""
    app.register_blueprint(bp)
