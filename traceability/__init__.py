"""Batches, events and QR codes: the batch is the unit of truth. Builds on core and catalog."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the traceability pages, ``publish-digests`` and the catalog's stock question."""
    from catalog.signals import collect_stock
    from traceability import batch_views, cli, label_views, recall_views, trace_views
    from traceability.stock import stock_for_products

    for module in (trace_views, batch_views, label_views, recall_views):
        app.register_blueprint(module.bp)
    app.cli.add_command(cli.publish_digests_command)
    # The catalog asks, through a signal, which batches are in stock; connecting twice is harmless.
    collect_stock.connect(stock_for_products)
