"""The buyer's orders: list, detail and tracking, confirming receipt, rating."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("orders", __name__, url_prefix="/orders")


def init_app(app: Flask) -> None:
    """Register this module's pages (and, later, its commands and signal receivers)."""
    app.register_blueprint(bp)
