"""Access rows for the buyer's order pages and the producer's order queue, and the order builder they use.

Orders are built directly with the models (checkout, order, lines, allocations drawing real batch stock), so
these rows and the fulfilment tests do not depend on the cart and payment code.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from orders.fulfilment import services as fulfilment
from orders.models import (
    Allocation,
    Checkout,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from tests.access_rows import PERSONAS, A, C, P, World, only
from traceability.batches.inventory import draw_stock, return_stock
from traceability.batches.services import BatchData, ComplianceData, create_batch
from traceability.models import Batch, ComplianceBasis

#: How far each target state is reached from pending payment, through the model's own methods.
PATH = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RECEIVED, OrderStatus.COMPLETED)

ADDRESS = {
    "recipient": "王芳",
    "mobile": "13812345678",
    "province": "山东省",
    "province_code": "370000",
    "city": "临沂市",
    "district": "兰山区",
    "address_detail": "北京路 18 号 3 单元 502",
}


def new_batch(db: Session, product: Product, quantity: int = 50, by: User | None = None) -> Batch:
    """A fresh batch of ``product`` from the first township of its county, recorded by a producer member."""
    today = shanghai_date()
    county = product.producer.county
    origin = sorted(county.children, key=lambda r: r.code or "")[0]
    data = BatchData(quantity, today - timedelta(days=1), today + timedelta(days=20), origin=origin)
    certificate = ComplianceData(ComplianceBasis.QUALITY_CONTROL, "13912345678", today)
    return create_batch(db, by or product.producer.members[0].user, product, data, certificate)


def build_order(
    db: Session,
    buyer: User,
    draws: Sequence[tuple[Batch, int]],
    *,
    status: OrderStatus = OrderStatus.PAID,
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
    shipping_fen: int = 800,
    number: str | None = None,
) -> Order:
    """One order of the batches' producer, a line per product drawing ``(batch, quantity)`` from stock.

    The order is then moved to ``status`` with the model's transitions (shipped with 顺丰速运 directly, so
    no shipping event is recorded), cancelled (units returned) or refunded after payment.
    """
    producer = draws[0][0].producer
    lines: dict[int, OrderLine] = {}
    for batch, quantity in draws:
        draw_stock(db, batch, quantity)
        line = lines.get(batch.product_id)
        if line is None:
            product = batch.product
            line = lines[product.id] = OrderLine(
                product_id=product.id,
                product_name=product.name,
                unit=str(product.unit),
                unit_price_fen=product.price_fen,
                quantity=0,
            )
        line.quantity += quantity
        line.allocations.append(Allocation(batch=batch, quantity=quantity))
    subtotal = sum(line.total_fen for line in lines.values())
    checkout = Checkout(
        number=f"C{secrets.randbelow(10**12):012d}",
        buyer_id=buyer.id,
        method=method,
        total_fen=subtotal + shipping_fen,
        idempotency_key=secrets.token_hex(16),
        payment_reference=None if method is PaymentMethod.STRIPE else f"XF{secrets.token_hex(5).upper()}",
        reserved_until=utcnow() + timedelta(minutes=30),
    )
    order = Order(
        number=number or f"{secrets.randbelow(10**12):012d}",
        checkout=checkout,
        buyer_id=buyer.id,
        producer_id=producer.id,
        subtotal_fen=subtotal,
        shipping_fen=shipping_fen,
        lines=list(lines.values()),
        **ADDRESS,
    )
    db.add(order)
    db.flush()
    _advance(db, order, status)
    db.flush()
    return order


def _advance(db: Session, order: Order, status: OrderStatus) -> None:
    if status is OrderStatus.CANCELLED:
        order.cancel("超时未付款")
        for line in order.lines:
            for allocation in line.allocations:
                return_stock(db, allocation.batch, allocation.quantity)
                allocation.returned_quantity = allocation.quantity
        return
    target = OrderStatus.PAID if status is OrderStatus.REFUNDED else status
    steps = {
        OrderStatus.PAID: order.mark_paid,
        OrderStatus.SHIPPED: lambda: order.mark_shipped("顺丰速运", f"SF{secrets.randbelow(10**12):012d}"),
        OrderStatus.RECEIVED: order.mark_received,
        OrderStatus.COMPLETED: order.mark_completed,
    }
    reached = PATH[: PATH.index(target) + 1] if target in PATH else ()
    for step in reached:
        steps[step]()
    if status is OrderStatus.REFUNDED:
        order.refunded_fen = order.total_fen
        order.mark_refunded()


def consumer_order(w: World, status: OrderStatus = OrderStatus.PAID) -> Order:
    """A fresh order of the consumer persona from the producer persona's producer (a batch of its own)."""
    batch = new_batch(w.db, w.objects["product"], by=w.users[P])
    return build_order(w.db, w.users[C], [(batch, 2)], status=status)


def order_url(suffix: str = "", *, status: OrderStatus = OrderStatus.PAID, producer: bool = False) -> Any:
    """A builder for a page of a fresh consumer order (one per persona, so POSTs can repeat)."""
    prefix = "/producer/orders/" if producer else "/orders/"
    return lambda w: f"{prefix}{consumer_order(w, status).number}{suffix}"


def rating_url(w: World) -> str:
    """The rating form target of the first line of a fresh received order."""
    order = consumer_order(w, OrderStatus.RECEIVED)
    return f"/orders/{order.number}/lines/{order.lines[0].id}/rating"


def reply_url(w: World) -> str:
    """The reply form target of a fresh rating of the producer persona's product by the consumer persona."""
    order = consumer_order(w, OrderStatus.RECEIVED)
    rating = fulfilment.rate_order_line(w.db, w.users[C], order.lines[0], 4, 5, "很新鲜")
    return f"/producer/ratings/{rating.id}/reply"


def buyer_only(ok: int = 200) -> dict[str, int]:
    """The buyer gets ``ok``, anonymous visitors go to log in, everyone else is told it does not exist."""
    return {p: ok if p == C else (302 if p == A else 404) for p in PERSONAS}


RATING = {"product_stars": "5", "producer_stars": "4", "comment": "新鲜，好吃"}
SHIP = {"carrier": "顺丰速运", "tracking_number": "SF1234567890"}

#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "orders.index": ("GET", "/orders", {}, only(tuple(p for p in PERSONAS if p != A))),
    "orders.detail": ("GET", order_url(), {}, buyer_only()),
    "orders.receipt": ("POST", order_url("/receipt", status=OrderStatus.SHIPPED), {}, buyer_only(302)),
    "orders.rate": ("POST", rating_url, RATING, buyer_only(302)),
    # members of the order's producer only: the reviewer of its county and admins are not order parties
    "producer_orders.index": ("GET", "/producer/orders/", {}, only((P,))),
    "producer_orders.detail": ("GET", order_url(producer=True), {}, only((P,))),
    "producer_orders.packing_list": ("GET", order_url("/packing-list", producer=True), {}, only((P,))),
    "producer_orders.ship": ("POST", order_url("/ship", producer=True), SHIP, only((P,), ok=302)),
    "producer_ratings.index": ("GET", "/producer/ratings/", {}, only((P,))),
    "producer_ratings.reply": ("POST", reply_url, {"text": "谢谢您的评价"}, only((P,), ok=302)),
}
