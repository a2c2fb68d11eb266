"""Wiring of the traceability blueprints and commands into the app."""

from __future__ import annotations

from flask import Flask

from catalog.signals import collect_stock
from traceability import (
    batch_views,
    cli,
    label_views,  # noqa: F401  (adds its routes to batch_views.bp)
    recall_views,  # noqa: F401  (adds its routes to batch_views.bp)
    trace_views,
)
from traceability.stock import stock_for_products


def init_app(app: Flask) -> None:
    """Register the traceability pages and the ``publish-digests`` command."""
    app.register_blueprint(trace_views.bp)
    app.register_blueprint(batch_views.bp)
    cli.init_app(app)
    # The catalog asks, through a signal, which batches are in stock; connecting twice is harmless.
    collect_stock.connect(stock_for_products)
