"""A webhook storm: the same signed Stripe event 100 times at once, mixed with stale events in any order.

Stripe delivers at least once, retries on any doubt and does not keep order. Whatever arrives, and however
many requests race, the checkout gets exactly one payment, its orders are paid once, the statistics ledger
counts the sale once (one entry per order line, every roll-up grown by exactly that), and every delivery is
answered with a clean status (200, or 503 "retry later" when SQLite made a writer wait too long) — never a
500. The deliveries go to a live threaded server over real connections, so the data is committed
(tests/faults/committed.py) and deleted afterwards.
"""

from __future__ import annotations

import http.client
import random
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from core.clock import shanghai_date
from core.db import make_engine, utcnow
from core.models import User
from core.regions import get_region
from orders.cart.checkout import place_checkout
from orders.models import (
    Checkout,
    Order,
    OrderStatus,
    PaymentMethod,
)
from payments.gateway import StripeGateway
from payments.models import Payment, PaymentStatus, StripeEvent
from payments.services import start_stripe_payment
from stats.models import (
    Channel,
    CountyMonthlyRollup,
    DailyRollup,
    EntryKind,
    EntrySource,
    MonthlyRollup,
    SalesEntry,
)
from tests.faults.committed import ADDRESS, Committed, clean_up, seed
from tests.payments import localstripe as ls

DELIVERIES = 100


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def paid_at_stripe(
    app: Flask, engine: Engine, stripe_config: dict[str, Any], gateway: StripeGateway
) -> Iterator[tuple[Committed, int, str]]:
    """A committed Stripe checkout whose PaymentIntent the buyer has just paid at Stripe (no webhook yet)."""
    data = seed(engine, quantities=(10,))
    county_before = county_rollup(engine)
    try:
        with app.test_request_context(), Session(engine) as session:
            buyer = session.get(User, data.buyer_ids[0])
            assert buyer is not None
            checkout = place_checkout(
                session, buyer, {data.product_id: 2}, ADDRESS, PaymentMethod.STRIPE, secrets.token_urlsafe(20)
            )
            intent = start_stripe_payment(session, checkout, gateway)
            session.commit()
            checkout_id = checkout.id
        ls.pay_at_stripe(gateway, intent.id)
        yield data, checkout_id, intent.id
    finally:
        with Session(engine) as session:
            session.execute(delete(StripeEvent).where(StripeEvent.id.like(f"evt_storm_{data.tag}%")))
            session.commit()
        clean_up(engine, data)
        # the clean-up took the sale out of the ledger and every roll-up again, and left the rest as it was
        with Session(engine) as session:
            for table in (SalesEntry, DailyRollup, MonthlyRollup):
                assert not session.scalar(select(func.count()).where(table.producer_id == data.producer_id))
        assert county_rollup(engine) == county_before


