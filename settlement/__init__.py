"""Money to the farm: producers' payee accounts (verified by the county), monthly settlement statements built
from the sales ledger and the payments, and payouts approved by two administrators. Builds on every package
to its left; procurement reads payee accounts through the ``collect_payee`` signal."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the payee-account pages, their label helpers and the payee receiver."""
    from core.audit.views import register_status_labels
    from settlement import labels
    from settlement.payees import receivers
    from settlement.payees import views as payee_views

    for module in (payee_views,):
        app.register_blueprint(module.bp)
    for helper in labels.TEMPLATE_GLOBALS:
        app.add_template_global(helper)
    register_status_labels(app, "payee_account", labels.payee_status_label)
    receivers.connect()
