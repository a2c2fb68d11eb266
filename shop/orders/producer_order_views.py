"""The producer's order queue: confirm offline payment, packing list, ship."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("producer_orders", __name__, url_prefix="/producer/orders")


def init_app(app: Flask) -> None:
    """Register this module's pages (and, later, its commands and signal receivers)."""
    app.register_blueprint(bp)
