"""A producer selling through every channel at chosen moments, for the statement and payout tests.

Orders are built with :mod:`tests.stats.ledger_support` (the records as the services leave them, written to
the ledger by the same functions the payment hooks call), each line allocated to the producer's batch so a
recall reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.models import User
from orders.models import Allocation, Order, PaymentMethod
from payments.models import Refund
from tests.stats.ledger_support import make_order, pay, refund, utc
from traceability.models import Batch

PRICE = 1000
SHIPPING = 500


@dataclass
class Farm:
    """A Shule producer (owner reads English) with one product and batch, a buyer and two administrators."""

    producer: Producer
    owner: User
    product: Product
    batch: Batch
    buyer: User
    maker: User
    checker: User

    def sell(
        self,
        db: Session,
        quantity: int,
        at: datetime | date,
        method: PaymentMethod = PaymentMethod.STRIPE,
        shipping_fen: int = SHIPPING,
    ) -> Order:
        """A paid order of ``quantity`` units at ``PRICE`` (noon in Shanghai when ``at`` is a day)."""
        order = make_order(db, self.buyer, [(self.product, quantity, PRICE)], shipping_fen=shipping_fen)
        order.checkout.method = method
        order.lines[0].allocations.append(Allocation(batch_id=self.batch.id, quantity=quantity))
        pay(db, order, at if isinstance(at, datetime) else utc(at))
        return order

    def refund(self, db: Session, order: Order, quantity: int, at: datetime | date) -> Refund:
        """Refund ``quantity`` units of the order's line (goods only)."""
        return refund(db, order, {order.lines[0]: quantity}, at if isinstance(at, datetime) else utc(at))


@pytest.fixture()
def farm(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    make_admin: Callable[[], User],
) -> Farm:
    owner = make_user(name="疏勒社长")
    owner.locale = "en"
    producer = make_producer(owner, name="疏勒县绿源蔬菜种植农民专业合作社")
    product = make_product(producer, price_fen=PRICE, certified=True)
    batch = make_batch(product, quantity=1000)
    return Farm(producer, owner, product, batch, make_user(name="消费者"), make_admin(), make_admin())
