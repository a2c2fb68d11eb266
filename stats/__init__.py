"""Consumption-assistance statistics: the sales ledger (written through signals in the transaction of the
sale, refund or receipt), targets and the help-sell list, dashboards, exports and the statistics API."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the dashboards, the statistics API, the target pages, ``stats rebuild`` and the ledger's
    receivers of payments, refunds and procurement receipts."""
    from catalog.api.views import add_spec_extension
    from stats import api, cli, receivers, views
    from stats.targets import views as target_views

    for blueprint in (views.bp, views.progress_bp, api.bp, target_views.bp):
        app.register_blueprint(blueprint)
    add_spec_extension(app, api.document)
    app.cli.add_command(cli.stats_cli)
    receivers.connect()
