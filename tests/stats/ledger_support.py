"""Building paid orders, refunds and received supplier orders with the models, at chosen moments.

The ledger tests need sales on given days (certificates lapse, periods end at Asia/Shanghai midnight), which
the real services cannot do (they stamp "now"). These helpers put the records in the state the services
leave them in and then call the same ledger functions the services' hooks call (or send the procurement
signal), so what is tested is the ledger, not the helpers.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.models import User
from orders.models import (
    Checkout,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from payments.models import Refund, RefundLine
from procurement.institutions.models import Institution
from procurement.ordering.models import (
    FundingSource,
    LineDecision,
    PurchaseOrder,
    PurchaseStatus,
    SupplierLine,
    SupplierOrder,
    SupplierStatus,
)
from procurement.signals import supplier_order_received
from stats.ledger import record_order_paid, record_refund
from stats.models import DailyRollup, SalesEntry

_serial = itertools.count(1)


def utc(day: date, hour: int = 4, minute: int = 0, second: int = 0) -> datetime:
    """A UTC moment on ``day`` (04:00 UTC is noon in Shanghai, the same calendar day)."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def make_order(
    db: Session,
    buyer: User,
    lines: list[tuple[Product, int, int]],
    *,
    shipping_fen: int = 0,
    staff_institution: Institution | None = None,
) -> Order:
    """An unpaid order of one producer: ``lines`` are (product, quantity, unit price in fen)."""
    serial = next(_serial)
    subtotal = sum(quantity * price for _p, quantity, price in lines)
    checkout = Checkout(
        number=f"L{secrets.randbelow(10**9):09d}{serial:05d}",
        buyer=buyer,
        method=PaymentMethod.BANK_TRANSFER,
        total_fen=subtotal + shipping_fen,
        idempotency_key=secrets.token_hex(16),
        reserved_until=datetime.now(UTC) + timedelta(days=2),
    )
    order = Order(
        number=f"{secrets.randbelow(10**7):07d}{serial:05d}",
        checkout=checkout,
        buyer_id=buyer.id,
        producer_id=lines[0][0].producer_id,
        recipient="李四",
        mobile="13912345678",
        province="山东省",
        city="临沂市",
        district="兰山区",
        address_detail="银雀山路 1 号",
        subtotal_fen=subtotal,
        shipping_fen=shipping_fen,
        staff_institution_id=staff_institution.id if staff_institution is not None else None,
    )
    for product, quantity, price in lines:
        order.lines.append(
            OrderLine(
                product_id=product.id,
                product_name=product.name,
                unit=str(product.unit),
                unit_price_fen=price,
                quantity=quantity,
            )
        )
    db.add_all([checkout, order])
    db.flush()
    return order


def pay(db: Session, order: Order, at: datetime) -> int:
    """Mark ``order`` paid at ``at`` and write it to the ledger, as the payment hooks do."""
    order.status = OrderStatus.PAID
    order.paid_at = at
    order.checkout.paid_at = at
    db.flush()
    return record_order_paid(db, order)


def refund(db: Session, order: Order, quantities: dict[OrderLine, int], at: datetime) -> Refund:
    """Refund units of a paid order at ``at`` (goods only) and write it to the ledger, as refunds do."""
    goods = sum(quantity * line.unit_price_fen for line, quantity in quantities.items())
    made = Refund(order=order, amount_fen=goods, reason="测试退款", created_at=at)
    for line, quantity in quantities.items():
        made.lines.append(RefundLine(line=line, quantity=quantity))
        line.refunded_quantity += quantity
    order.refunded_fen += goods
    db.add(made)
    db.flush()
    record_refund(db, made)
    return made


def make_supplier_order(
    db: Session,
    institution: Institution,
    buyer: User,
    lines: list[tuple[Product, int, int, int]],
    *,
    funding: FundingSource = FundingSource.BUDGET,
    status: SupplierStatus = SupplierStatus.RECEIVED,
    at: datetime | None = None,
    send: bool = True,
) -> SupplierOrder:
    """A supplier order of one producer: ``lines`` are (product, requested, received, unit price in fen).

    ``status=RECEIVED`` (with ``at``) is a confirmed receipt: the signal is sent (``send``), as the receipt
    code does; ``SHIPPED`` leaves it on its way (no received quantities, no signal).
    """
    serial = next(_serial)
    received = status in (SupplierStatus.RECEIVED, SupplierStatus.SETTLED)
    purchase = PurchaseOrder(
        number=f"PO-T-{serial:06d}-{secrets.randbelow(10**6):06d}",
        institution=institution,
        buyer_id=buyer.id,
        status=PurchaseStatus.APPROVED,
        funding_source=funding,
        delivery_date=date(2024, 1, 1),
        recipient="王食堂",
        mobile="13912345678",
        province="山东省",
        city="临沂市",
        district="兰山区",
        address_detail="北京路 1 号",
        total_fen=sum(requested * price for _p, requested, _r, price in lines),
        idempotency_key=secrets.token_hex(16),
    )
    order = SupplierOrder(
        number=f"SO-T-{serial:06d}-{secrets.randbelow(10**6):06d}",
        purchase_order=purchase,
        producer_id=lines[0][0].producer_id,
        status=status,
        shipped_at=at,
        received_at=at if received else None,
    )
    for product, requested, got, price in lines:
        order.lines.append(
            SupplierLine(
                product_id=product.id,
                product_name=product.name,
                unit=str(product.unit),
                unit_price_fen=price,
                requested_quantity=requested,
                decision=LineDecision.CONFIRMED,
                confirmed_quantity=requested,
                received_quantity=got if received else None,
            )
        )
    db.add_all([purchase, order])
    db.flush()
    if received and send:
        supplier_order_received.send(order, session=db)
    return order


def entries(db: Session, **where: Any) -> list[SalesEntry]:
    """Ledger entries matching column = value filters, in id order."""
    query = select(SalesEntry).order_by(SalesEntry.id)
    for name, value in where.items():
        query = query.where(getattr(SalesEntry, name) == value)
    return list(db.scalars(query))


def totals(db: Session, model: type[SalesEntry] | type[DailyRollup] = SalesEntry) -> tuple[int, int]:
    """(all sales, certified sales) in fen, from the ledger or the roll-up."""
    every = db.scalar(select(func.coalesce(func.sum(model.amount_fen), 0)))
    certified = db.scalar(
        select(func.coalesce(func.sum(model.amount_fen), 0)).where(model.is_certified.is_(True))
    )
    return int(every or 0), int(certified or 0)
