"""Access rows for the producer's product pages, the reviewer's certification desk and stored media."""

from __future__ import annotations

import secrets
from typing import Any

from catalog.products.models import (
    Certification,
    CertificationStatus,
    Product,
    ProductImage,
)
from tests.access_rows import ADM, P, R, World, everyone, only


def product_url(suffix: str = "") -> Any:
    """A builder for a page of the producer persona's product."""
    return lambda w: f"/producer/products/{w.objects['product'].id}{suffix}"


def fresh_product(w: World, **fields: Any) -> Product:
    """A new product of the producer persona's producer (one per persona, so POSTs can repeat)."""
    product: Product = w.factories["make_product"](w.objects["producer"], **fields)
    return product


def image_to_remove(w: World) -> str:
    """A photo row (no files) of a fresh product."""
    product = fresh_product(w)
    image = ProductImage(product=product, key=secrets.token_hex(16), width=10, height=10)
    w.db.add(image)
    w.db.flush()
    return f"/producer/products/{product.id}/images/{image.id}/remove"


def application(w: World) -> Certification:
    """An open certification application of a fresh 疏勒县 product."""
    cert = Certification(product=fresh_product(w), status=CertificationStatus.APPLIED)
    w.db.add(cert)
    w.db.flush()
    return cert


def certificate(w: World) -> Certification:
    """A valid certificate of a fresh 疏勒县 product."""
    product = fresh_product(w, certified=True)
    return product.certifications[0]


QUICK_EDIT = {
    "price": "30.00",
    "institution_moq": "5",
    "season_start": "1",
    "season_end": "12",
    "is_active": "y",
}

#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "products.index": ("GET", "/producer/products/", {}, only((P,))),
    "products.new": ("GET", "/producer/products/new", {}, only((P,))),
    "products.edit": ("GET", product_url(), {}, only((P,))),
    "products.tiers": ("GET", product_url("/tiers"), {}, only((P,))),
    "products.quality_marks": ("GET", product_url("/quality-marks"), {}, only((P,))),
    "products.images": ("GET", product_url("/images"), {}, only((P,))),
    "products.quick_edit": ("POST", product_url("/quick"), QUICK_EDIT, only((P,), ok=302)),
    # no file attached: members reach the form check (400), everyone else is refused first
    "products.upload_image": ("POST", product_url("/images"), {}, only((P,), ok=400)),
    "products.remove_image": ("POST", image_to_remove, {}, only((P,), ok=302)),
    "products.apply": (
        "POST",
        lambda w: f"/producer/products/{fresh_product(w).id}/certification",
        {},
        only((P,), ok=302),
    ),
    "certification.queue": ("GET", "/review/certifications/", {}, only((R, ADM))),
    "certification.decide": (
        "GET",
        lambda w: f"/review/certifications/{application(w).id}",
        {},
        only((R, ADM)),
    ),
    # an incomplete decision: reviewers of the county reach the form check (400), nothing is certified
    "certification.certify": (
        "POST",
        lambda w: f"/review/certifications/{application(w).id}/certify",
        {"certificate_no": ""},
        only((R, ADM), ok=400),
    ),
    "certification.reject": (
        "POST",
        lambda w: f"/review/certifications/{application(w).id}/reject",
        {"reason": "材料不全"},
        only((R, ADM), ok=302),
    ),
    "certification.revoke": (
        "POST",
        lambda w: f"/review/certifications/{certificate(w).id}/revoke",
        {"reason": "抽检不合格"},
        only((R, ADM), ok=302),
    ),
    # public; an unknown (well-formed) key is 404 for everyone — tests/catalog/test_media.py serves real files
    "media.image": ("GET", f"/media/{'0' * 32}/thumb.webp", {}, everyone(404)),
}
