"""Oversight the county plans ask for: complaints and reports (投诉举报) about products, orders and lots, with
working-day deadlines, the county reviewer's decision, escalation to administrators and public monthly
figures; after-sales requests (售后) on received orders, answered by the producer, arbitrated by the county
reviewer, settled through the payment they came by; price monitoring (every price change kept, reference
prices, alerts handled by the county reviewer, procurement lines above the reference flagged or refused);
quality sampling (抽检: a failed result holds the batch and every batch made from it, and shows on the trace
page through ``traceability.signals.collect_sampling_results``); supplier standing (a score from complaints,
after-sales, sampling, ratings and shipping; the county office warns, restricts or suspends). Builds on
every package to its left; the catalog's, traceability's and the orders' pages link to the report form by
its path, never by importing this package."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the complaint, after-sales, standing, price and quality-sampling pages, their label helpers,
    ``oversight escalate`` and
    ``oversight aftersales-deadlines``, the after-sales and price receivers (deadlines, windows and the report
    form's rate limit are settings of core.config)."""
    from core.audit.views import register_status_labels
    from oversight.aftersales import cli as aftersales_cli
    from oversight.aftersales import labels as aftersales_labels
    from oversight.aftersales import receivers as aftersales_receivers
    from oversight.aftersales import views as aftersales_views
    from oversight.complaints import cli, desk, labels, views
    from oversight.prices import labels as price_labels
    from oversight.prices import receivers as price_receivers
    from oversight.prices import views as price_views
    from oversight.sampling import labels as sampling_labels
    from oversight.sampling import receivers as sampling_receivers
    from oversight.sampling import views as sampling_views
    from oversight.standing import cli as standing_cli
    from oversight.standing import labels as standing_labels
    from oversight.standing import receivers as standing_receivers
    from oversight.standing import views as standing_views

    app.register_blueprint(views.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(aftersales_views.bp)
    app.register_blueprint(standing_views.bp)
    app.register_blueprint(price_views.bp)
    app.register_blueprint(sampling_views.bp)
    for helper in (
        *labels.TEMPLATE_GLOBALS,
        *aftersales_labels.TEMPLATE_GLOBALS,
        *standing_labels.TEMPLATE_GLOBALS,
        *price_labels.TEMPLATE_GLOBALS,
        *sampling_labels.TEMPLATE_GLOBALS,
    ):
        app.add_template_global(helper)
    register_status_labels(app, "complaint", labels.complaint_status_label)
    register_status_labels(app, "aftersales", aftersales_labels.aftersales_status_label)
    register_status_labels(app, "price_alert", price_labels.price_alert_status_label)
    cli.oversight_cli.add_command(aftersales_cli.deadlines_command)
    cli.oversight_cli.add_command(standing_cli.standing_command)
    app.cli.add_command(cli.oversight_cli)
    aftersales_receivers.connect()
    standing_receivers.connect()
    price_receivers.connect()
    sampling_receivers.connect()
