"""The marketplace application: the app factory, and orders, payments, procurement and statistics."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the marketplace app: config, extensions, blueprints, CLI. Nothing runs at import time."""
    from catalog import views as catalog_views
    from core import admin, audit_views, auth, cli, db, errors, health, i18n, observability, security
    from core.config import load_config
    from shop import cli as shop_cli
    from shop import views
    from shop.notifications import views as inbox_views
    from shop.orders import cart_views, order_views, producer_order_views
    from shop.payments import views as payment_views
    from shop.procurement import delivery_views, ordering_views, rfq_views, supplier_views
    from shop.procurement import views as procurement_views
    from shop.statistics import target_views
    from shop.statistics import views as stats_views
    from traceability import views as traceability_views

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config)
    if app.config["PROXY_FIX_X_FOR"]:
        # Behind nginx: trust this many proxies for the client address and scheme (serial checks, limits).
        count = int(app.config["PROXY_FIX_X_FOR"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    observability.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    cli.init_app(app)
    shop_cli.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(views.bp)
    catalog_views.init_app(app)
    traceability_views.init_app(app)
    procurement_views.init_app(app)
    for feature in (cart_views, payment_views, order_views, producer_order_views, inbox_views):
        feature.init_app(app)
    for feature in (ordering_views, supplier_views, delivery_views, rfq_views, stats_views, target_views):
        feature.init_app(app)
    return app
