"""Promotions the county plans ask for (满减/满赠, coupons, points, 积分抢购 flash sales), each paid by a
named sponsor from a budget, and counted toward assistance by what the buyer and the sponsor actually paid.
Builds on the orders and payments packages to its left; checkout asks for discounts through a signal."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the promotions', coupons', points' and flash sales' pages, label helpers and receivers
    (checkout's discounts, budgets given back on cancellation and refund, points given back on refund,
    the sales each sponsor's promotions brought)."""
    from promotions.coupons import views as coupon_views
    from promotions.eligibility import views as invitation_views
    from promotions.flash import receivers as flash_receivers
    from promotions.flash import views as flash_views
    from promotions.offers import labels, receivers, views
    from promotions.points import cli as points_cli
    from promotions.points import receivers as points_receivers
    from promotions.points import views as points_views
    from promotions.sponsors import cli as sponsors_cli
    from promotions.sponsors import receivers as sponsors_receivers

    app.register_blueprint(views.bp)
    app.register_blueprint(coupon_views.bp)
    app.register_blueprint(points_views.bp)
    app.register_blueprint(flash_views.bp)
    app.register_blueprint(invitation_views.bp)
    points_cli.promotions_cli.add_command(sponsors_cli.rebuild_sponsor_totals_command)
    app.cli.add_command(points_cli.promotions_cli)
    points_receivers.connect()
    flash_receivers.connect()
    sponsors_receivers.connect()
    for helper in labels.TEMPLATE_GLOBALS:
        app.add_template_global(helper)
    receivers.connect()
