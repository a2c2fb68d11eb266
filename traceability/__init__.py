"""Batches, events and QR codes: the batch is the unit of truth. Builds on core and catalog."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the traceability pages, ``publish-digests`` and the catalog's stock and workbench
    questions."""
    from catalog.signals import collect_stock, collect_workbench_tasks
    from traceability import cli
    from traceability.batches import receivers as batch_receivers
    from traceability.batches import views as batch_views
    from traceability.labels import views as label_views
    from traceability.recall import views as recall_views
    from traceability.shelf import track_stock
    from traceability.stock import stock_for_products
    from traceability.trace import views as trace_views

    for module in (trace_views, batch_views, label_views, recall_views):
        app.register_blueprint(module.bp)
    app.cli.add_command(cli.publish_digests_command)
    app.cli.add_command(cli.shelf_command)
    # every flush that writes a batch tells the catalog how long its product's stock lasts
    track_stock()
    # The catalog asks, through a signal, which batches are in stock; connecting twice is harmless.
    collect_stock.connect(stock_for_products)
    # ... and what waits on the producer's workbench (batches near best-before, recalls)
    collect_workbench_tasks.connect(batch_receivers.workbench_tasks)
