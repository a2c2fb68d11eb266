"""Access rows for the cart and checkout: public cart pages, checkout for signed-in buyers only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.clock import shanghai_date
from orders.models import CartItem
from tests.access_rows import SIGNED_IN, World, everyone, only
from traceability.batches.inventory import batches_in_stock
from traceability.batches.services import BatchData, ComplianceData, create_batch
from traceability.models import ComplianceBasis

#: A product id no product has (well-formed, so the form check passes and the lookup answers).
UNKNOWN = {"product_id": "2147483647", "quantity": "1"}


def checkout_with_cart(w: World) -> str:
    """Stock the world's product and put it in every signed-in persona's cart, so checkout opens for them."""
    product = w.objects["product"]
    if not batches_in_stock(w.db, product):
        today = shanghai_date()
        origin = sorted(product.producer.county.children, key=lambda r: r.code or "")[0]
        data = BatchData(20, today - timedelta(days=1), today + timedelta(days=20), origin=origin)
        compliance = ComplianceData(ComplianceBasis.QUALITY_CONTROL, "13912345678", today)
        create_batch(w.db, w.users["producer"], product, data, compliance)
    for user in w.users.values():
        has_item = user is None or w.db.scalar(
            select(CartItem.id).where(CartItem.user_id == user.id, CartItem.product_id == product.id)
        )
        if not has_item:
            w.db.add(CartItem(user_id=user.id, product_id=product.id, quantity=1))
    w.db.flush()
    return "/checkout"


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "cart.index": ("GET", "/cart", {}, everyone(200)),
    # an unknown product: everyone reaches the lookup (404); tests/orders/test_cart.py adds real products
    "cart.add": ("POST", "/cart/add", UNKNOWN, everyone(404)),
    "cart.update": ("POST", "/cart/update", UNKNOWN, everyone(404)),
    # removing what is not in the cart changes nothing and is fine for everyone
    "cart.remove": ("POST", "/cart/remove", {"product_id": "2147483647"}, everyone(302)),
    "cart.checkout": ("GET", checkout_with_cart, {}, only(SIGNED_IN)),
}
