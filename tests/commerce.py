"""Fixtures for the commerce tests (orders, payments, procurement, stats, faults): localstripe per test
session, Stripe settings, a small shop, checkouts. Loaded for every test by ``tests/conftest.py``.

localstripe (PyPI) is a stateful fake of Stripe's API. It is started once per session — once per pytest-xdist
worker, each on a free loopback port — and stopped at the end (see ``tests/payments/localstripe.py`` for
where it is looked for). Only tests that ask for ``stripe_config`` (or ``localstripe``) start it.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.db import utcnow
from core.models import User
from orders.models import (
    Allocation,
    Checkout,
    Order,
    OrderLine,
    PaymentMethod,
)
from payments.gateway import StripeGateway
from tests.payments import localstripe as ls
from traceability.batches.inventory import draw_stock
from traceability.models import Batch

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a localstripe server started for this session (this worker) and stopped after it."""
    process, base = ls.start(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    try:
        yield base
    finally:
        ls.stop(process)


@pytest.fixture()
def stripe_config(app: Flask, localstripe: str) -> Iterator[dict[str, Any]]:
    """Point the app at localstripe with test keys for one test, then restore its settings."""
    settings = {
        "STRIPE_SECRET_KEY": ls.SECRET_KEY,
        "STRIPE_API_BASE": localstripe,
        "STRIPE_WEBHOOK_SECRET": ls.WEBHOOK_SECRET,
        # localstripe 1.15 refuses `allowed_payment_method_types`, which the SDK's API version needs: none
        "STRIPE_PAYMENT_METHOD_TYPES": [],
    }
    missing = object()
    saved = {key: app.config.get(key, missing) for key in settings}
    app.config.update(settings)
    yield settings
    for key, value in saved.items():
        if value is missing:
            app.config.pop(key, None)
        else:
            app.config[key] = value


@pytest.fixture()
def gateway(app: Flask, stripe_config: dict[str, Any]) -> StripeGateway:
    """The app's Stripe gateway, pointed at localstripe."""
    return StripeGateway.from_config(app.config)


@dataclass
class Shop:
    """Two producers (疏勒县 vegetables, 城口县 cured pork) with a batch each, and a buyer."""

    buyer: User
    owner_a: User
    owner_b: User
    producer_a: Producer
    producer_b: Producer
    product_a: Product
    product_b: Product
    batch_a: Batch
    batch_b: Batch


@pytest.fixture()
def shop(
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> Shop:
    """A small shop to buy from; its people read English (so tests can match messages before translation)."""
    owner_a, owner_b = make_user(name="绿源合作社"), make_user(name="城口腊肉")
    buyer = make_user(name="消费者")
    for user in (owner_a, owner_b, buyer):
        user.locale = "en"
    producer_a = make_producer(owner=owner_a)
    producer_b = make_producer(owner=owner_b, county_code="500229")
    product_a = make_product(producer_a, name="疏勒县西红柿", price_fen=1250, certified=True)
    product_b = make_product(
        producer_b, name="城口老腊肉", price_fen=6800, certified=True, category=Category.MEAT
    )
    return Shop(
        buyer=buyer,
        owner_a=owner_a,
        owner_b=owner_b,
        producer_a=producer_a,
        producer_b=producer_b,
        product_a=product_a,
        product_b=product_b,
        batch_a=make_batch(product_a, quantity=50),
        batch_b=make_batch(product_b, quantity=20),
    )


@pytest.fixture()
def make_checkout(db: Session) -> Callable[..., Checkout]:
    """Factory: ``make_checkout(buyer, [(batch, quantity), …], method=…, shipping_fen=…)`` → a checkout.

    Built directly with the models, as the checkout service leaves it: one order per producer, lines at the
    product's price, stock drawn from the given batches, orders pending payment, reserved for
    ``reserve_minutes`` (negative: already expired), a bank reference for offline methods.
    """

    def make(
        buyer: User,
        items: list[tuple[Batch, int]],
        *,
        method: PaymentMethod = PaymentMethod.STRIPE,
        shipping_fen: int = 0,
        reserve_minutes: int = 30,
    ) -> Checkout:
        serial = next(_numbers)
        groups: dict[int, list[tuple[Batch, int]]] = {}
        for batch, quantity in items:
            groups.setdefault(batch.producer_id, []).append((batch, quantity))
        checkout = Checkout(
            number=f"T{secrets.randbelow(10**9):09d}{serial:04d}",
            buyer=buyer,
            method=method,
            total_fen=sum(b.product.price_fen * q for b, q in items) + shipping_fen * len(groups),
            idempotency_key=secrets.token_hex(16),
            payment_reference=f"BF{secrets.token_hex(4).upper()}" if method.is_offline else None,
            reserved_until=utcnow() + timedelta(minutes=reserve_minutes),
        )
        db.add(checkout)
        for group in groups.values():
            order = Order(
                number=f"{secrets.randbelow(10**8):08d}{serial:04d}",
                checkout=checkout,
                buyer_id=buyer.id,
                producer_id=group[0][0].producer_id,
                recipient="李四",
                mobile="13912345678",
                province="山东省",
                city="临沂市",
                district="兰山区",
                address_detail="银雀山路 1 号",
                subtotal_fen=sum(b.product.price_fen * q for b, q in group),
                shipping_fen=shipping_fen,
            )
            db.add(order)
            for batch, quantity in group:
                line = OrderLine(
                    order=order,
                    product_id=batch.product.id,
                    product_name=batch.product.name,
                    unit=str(batch.product.unit),
                    unit_price_fen=batch.product.price_fen,
                    quantity=quantity,
                )
                db.add(line)
                draw_stock(db, batch, quantity)
                line.allocations.append(Allocation(batch_id=batch.id, quantity=quantity))
        db.flush()
        return checkout

    return make


def yuan(fen: int) -> str:
    """Integer fen as an administrator types it into an amount field, e.g. 13600 → "136.00"."""
    return f"{fen // 100}.{fen % 100:02d}"


@pytest.fixture()
def make_admin(db: Session, make_user: Callable[..., User]) -> Callable[[], User]:
    """Factory: ``make_admin()`` → a platform administrator who reads English (tests match its pages)."""

    def make() -> User:
        admin = make_user(name="平台财务", is_admin=True)
        admin.locale = "en"
        db.flush()
        return admin

    return make


@pytest.fixture()
def confirm_transfer(
    make_admin: Callable[[], User], as_user: Callable[[User | None], FlaskClient]
) -> Callable[..., TestResponse]:
    """Factory: ``confirm_transfer(checkout, amount_fen=None, reference=None, admin=None)`` → the response of
    a platform administrator confirming the checkout's bank transfer on the desk.

    The amount defaults to what is due (the checkout's orders awaiting payment), the bank's reference to a
    fresh one; ``admin`` defaults to a new administrator (one per factory).
    """
    admins: list[User] = []

    def confirm(
        checkout: Checkout,
        amount_fen: int | None = None,
        reference: str | None = None,
        admin: User | None = None,
    ) -> TestResponse:
        if admin is None:
            if not admins:
                admins.append(make_admin())
            admin = admins[0]
        if amount_fen is None:
            amount_fen = sum(o.total_fen for o in checkout.orders if o.status.value == "pending_payment")
        form = {
            "amount": yuan(amount_fen),
            "bank_reference": reference or f"BK{secrets.token_hex(6).upper()}",
        }
        return as_user(admin).post(f"/payments/transfers/{checkout.number}/confirm", data=form)

    return confirm
