"""Access rows for paying (buyer), confirming money collected by hand (producer: cash; admin: bank
transfers), refunds (producer, admin), the webhook."""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta
from typing import Any

from core.db import utcnow
from orders.models import (
    Allocation,
    Checkout,
    Order,
    OrderLine,
    PaymentMethod,
)
from tests.access_rows import ADM, PERSONAS, C, P, World, everyone, only
from tests.access_rows.batches import fresh_batch
from traceability.batches.inventory import draw_stock

_serial = itertools.count(1)


def fresh_checkout(
    w: World,
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
    *,
    paid: bool = False,
    shipped: bool = False,
) -> Checkout:
    """The consumer persona buys 2 units of the producer persona's product (one order), built directly;
    ``shipped`` ships it (cash on delivery: its cash is then the producer's to confirm)."""
    batch = fresh_batch(w)
    product, serial = w.objects["product"], next(_serial)
    checkout = Checkout(
        number=f"A{secrets.randbelow(10**9):09d}{serial:04d}",
        buyer=w.users[C],
        method=method,
        total_fen=2 * product.price_fen,
        idempotency_key=secrets.token_hex(16),
        payment_reference=f"BF{secrets.token_hex(4).upper()}" if method.is_offline else None,
        reserved_until=utcnow() + timedelta(minutes=30),
    )
    order = Order(
        number=f"{secrets.randbelow(10**8):08d}{serial:04d}",
        checkout=checkout,
        buyer_id=w.users[C].id,
        producer_id=product.producer_id,
        recipient="张三",
        mobile="13912345678",
        province="山东省",
        city="临沂市",
        district="兰山区",
        address_detail="沂蒙路 2 号",
        subtotal_fen=2 * product.price_fen,
    )
    line = OrderLine(
        order=order,
        product_id=product.id,
        product_name=product.name,
        unit=str(product.unit),
        unit_price_fen=product.price_fen,
        quantity=2,
    )
    line.allocations.append(Allocation(batch_id=batch.id, quantity=2))
    w.db.add(checkout)
    draw_stock(w.db, batch, 2)
    if paid:
        order.mark_paid()
    if shipped:
        order.mark_shipped("顺丰速运", f"SF{serial:010d}")
    w.db.flush()
    return checkout


def order_url(suffix: str = "", **options: Any) -> Any:
    """A builder for a page of a fresh order of the producer persona (one per persona: POSTs repeat)."""
    return lambda w: f"/payments/orders/{fresh_checkout(w, **options).orders[0].id}{suffix}"


CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}

#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    # only the buyer sees a checkout; everyone else is told it does not exist
    "payments.pay": (
        "GET",
        lambda w: f"/payments/{fresh_checkout(w).number}",
        {},
        {p: 200 if p == C else 302 if p == "anonymous" else 404 for p in PERSONAS},
    ),
    # Stripe is not configured in the matrix's app, so the test-card endpoint does not exist for anyone
    "payments.card": (
        "POST",
        lambda w: f"/payments/{fresh_checkout(w, PaymentMethod.STRIPE).number}/card",
        CARD,
        {p: 302 if p == "anonymous" else 404 for p in PERSONAS},
    ),
    # the buyer coming back from Stripe; this checkout has no PaymentIntent, so the named one is refused
    "payments.stripe_return": (
        "GET",
        lambda w: f"/payments/{fresh_checkout(w, PaymentMethod.STRIPE).number}/return?payment_intent=pi_x",
        {},
        {p: 400 if p == C else 302 if p == "anonymous" else 404 for p in PERSONAS},
    ),
    # the buyer cancels an unpaid order of theirs; to everyone else the checkout does not exist
    "payments.cancel": (
        "POST",
        lambda w: (lambda c: f"/payments/{c.number}/orders/{c.orders[0].number}/cancel")(fresh_checkout(w)),
        {},
        {p: 302 if p in (C, "anonymous") else 404 for p in PERSONAS},
    ),
    "payments.order": ("GET", order_url(), {}, only((P, ADM))),
    # the producer confirms cash it collected on delivery (a bank transfer: the platform's desk below)
    "payments.confirm_offline": (
        "POST",
        order_url("/confirm", method=PaymentMethod.CASH_ON_DELIVERY, shipped=True),
        {},
        only((P,), ok=302),
    ),
    # a bank transfer sits in the platform's account: only administrators send it back and record it
    "payments.refund": (
        "POST",
        order_url("/refund", paid=True),
        {"reason": "买家取消", "everything": "1"},
        only((ADM,), ok=302),
    ),
    # the bank-transfer desk: platform administrators only (the world's product costs ¥25.00, 2 units)
    "transfers.index": ("GET", "/payments/transfers/", {}, only((ADM,))),
    "transfers.confirm": (
        "POST",
        lambda w: f"/payments/transfers/{fresh_checkout(w).number}/confirm",
        {"amount": "50.00", "bank_reference": "ICBC-ACCESS-1"},
        only((ADM,), ok=302),
    ),
    # authenticated by Stripe's signature, not by a session: unsigned posts are refused for everyone
    "webhooks.stripe_webhook": ("POST", "/payments/stripe/webhook", {}, everyone(400)),
}
