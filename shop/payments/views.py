"""Paying a checkout (Stripe or offline), the Stripe webhook, and refunds."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("payments", __name__, url_prefix="/payments")


def init_app(app: Flask) -> None:
    """Register this module's pages (and, later, its commands and signal receivers)."""
    app.register_blueprint(bp)
