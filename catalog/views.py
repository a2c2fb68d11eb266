"""Wiring of the catalog's blueprints and template helpers into the app."""

from __future__ import annotations

from flask import Flask

from catalog import (
    api,
    browse,
    certification_views,
    media,
    producer_views,
    product_views,
    review_views,
)
from catalog.certification import certificate_state
from catalog.labels import label, producer_kind_label, producer_status_label


def init_app(app: Flask) -> None:
    """Register the catalog's pages and its label helpers for templates."""
    for module in (producer_views, review_views, product_views, certification_views, media, browse, api):
        app.register_blueprint(module.bp)
    app.add_template_global(producer_status_label)
    app.add_template_global(producer_kind_label)
    app.add_template_global(label)
    app.add_template_global(certificate_state)
