"""Institutional buyers and their bulk procurement, one sub-package per use case: ``institutions``
(registration, members, plans, verification), ``staff`` (staff purchases counted for an employer),
``ordering`` (the grid, CSV upload and submission), ``purchase_orders`` (approval, PDF), ``rfq`` (requests
for quotation), ``supplying`` (the producer's side) and ``receiving`` (receipt, invoice, settlement)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the procurement pages, their label helpers for templates, the recall and workbench
    receivers and the ``procurement`` commands (``expire``)."""
    from catalog.signals import collect_workbench_tasks
    from core.audit.views import register_status_labels
    from core.auth import load_with_user
    from orders.signals import checkout_placing
    from procurement import cli, labels
    from procurement.institutions import views as institution_views
    from procurement.ordering import labels as order_labels
    from procurement.ordering import views as ordering_views
    from procurement.ordering.lifecycle import ANSWER_DAYS, SHIP_GRACE_DAYS
    from procurement.purchase_orders import views as purchase_order_views
    from procurement.receiving import recall_export, receivers
    from procurement.receiving import views as receiving_views
    from procurement.rfq import forms as rfq_forms
    from procurement.rfq import views as rfq_views
    from procurement.staff import receivers as staff_receivers
    from procurement.staff import views as staff_views
    from procurement.supplying import receivers as supplying_receivers
    from procurement.supplying import views as supplying_views
    from traceability.signals import batch_recalled, collect_recall_orders

    for module in (
        institution_views,
        staff_views,
        ordering_views,
        purchase_order_views,
        rfq_views,
        supplying_views,
        receiving_views,
    ):
        app.register_blueprint(module.bp)
    # the menu of every signed-in page asks whether the user acts for an institution
    load_with_user("institution_memberships")
    for helper in (
        *labels.TEMPLATE_GLOBALS,
        order_labels.purchase_status_label,
        order_labels.purchase_status_badge,
        order_labels.supplier_status_label,
        order_labels.supplier_status_badge,
        order_labels.line_decision_label,
        rfq_forms.rfq_label,
        rfq_forms.rfq_badge,
    ):
        app.add_template_global(helper)
    # the audit log names institution and order states in words, like producers' and certificates'
    register_status_labels(app, "institution", labels.institution_status_label)
    register_status_labels(app, "purchase_order", order_labels.purchase_status_label)
    register_status_labels(app, "supplier_order", order_labels.supplier_status_label)
    # stuck orders end: `flask --app shop procurement expire` (cron; procurement/ordering/lifecycle.py)
    app.config.setdefault("PROCUREMENT_ANSWER_DAYS", ANSWER_DAYS)
    app.config.setdefault("PROCUREMENT_SHIP_GRACE_DAYS", SHIP_GRACE_DAYS)
    app.cli.add_command(cli.procurement_cli)
    # Deliveries that shipped units of a recalled batch are announced in the recalling transaction;
    # connecting the same module-level receiver again (another app in the same process) is harmless.
    batch_recalled.connect(receivers.on_batch_recalled)
    # The recall export asks which deliveries hold units of a batch.
    collect_recall_orders.connect(recall_export.affected_deliveries)
    # A staff member's new orders count toward their employer.
    checkout_placing.connect(staff_receivers.stamp_employer)
    # The producer's workbench asks how many supplier orders wait to be answered or delivered.
    collect_workbench_tasks.connect(supplying_receivers.workbench_tasks)