def _post(port: int, payload: str) -> tuple[int, str]:
    """One signed delivery over its own connection; the status and the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/payments/stripe/webhook",
            body=payload.encode(),
            headers={"Content-Type": "application/json", "Stripe-Signature": ls.signature_header(payload)},
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_one_payment_however_many_times_and_in_whatever_order_the_event_arrives(
    app: Flask, engine: Engine, gateway: StripeGateway, paid_at_stripe: tuple[Committed, int, str]
) -> None:
    data, checkout_id, intent_id = paid_at_stripe
    succeeded = ls.intent_snapshot(gateway, intent_id)
    stale = {**succeeded, "status": "requires_payment_method"}
    the_event = ls.event_payload("payment_intent.succeeded", succeeded, event_id=f"evt_storm_{data.tag}_paid")
    others = [
        ls.event_payload("payment_intent.created", stale, event_id=f"evt_storm_{data.tag}_created"),
        ls.event_payload("payment_intent.processing", stale, event_id=f"evt_storm_{data.tag}_processing"),
        ls.event_payload(
            "charge.succeeded", {"id": "ch_x", "object": "charge"}, event_id=f"evt_storm_{data.tag}_ch"
        ),
    ]
    deliveries = [the_event] * DELIVERIES + others * 3
    random.Random(7).shuffle(deliveries)

    county_before = county_rollup(engine)
    server = make_server("127.0.0.1", ls.free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
            answers = list(pool.map(lambda payload: _post(server.server_port, payload), deliveries))
    finally:
        server.shutdown()
        thread.join(timeout=10)

    statuses = Counter(status for status, _ in answers)
    bodies = Counter(body.strip() for status, body in answers if status == 200)
    # Never a 500: a 503 (SQLite made a writer give up) is Stripe's cue to deliver again.
    assert set(statuses) <= {200, 503}, (
        statuses,
        bodies,
        [b[:300] for s, b in answers if s not in (200, 503)],
    )
    assert bodies['{"status":"paid"}'] == 1, bodies
    # Deliveries refused with 503 are retried by Stripe: deliver those again, as it would, one by one.
    client = app.test_client()
    for (status, _body), payload in zip(answers, deliveries, strict=True):
        if status == 503:
            assert ls.signed_post(client, payload).status_code == 200
    assert ls.signed_post(client, the_event).get_json() == {"status": "duplicate"}
    with Session(engine) as session:
        payments = session.scalars(select(Payment).where(Payment.checkout_id == checkout_id)).all()
        assert [(p.status, p.provider_reference) for p in payments] == [(PaymentStatus.SUCCEEDED, intent_id)]
        stored = session.scalar(select(func.count()).where(StripeEvent.id.like(f"evt_storm_{data.tag}%")))
        assert stored == 1 + len(others)
        orders = session.scalars(select(Order).where(Order.checkout_id == checkout_id)).all()
        assert orders and {o.status for o in orders} == {OrderStatus.PAID}
        checkout = session.get(Checkout, checkout_id)
        assert checkout is not None and checkout.paid_at is not None and checkout.paid_at <= utcnow()
    assert_counted_once(engine, data, checkout_id, county_before)


def county_rollup(engine: Engine) -> dict[tuple[date, str], tuple[int, int, int]]:
    """The county-monthly roll-up rows of 疏勒县, the seeded county: (amount, quantity, entries) per key."""
    table = CountyMonthlyRollup
    with Session(engine) as session:
        county = get_region(session, "653122")
        assert county is not None
        rows = session.execute(
            select(table.day, table.dims, table.amount_fen, table.quantity, table.entries).where(
                table.county_id == county.id
            )
        )
        return {(day, dims): (amount, quantity, entries) for day, dims, amount, quantity, entries in rows}


def assert_counted_once(
    engine: Engine,
    data: Committed,
    checkout_id: int,
    county_before: dict[tuple[date, str], tuple[int, int, int]],
) -> None:
    """The statistics ledger counted the sale exactly once: one sale entry per order line for its goods
    amount, and every roll-up (daily, monthly, county-monthly) grew by exactly those entries."""
    with Session(engine) as session:
        orders = session.scalars(select(Order).where(Order.checkout_id == checkout_id)).all()
        lines = {line.id: line for order in orders for line in order.lines}
        entries = session.scalars(select(SalesEntry).where(SalesEntry.producer_id == data.producer_id)).all()
        assert sorted((e.source, e.source_id, e.kind) for e in entries) == sorted(
            (EntrySource.ORDER_LINE, line_id, EntryKind.SALE) for line_id in lines
        )
        for entry in entries:
            line = lines[entry.source_id]
            assert (entry.amount_fen, entry.quantity) == (line.quantity * line.unit_price_fen, line.quantity)
            assert entry.channel is Channel.ONLINE and entry.is_certified
        goods = sum(order.subtotal_fen for order in orders)
        assert sum(e.amount_fen for e in entries) == goods > 0
        quantity = sum(line.quantity for line in lines.values())
        (paid_at,) = {order.paid_at for order in orders}
        assert paid_at is not None
        day = shanghai_date(paid_at)
        for table, period in ((DailyRollup, day), (MonthlyRollup, day.replace(day=1))):
            rows = session.execute(
                select(table.day, table.amount_fen, table.quantity, table.entries).where(
                    table.producer_id == data.producer_id
                )
            ).all()
            assert [tuple(row) for row in rows] == [(period, goods, quantity, len(entries))], table.__name__
    after = county_rollup(engine)
    grown = {
        key: tuple(a - b for a, b in zip(value, county_before.get(key, (0, 0, 0)), strict=True))
        for key, value in after.items()
        if value != county_before.get(key)
    }
    assert list(grown.values()) == [(goods, quantity, len(entries))], grown
    assert next(iter(grown))[0] == day.replace(day=1)
