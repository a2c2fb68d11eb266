"""Consumer orders: cart, checkout and stock reservation (``cart``), the producer's side (``fulfilment``,
``shipping``) and the buyer's side (``buyer``: tracking, receipt, rating, recall notices)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the order pages, the log-in cart merge, the recall and workbench receivers,
    ``release-reservations``, the order label helpers for templates (and who collects each payment method),
    and the answers to the catalog's questions about ratings."""
    from flask_login import user_logged_in

    from catalog.signals import collect_workbench_tasks
    from core.audit.views import register_status_labels
    from core.numbers import readable_number
    from orders.buyer import recall_export
    from orders.buyer import receivers as buyer_receivers
    from orders.buyer import views as buyer_views
    from orders.cart import cli as cart_cli
    from orders.cart import receivers as cart_receivers
    from orders.cart import views as cart_views
    from orders.collection import collector_of
    from orders.fulfilment import receivers as fulfilment_receivers
    from orders.fulfilment import views as fulfilment_views
    from orders.labels import order_status_badge, order_status_label, payment_method_label
    from orders.reviews import receivers as review_receivers
    from orders.reviews import views as review_views
    from orders.shipping import views as shipping_views
    from traceability.signals import batch_recalled, collect_recall_orders

    for module in (cart_views, buyer_views, fulfilment_views, shipping_views, review_views):
        app.register_blueprint(module.bp)
    app.before_request(cart_receivers.stash_cart_before_login)
    user_logged_in.connect(cart_receivers.merge_on_login, app)
    app.context_processor(cart_views.cart_limits)
    app.cli.add_command(cart_cli.release_reservations_command)
    app.add_template_filter(readable_number, "order_number")
    for helper in (order_status_label, order_status_badge, payment_method_label, collector_of):
        app.add_template_global(helper)
    # the audit log names order states in words (a buyer's cancellation is audited)
    register_status_labels(app, "order", order_status_label)
    # Orders that drew from a recalled batch are flagged in the recalling transaction; connecting the
    # same module-level receiver again (another app in the same process) is harmless.
    batch_recalled.connect(buyer_receivers.on_batch_recalled)
    # The recall export asks which orders hold units of a batch.
    collect_recall_orders.connect(recall_export.affected_orders)
    # The catalog's product and producer pages show ratings and replies without importing orders.
    review_receivers.connect()
    # The producer's workbench asks how many orders wait to ship, for cash to confirm, and new ratings.
    collect_workbench_tasks.connect(fulfilment_receivers.workbench_tasks)
