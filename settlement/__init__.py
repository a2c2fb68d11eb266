"""Money to the farm: producers' payee accounts (verified by the county), monthly settlement statements built
from the sales ledger and the payments, payouts approved by two administrators, and what producers pay to the
households they bring along (verified by the county, shown publicly as totals). Builds on every package to its
left; procurement reads payee accounts through the ``collect_payee`` signal, the catalog's, traceability's
and the statistics' pages read verified household benefit through ``collect_household_benefit``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the settlement pages, their label helpers, ``settlement close`` and the payee and benefit
    receivers."""
    from core.audit.views import register_status_labels
    from settlement import labels
    from settlement.benefit import receivers as benefit_receivers
    from settlement.benefit import views as benefit_views
    from settlement.payees import receivers
    from settlement.payees import views as payee_views
    from settlement.payouts import views as payout_views
    from settlement.statements import cli
    from settlement.statements import views as statement_views
    from settlement.statements.services import DEFAULT_FEE_BASIS_POINTS

    for module in (payee_views, statement_views, payout_views, benefit_views):
        app.register_blueprint(module.bp)
    for helper in labels.TEMPLATE_GLOBALS:
        app.add_template_global(helper)
    register_status_labels(app, "payee_account", labels.payee_status_label)
    register_status_labels(app, "payout", labels.payout_status_label)
    register_status_labels(app, "benefit_report", labels.benefit_status_label)
    # the platform's fee on the money it collects for producers: none by default, as on the 832 platform
    app.config.setdefault("SETTLEMENT_FEE_BASIS_POINTS", DEFAULT_FEE_BASIS_POINTS)
    app.cli.add_command(cli.settlement_cli)
    receivers.connect()
    benefit_receivers.connect()
