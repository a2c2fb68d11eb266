"""Payments: Stripe PaymentIntents (card, Alipay, WeChat Pay) behind one seam, offline methods and refunds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the payment pages, the bank-transfer desk, the Stripe webhook (exempt from CSRF: Stripe
    signs it instead) and ``refund-recalled``."""
    from payments import cli, views, webhooks
    from payments.transfers import views as transfer_views

    for module in (views, transfer_views, webhooks):
        app.register_blueprint(module.bp)
    app.cli.add_command(cli.refund_recalled_command)
