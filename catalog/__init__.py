"""Producers, their certified products and the public catalog. Builds on core only."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the catalog's pages and its label helpers for templates."""
    from catalog import media
    from catalog.api import views as api
    from catalog.browse import views as browse
    from catalog.certification import views as certification_views
    from catalog.certification.services import certificate_state
    from catalog.counts.cli import catalog_cli
    from catalog.counts.tracking import track_catalog_counts
    from catalog.labels import label, producer_kind_label, producer_status_label, with_unit
    from catalog.producers import views as producer_views
    from catalog.producers.models import Producer
    from catalog.products import views as product_views
    from catalog.products.models import Certification, PriceTier, Product, ProductImage, QualityMark
    from catalog.products.placement import track_product_counties
    from catalog.public import CATALOG
    from catalog.questions import receivers as question_receivers
    from catalog.questions import views as question_views
    from catalog.review import views as review_views
    from catalog.search_upkeep import track_product_changes
    from catalog.shelf import sale_problem, track_certificates
    from core import versions
    from core.audit.views import register_status_labels
    from core.auth import load_with_user

    blueprints = (producer_views, review_views, product_views, certification_views, media, browse, api)
    for module in (*blueprints, question_views):
        app.register_blueprint(module.bp)
    # the producer's workbench counts questions waiting for an answer
    question_receivers.connect()
    # every flush that changes a product rewrites its search document, in the same transaction
    track_product_changes()
    # ... and keeps the catalog's counters (products, certificates, producers per county) with it
    track_catalog_counts()
    app.cli.add_command(catalog_cli)
    # ... and gives each product its producer's county (a county's products are read in index order)
    track_product_counties()
    # ... and refreshes what can be bought when a certificate is issued, revoked or changed
    track_certificates()
    # the menu of every signed-in page asks whether the user acts for a producer
    load_with_user("producer_memberships")
    # ... and raises the catalog's version, which the listing cache and conditional GETs read
    for model in (Product, Producer, Certification, ProductImage, QualityMark, PriceTier):
        versions.watch(model, CATALOG)
    helpers = (producer_status_label, producer_kind_label, label, with_unit, certificate_state, sale_problem)
    for helper in helpers:
        app.add_template_global(helper)
    register_status_labels(app, "producer", lambda value: label("producer_status", value))
    register_status_labels(app, "certification", lambda value: label("certification_status", value))
