"""A few paid demo orders, so that the home page's running total and the results pages count something: the
demo consumer buys some certified products by bank transfer, and the platform's administrator confirms the
transfers through the real services (the sales ledger counts them as it counts every payment)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from catalog.shelf import sale_problem
from core.clock import shanghai_date
from core.models import User
from orders.addresses import Address
from orders.cart.checkout import place_checkout
from orders.models import PaymentMethod
from payments.transfers.services import confirm_bank_transfer, transfer_due

#: The demo consumer's delivery address (Linyi, paired with Chengkou).
ADDRESS = Address("张晓梅", "13912345678", "370000", "临沂市", "兰山区", "银雀山路 1 号")
#: Demo purchases: (product name, quantity), each its own checkout.
PURCHASES = (("城口老腊肉", 3), ("塔县有机牦牛肉干", 4), ("疏勒骏枣", 5), ("城口土蜂蜜", 2))


def seed_sales(session: Session, buyer: User, admin: User) -> int:
    """Place and pay the demo purchases not made yet (one checkout each, keyed so a rerun finds it); skip a
    product that cannot be bought today. Returns how many were paid now. Does not commit."""
    paid = 0
    today = shanghai_date()
    for number, (name, quantity) in enumerate(PURCHASES, start=1):
        product = session.scalar(select(Product).where(Product.name == name))
        if product is None or sale_problem(product, today) is not None:
            continue
        key = f"demo-sale-{number:04d}-0000000000"
        checkout = place_checkout(
            session, buyer, {product.id: quantity}, ADDRESS, PaymentMethod.BANK_TRANSFER, key
        )
        if checkout.paid_at is not None:
            continue
        due = transfer_due(checkout).due_fen
        confirm_bank_transfer(session, admin, checkout, due, f"DEMO{checkout.id:08d}")
        paid += 1
    return paid
