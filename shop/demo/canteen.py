"""The Linyi canteen office's monthly purchase from Chengkou in the demo's history: submitted by its buyer,
confirmed and shipped by the sellers from a batch made for it, received by the buyer — through the
procurement services, at the moments it happened, so the receipts count toward the office's reserved share
and its partner relation with Chengkou."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import clock_at
from core.models import User
from orders.addresses import Address
from procurement.institutions.models import Institution
from procurement.ordering.models import FundingSource, LineDecision, PurchaseOrder
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from procurement.receiving.services import ReceiptLineInput, confirm_receipt
from procurement.supplying.services import (
    AllocationInput,
    LineDecisionInput,
    decide_lines,
    propose_allocation,
    ship_supplier_order,
)
from shop.demo.batches import dated_batch

#: What the canteen orders each month when in season: (product name, quantity) — under the buyer's own
#: monthly limit (¥20,000), so no approval is needed.
CANTEEN_ORDER = (("城口老腊肉", 60), ("城口土蜂蜜", 48), ("城口蜂蜜 双瓶礼盒", 20))
CANTEEN_ADDRESS = Address("刘建国", "13953912345", "370000", "临沂市", "兰山区", "北京路 2 号 机关第一食堂")


def canteen_purchase(
    session: Session,
    institution: Institution,
    buyer: User,
    sellers: dict[int, User],
    first: date,
    at: tuple[datetime, ...],
    now: datetime,
) -> PurchaseOrder | None:
    """The canteen's purchase of the month starting ``first``; ``at``: when it was submitted, confirmed,
    shipped and received (steps after ``now`` are left undone). Returns it, or ``None`` if nothing was in
    season, certified or had a seller. Does not commit."""
    submitted, confirmed, shipped, received = at
    wanted: list[tuple[Product, int]] = []
    for name, quantity in CANTEEN_ORDER:
        product = session.scalar(select(Product).where(Product.name == name))
        if product is None or product.producer_id not in sellers or not product.in_season(first.month):
            continue
        if product.valid_certificate_on(submitted.date()) is None:
            continue
        wanted.append((product, quantity))
    if not wanted or submitted > now:
        return None
    for product, quantity in wanted:
        dated_batch(session, sellers[product.producer_id], product, first + timedelta(days=14), quantity)
    lines = [PurchaseLineInput(product.id, quantity) for product, quantity in wanted]
    delivery = Delivery(CANTEEN_ADDRESS, (received + timedelta(days=1)).date())
    key = f"demo-canteen-{first:%Y%m}-0000"
    with clock_at(submitted):
        purchase = submit_purchase_order(
            session, buyer, institution, lines, delivery, FundingSource.BUDGET, key, now=submitted
        )
    for order in purchase.supplier_orders:
        seller = sellers[order.producer_id]
        if confirmed > now:
            break
        with clock_at(confirmed):
            answers = [
                LineDecisionInput(line.id, LineDecision.CONFIRMED, line.requested_quantity)
                for line in order.lines
            ]
            decide_lines(session, seller, order, answers)
        if shipped > now:
            continue
        with clock_at(shipped):
            proposal = propose_allocation(session, order)
            allocations = [
                AllocationInput(line_id, batch.id, take)
                for line_id, rows in proposal.items()
                for batch, take in rows
                if take
            ]
            ship_supplier_order(
                session, seller, order, allocations, "德邦物流", f"DB{order.id:09d}", now=shipped
            )
        if received > now:
            continue
        with clock_at(received):
            receipt = [ReceiptLineInput(line.id, line.confirmed_quantity or 0) for line in order.lines]
            confirm_receipt(session, buyer, order, receipt, now=received)
    return purchase
