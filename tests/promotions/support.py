"""Helpers for the promotions' tests: promotions written straight into the database, carts placed and paid
through the real checkout and the real bank-transfer confirmation."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from orders.addresses import Address
from orders.cart.checkout import place_checkout
from orders.models import Checkout, PaymentMethod, SponsorKind
from payments.transfers.services import confirm_bank_transfer
from promotions.offers.models import Promotion, PromotionKind

ADDRESS = Address(
    recipient="王芳",
    mobile="138 1234 5678",
    province_code="370000",
    city="临沂市",
    district="兰山区",
    detail="北京路 18 号 3 单元 502",
)


def make_promotion(db: Session, **fields: Any) -> Promotion:
    """A running promotion paid by the platform (``fields`` override: kind, amounts, sponsor, products…)."""
    now = utcnow()
    values: dict[str, Any] = {
        "title": "测试满减",
        "kind": PromotionKind.SPEND_SAVE,
        "sponsor_kind": SponsorKind.PLATFORM,
        "sponsor_id": None,
        "sponsor_name": "平台",
        "threshold_fen": 0,
        "amount_fen": 0,
        "budget_fen": 1_000_000,
        "spent_fen": 0,
        "uses": 0,
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=10),
    }
    values.update(fields)
    products = values.pop("products", [])
    values.setdefault("needs_coupon", False)
    promotion = Promotion(**values, chosen_products_only=bool(products), products=products)
    db.add(promotion)
    db.flush()
    return promotion


def place(db: Session, buyer: User, items: dict[int, int], **kwargs: Any) -> Checkout:
    """Place a bank-transfer checkout of ``items`` for ``buyer``."""
    return place_checkout(
        db, buyer, items, ADDRESS, PaymentMethod.BANK_TRANSFER, secrets.token_hex(16), **kwargs
    )


def pay(db: Session, admin: User, checkout: Checkout) -> None:
    """Confirm the checkout's bank transfer as a platform administrator (orders paid, ledger written)."""
    confirm_bank_transfer(db, admin, checkout, checkout.total_fen, "BANK" + secrets.token_hex(6).upper())
    db.flush()
