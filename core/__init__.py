"""Infrastructure shared by every layer: database, configuration, accounts, security, i18n, errors, CLI,
notifications.

Nothing in here knows about products, batches or orders; the packages to the right build on it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the infrastructure to ``app``: database, logging, security, languages, error pages, accounts,
    administration, API tokens, notifications and the infrastructure's CLI commands."""
    from core import (
        admin,
        auth,
        cli,
        db,
        errors,
        health,
        i18n,
        inputs,
        notifications,
        observability,
        security,
        urls,
    )
    from core.audit import views as audit_views
    from core.ids import IdConverter
    from core.tokens import views as token_views

    # before any blueprint: rules compile their converters when they are added
    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    observability.init_app(app)
    security.init_app(app)
    inputs.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    urls.init_app(app)
    cli.init_app(app)
    for module in (health, admin, audit_views, token_views):
        app.register_blueprint(module.bp)
    notifications.init_app(app)
