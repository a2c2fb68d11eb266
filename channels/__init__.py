"""The channels sales come through besides the online shop (三专一平台 counters, halls and zones; fairs;
livestreams with hosts and sharers; community group-buying; assistance groups), each carried on the sale into
the ledger. Builds on the orders, payments and procurement packages to its left."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the channels' pages and their label helpers — counters and fairs (``/channels/counters``),
    livestreams (``/channels/live``), assistance groups (``/assistance-groups``), community group-buying
    (``/channels/group-buy``) — and the receivers of livestreams and group-buying (attribution at checkout,
    sums on payment and refund) and of counters (a refunded counter sale on the closing report, its units
    back in the counter's stock)."""
    from channels.assistance import views as assistance_views
    from channels.counters import labels as counter_labels
    from channels.counters import receivers as counter_receivers
    from channels.counters import views as counter_views
    from channels.groupbuy import labels as groupbuy_labels
    from channels.groupbuy import receivers as groupbuy_receivers
    from channels.groupbuy import views as groupbuy_views
    from channels.livestreams import receivers as live_receivers
    from channels.livestreams import views as live_views

    app.register_blueprint(counter_views.bp)
    app.register_blueprint(live_views.bp)
    app.register_blueprint(assistance_views.bp)
    app.register_blueprint(groupbuy_views.bp)
    # livestreams first: an order credited to a livestream keeps that channel
    live_receivers.connect()
    groupbuy_receivers.connect()
    counter_receivers.connect()
    for helper in (*counter_labels.TEMPLATE_GLOBALS, *groupbuy_labels.TEMPLATE_GLOBALS):
        app.add_template_global(helper)
