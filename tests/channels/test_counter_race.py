"""Two quick sales at the same moment cannot sell more than the counter holds of a lot.

Like tests/procurement/test_spending_limit_concurrency.py this runs on the real database (SQLite or
PostgreSQL) with committed rows: an engine of its own, one session per thread, both threads selling 3 of the 5
units at once. The stock moves with one conditional UPDATE, so exactly one sale goes through. Everything it
committed is deleted again at the end (ledger and roll-up rows of the ``counter`` channel are its own).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import pytest
from flask import Flask
from sqlalchemy import Engine, Table, delete, select, update
from sqlalchemy.orm import Session

from catalog.counts.services import rebuild_counts
from catalog.producers.models import MemberRole, Producer, ProducerKind, ProducerMember, ProducerStatus
from catalog.products.models import Category, Certification, CertificationStatus, Product, Unit
from channels.counters.errors import ConsignedStockShort
from channels.counters.models import ConsignedStock, Counter, CounterKind, CounterPayment, CounterSale
from channels.counters.sales import SaleInput, sell
from core.clock import shanghai_date
from core.db import make_engine
from core.models import User
from core.regions import get_region
from core.transactions import run_unit_of_work
from orders.models import Allocation, Checkout, Order, OrderLine
from stats.ledger import ROLLUPS
from stats.models import SalesEntry
from traceability.models import Batch

_run = itertools.count(1)


@dataclass
class Seeded:
    """Committed rows: an operator's counter holding 5 units of a certified lot."""

    operator_id: int
    counter_id: int
    batch_id: int
    lot_code: str
    product_id: int
    producer_id: int
    user_ids: list[int]


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database (outside the rolled-back test transaction)."""
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def seeded(engine: Engine) -> Iterator[Seeded]:
    """Commit a producer, a certified product, a lot of it, and a counter holding 5 of its units."""
    run = next(_run)
    today = shanghai_date()
    lot = f"RACE{secrets.token_hex(4).upper()}"
    with Session(engine) as session:
        owner = User(
            email=f"counter-race-owner-{run}-{lot}@example.test", display_name="合作社", password_hash="!"
        )
        operator = User(
            email=f"counter-race-op-{run}-{lot}@example.test", display_name="店长", password_hash="!"
        )
        county = get_region(session, "500229")
        city = get_region(session, "500000")
        assert county is not None and city is not None
        producer = Producer(
            name=f"专柜并发测试合作社{lot}",
            kind=ProducerKind.COOPERATIVE,
            status=ProducerStatus.APPROVED,
            county=county,
        )
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        product = Product(
            producer=producer, name="城口山地鸡", category=Category.POULTRY, unit=Unit.KG, price_fen=6800
        )
        product.certifications.append(
            Certification(
                status=CertificationStatus.CERTIFIED,
                certificate_no=f"XFBF-COUNTER-RACE-{lot}",
                authority="城口县乡村振兴局",
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
            )
        )
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        batch = Batch(
            lot_code=lot,
            product=product,
            producer=producer,
            quantity=20,
            quantity_available=15,
            produced_on=today - timedelta(days=1),
            best_before=today + timedelta(days=20),
            origin_id=origin.id,
        )
        counter = Counter(
            operator=operator,
            operator_name="重庆市总工会",
            name="重庆并发测试专柜",
            address="渝中区 1 号",
            region_id=city.id,
            kind=CounterKind.COUNTER,
        )
        session.add_all([owner, operator, producer, product, batch, counter])
        session.flush()
        session.add(
            ConsignedStock(
                counter_id=counter.id,
                batch_id=batch.id,
                product_id=product.id,
                quantity=5,
                received_total=5,
                sold_total=0,
            )
        )
        session.commit()
        data = Seeded(
            operator.id, counter.id, batch.id, lot, product.id, producer.id, [owner.id, operator.id]
        )
    try:
        yield data
    finally:
        _clean_up(engine, data)


def _forget_sales(session: Session, data: Seeded) -> None:
    """Delete the counter's sales, their orders and their ledger and roll-up rows."""
    order_ids = select(CounterSale.order_id).where(CounterSale.counter_id == data.counter_id)
    checkout_ids = select(Order.checkout_id).where(Order.id.in_(order_ids))
    line_ids = select(OrderLine.id).where(OrderLine.order_id.in_(order_ids))
    # the ``counter`` channel is only ever written by counter sales: these rows are this test's
    session.execute(delete(SalesEntry).where(SalesEntry.channel == "counter"))
    for rollup in ROLLUPS:
        table = cast(Table, rollup.table)
        session.execute(delete(table).where(table.c.channel == "counter"))
    checkouts = list(session.scalars(checkout_ids))
    orders = list(session.scalars(order_ids))
    lines = list(session.scalars(line_ids))
    session.execute(delete(CounterSale).where(CounterSale.counter_id == data.counter_id))
    session.execute(delete(Allocation).where(Allocation.line_id.in_(lines)))
    session.execute(delete(OrderLine).where(OrderLine.id.in_(lines)))
    session.execute(delete(Order).where(Order.id.in_(orders)))
    session.execute(delete(Checkout).where(Checkout.id.in_(checkouts)))


