"""Access rows for public browsing and the public JSON API: every page is open to everyone, no login."""

from __future__ import annotations

from typing import Any

from tests.access_rows import everyone

#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "catalog.listing": ("GET", "/products?q=测试&certified=y&sort=price_asc", {}, everyone(200)),
    "catalog.product": ("GET", lambda w: f"/products/{w.objects['product'].id}", {}, everyone(200)),
    "catalog.producer": ("GET", lambda w: f"/producers/{w.objects['producer'].id}", {}, everyone(200)),
    "catalog.product_reviews": (
        "GET",
        lambda w: f"/products/{w.objects['product'].id}/reviews?page=2",
        {},
        everyone(200),
    ),
    "catalog.producer_reviews": (
        "GET",
        lambda w: f"/producers/{w.objects['producer'].id}/reviews",
        {},
        everyone(200),
    ),
    "catalog.certified": ("GET", "/certified?county=653122", {}, everyone(200)),
    "catalog.certified_csv": ("GET", "/certified.csv?county=653122", {}, everyone(200)),
    "catalog.county": ("GET", "/counties/653122", {}, everyone(200)),
    "api.products": ("GET", "/api/v1/products?county=653122&certified=true", {}, everyone(200)),
    "api.product": ("GET", lambda w: f"/api/v1/products/{w.objects['product'].id}", {}, everyone(200)),
    "api.producer": ("GET", lambda w: f"/api/v1/producers/{w.objects['producer'].id}", {}, everyone(200)),
    "api.certified": ("GET", "/api/v1/certified?county=653122", {}, everyone(200)),
    "api.openapi": ("GET", "/api/v1/openapi.json", {}, everyone(200)),
}
