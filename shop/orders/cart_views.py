"""The cart (session for visitors, account for signed-in buyers) and checkout."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("cart", __name__)


def init_app(app: Flask) -> None:
    """Register this module's pages (and, later, its commands and signal receivers)."""
    app.register_blueprint(bp)
