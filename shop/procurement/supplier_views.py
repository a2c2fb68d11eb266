"""Producers' pages for purchase orders: confirm, adjust or decline lines, ship with batches, packing list."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("supplier", __name__, url_prefix="/producer/procurement")


def init_app(app: Flask) -> None:
    """Register these pages."""
    app.register_blueprint(bp)