def _clean_up(engine: Engine, data: Seeded) -> None:
    """Delete every row the test committed, children first."""
    with Session(engine) as session:
        _forget_sales(session, data)
        session.execute(delete(ConsignedStock).where(ConsignedStock.counter_id == data.counter_id))
        session.execute(delete(Counter).where(Counter.id == data.counter_id))
        session.execute(delete(Batch).where(Batch.id == data.batch_id))
        session.execute(delete(Certification).where(Certification.product_id == data.product_id))
        session.execute(delete(Product).where(Product.id == data.product_id))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id == data.producer_id))
        session.execute(delete(Producer).where(Producer.id == data.producer_id))
        session.execute(delete(User).where(User.id.in_(data.user_ids)))
        rebuild_counts(session)  # the bulk deletes above bypass the catalog counters' flush hook
        session.commit()


def race(app: Flask, engine: Engine, seeded: Seeded) -> list[Any]:
    """Two sales of 3 units of the lot, from two threads at once."""
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(index: int) -> None:
        with (
            app.test_request_context(f"/channels/counters/{seeded.counter_id}/sell", method="POST"),
            Session(engine) as session,
        ):
            operator = session.get(User, seeded.operator_id)
            counter = session.get(Counter, seeded.counter_id)
            assert operator is not None and counter is not None
            sale = SaleInput(seeded.lot_code, 3, CounterPayment.CASH, secrets.token_urlsafe(24))
            barrier.wait()
            try:
                made = run_unit_of_work(lambda: sell(session, operator, counter, sale), session)
                results[index] = made.quantity
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return results


def test_two_sales_at_once_cannot_oversell_the_counters_stock(
    app: Flask, engine: Engine, seeded: Seeded
) -> None:
    for _round in range(3):  # a few rounds, so the threads really overlap at least once on either database
        results = race(app, engine, seeded)
        sold = [r for r in results if r == 3]
        refused = [r for r in results if isinstance(r, ConsignedStockShort)]
        assert (len(sold), len(refused)) == (1, 1), results
        with Session(engine) as session:
            stock = session.scalars(
                select(ConsignedStock).where(ConsignedStock.counter_id == seeded.counter_id)
            ).one()
            assert (stock.quantity, stock.sold_total) == (2, 3)
            sales = session.scalars(
                select(CounterSale).where(CounterSale.counter_id == seeded.counter_id)
            ).all()
            assert [s.quantity for s in sales] == [3]
            _forget_sales(session, seeded)
            session.execute(
                update(ConsignedStock)
                .where(ConsignedStock.counter_id == seeded.counter_id)
                .values(quantity=5, sold_total=0)
            )
            session.commit()
