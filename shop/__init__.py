"""The composition root: ``create_app`` wires every package into one marketplace; the home page and the demo
data live here too. No domain logic: each package brings its own pages, commands and receivers through its
``init_app``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the marketplace app: config, then each package in layer order. Nothing runs at import time."""
    import catalog
    import channels
    import core
    import orders
    import oversight
    import payments
    import procurement
    import promotions
    import settlement
    import stats
    import traceability
    from core.config import load_config
    from core.urls import remember_url_map
    from shop import views
    from shop.demo import cli as demo_cli
    from shop.demo.scale import cli as scale_cli

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

    for package in (
        core,
        catalog,
        traceability,
        orders,
        payments,
        procurement,
        promotions,
        channels,
        stats,
        oversight,
        settlement,
    ):
        package.init_app(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(demo_cli.seed_demo_command)
    app.cli.add_command(scale_cli.seed_scale_command)
    remember_url_map(app)
    return app
