"""Helpers for the flash sales' tests: a sale written through the real service, points earned, an address."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.db import utcnow
from core.models import User
from promotions.flash.models import FlashSale
from promotions.flash.services import FlashSaleData, create_flash_sale

#: A delivery address form as the buyer fills it in.
ADDRESS_FORM = {
    "recipient": "王芳",
    "mobile": "138 1234 5678",
    "province": "370000",
    "city": "临沂市",
    "district": "兰山区",
    "detail": "北京路 18 号 3 单元 502",
}


def make_sale(db: Session, actor: User, product: Product, **fields: Any) -> FlashSale:
    """A flash sale of ``product`` created by ``actor``, running now (``fields`` override the data)."""
    now: datetime = utcnow()
    values: dict[str, Any] = {
        "title": "积分抢购：城口老腊肉",
        "product_id": product.id,
        "units": 3,
        "points_price": 50,
        "per_buyer_limit": 1,
        "starts_at": now - timedelta(minutes=5),
        "ends_at": now + timedelta(hours=1),
    }
    values.update(fields)
    return create_flash_sale(db, actor, FlashSaleData(**values), now - timedelta(days=1))
