"""Consumption-assistance statistics: the sales ledger (written through signals in the transaction of the
sale, refund or receipt), targets and the help-sell list, dashboards, exports and the statistics API."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the dashboards, the statistics API, the target pages, ``stats rebuild`` and the ledger's
    receivers of payments, refunds and procurement receipts."""
    from catalog.api.views import add_spec_extension
    from core import versions
    from stats import api, cli, receivers, views
    from stats.groups import views as group_views
    from stats.ledger import COUNTY_TABLE, ENTRY_TABLE, MONTHLY_TABLE, ROLLUP_TABLE
    from stats.targets import views as target_views

    for blueprint in (views.bp, views.progress_bp, api.bp, target_views.bp, group_views.bp):
        app.register_blueprint(blueprint)
    add_spec_extension(app, api.document)
    app.cli.add_command(cli.stats_cli)
    receivers.connect()
    # every write to the ledger raises the version the public results' conditional GETs read (core.http_cache)
    for table in (ENTRY_TABLE, ROLLUP_TABLE, MONTHLY_TABLE, COUNTY_TABLE):
        versions.watch_table(table, views.SALES, shards=16)
