"""Batches, events and QR codes: the batch is the unit of truth. Builds on core and catalog."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the traceability pages, the EPCIS interface, ``publish-digests``, ``epcis``, the catalog's
    stock and workbench questions, the cold chain's receiver of captured sensor readings and the partners'
    recall webhooks."""
    from catalog.signals import collect_stock, collect_workbench_tasks
    from traceability import cli
    from traceability.batches import receivers as batch_receivers
    from traceability.batches import views as batch_views
    from traceability.coldchain import receivers as cold_chain_receivers
    from traceability.coldchain import views as cold_chain_views
    from traceability.display import commitment_label
    from traceability.holds import views as hold_views
    from traceability.interop import receivers as epcis_receivers
    from traceability.interop import views as epcis_views
    from traceability.interop.cli import epcis_cli
    from traceability.labels import views as label_views
    from traceability.partners import views as partner_views
    from traceability.recall import views as recall_views
    from traceability.resolver import views as resolver_views
    from traceability.shelf import track_stock
    from traceability.signals import batch_recalled, sensor_readings_captured
    from traceability.stock import stock_for_products
    from traceability.trace import views as trace_views

    for module in (
        trace_views,
        batch_views,
        label_views,
        recall_views,
        cold_chain_views,
        hold_views,
        resolver_views,
        epcis_views,
        partner_views,
    ):
        app.register_blueprint(module.bp)
    app.add_template_global(commitment_label)  # the trace page and the batch page show the commitments
    app.cli.add_command(cli.publish_digests_command)
    app.cli.add_command(epcis_cli)
    app.cli.add_command(cli.shelf_command)
    # every flush that writes a batch tells the catalog how long its product's stock lasts
    track_stock()
    # The catalog asks, through a signal, which batches are in stock; connecting twice is harmless.
    collect_stock.connect(stock_for_products)
    # ... and what waits on the producer's workbench (batches near best-before, recalls)
    collect_workbench_tasks.connect(batch_receivers.workbench_tasks)
    # sensor readings captured with a partner's event (traceability.interop) go to the cold chain
    sensor_readings_captured.connect(cold_chain_receivers.readings_captured)
    # a recall owes the partners subscribed to RecalledLots a webhook (an outbox row, sent by `epcis deliver`)
    batch_recalled.connect(epcis_receivers.on_batch_recalled)
