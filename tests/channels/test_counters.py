"""Counters and fairs: consigned stock moves along the lot's trail; a quick sale by scanning a label makes a
paid order of that very lot, in the ledger under the counter's channel; recalled and uncertified lots are
refused (or sold as not counted when the operator says so, and reported as leakage); the day's closing report
sums."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product, Unit
from channels.counters import reports, sales
from channels.counters.errors import (
    CodeNotRecognised,
    ConsignedStockShort,
    CounterClosed,
    NotAnOperator,
    NotConsignedHere,
)
from channels.counters.models import ConsignedStock, CounterKind, CounterPayment, CounterSale
from core.clock import shanghai_date
from core.db import utcnow
from core.models import Region, User
from orders.channel import Channel
from orders.models import Allocation, Order, OrderStatus
from procurement.institutions.models import Institution
from stats.models import SalesEntry
from tests.channels.support import give_counter, sale_key, stock_counter
from tests.conftest import row_count
from traceability.holds.models import HoldReason
from traceability.holds.services import place_hold
from traceability.links import trace_path
from traceability.models import Batch, EventKind, TraceEvent
from traceability.recall.services import recall_batch
from traceability.serials import create_serials

SHENZHEN = "500000"  # 重庆市 (the seeded tree holds no partner city)


@pytest.fixture()
def operator(make_user: Callable[..., User], make_institution: Callable[..., Institution]) -> User:
    """A member of a verified institution (a partner city's union), who runs the counter."""
    user = make_user(name="专柜店长")
    make_institution(member=user)
    return user


@pytest.fixture()
def shelf(
    db: Session,
    operator: User,
    region: Callable[[str], Region],
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> tuple[object, Batch]:
    """A counter holding 30 kg of a certified lot (of 100), consigned and received."""
    producer = make_producer(owner=make_user(name="合作社"))
    product = make_product(producer, price_fen=3000, certified=True, unit=Unit.KG)
    batch = make_batch(product, quantity=100)
    counter = give_counter(db, operator, region(SHENZHEN))
    stock_counter(db, counter, batch, 30)
    return counter, batch


def _sell(client: FlaskClient, counter_id: int, code: str, quantity: int = 1, **extra: str) -> object:
    data = {"code": code, "quantity": str(quantity), "payment": "qr", "key": sale_key(), **extra}
    return client.post(f"/channels/counters/{counter_id}/sell", data=data)


def test_consigning_moves_stock_and_the_counter_becomes_a_trace_point(
    db: Session, shelf: tuple, client: FlaskClient
) -> None:
    counter, batch = shelf
    db.refresh(batch)
    assert batch.quantity_available == 70  # left the online stock
    stock = db.scalars(select(ConsignedStock).where(ConsignedStock.counter_id == counter.id)).one()
    assert (stock.batch_id, stock.quantity, stock.received_total) == (batch.id, 30, 30)
    events = db.scalars(
        select(TraceEvent).where(TraceEvent.batch_id == batch.id).order_by(TraceEvent.seq)
    ).all()
    assert [e.kind for e in events[-2:]] == [EventKind.SHIPPING, EventKind.RECEIVING]
    assert counter.name in events[-1].place
    assert events[-1].actor_name == counter.operator_name
    trace = client.get(f"/t/{batch.lot_code}").get_data(as_text=True)
    assert counter.name in trace  # the public trace page shows the counter as a step of the lot


def test_a_sale_by_lot_code_allocates_that_batch_and_enters_the_ledger(
    db: Session, shelf: tuple, as_user: Callable[[User | None], FlaskClient]
) -> None:
    counter, batch = shelf
    response = _sell(as_user(counter.operator), counter.id, batch.lot_code.lower(), 4)
    assert response.status_code == 302
    db.expire_all()
    sale = db.scalars(select(CounterSale).where(CounterSale.counter_id == counter.id)).one()
    assert (sale.batch_id, sale.quantity, sale.amount_fen, sale.is_counted) == (batch.id, 4, 12000, True)
    order = sale.order
    assert order.channel is Channel.COUNTER and order.channel_ref == f"counter:{counter.id}"
    assert order.status is OrderStatus.COMPLETED and order.paid_at is not None
    allocation = db.scalars(select(Allocation).where(Allocation.line_id == order.lines[0].id)).one()
    assert (allocation.batch_id, allocation.quantity) == (batch.id, 4)
    stock = db.scalars(select(ConsignedStock).where(ConsignedStock.counter_id == counter.id)).one()
    assert (stock.quantity, stock.sold_total) == (26, 4)
    db.refresh(batch)
    assert batch.quantity_available == 70  # the counter's units were already off the online stock
    entry = db.scalars(select(SalesEntry).where(SalesEntry.source_id == order.lines[0].id)).one()
    assert (entry.channel, entry.amount_fen, entry.is_certified) == (Channel.COUNTER, 12000, True)


def test_a_sale_by_digital_link_or_serial_finds_the_lot(
    db: Session, shelf: tuple, as_user: Callable[[User | None], FlaskClient]
) -> None:
    counter, batch = shelf
    unit = create_serials(db, batch.producer.members[0].user, batch, 2)[0]
    client = as_user(counter.operator)
    assert _sell(client, counter.id, "http://trace.test" + trace_path(batch, unit.serial)).status_code == 302
    assert _sell(client, counter.id, unit.serial).status_code == 302
    assert sales.resolve_code(db, "http://trace.test" + trace_path(batch)).id == batch.id
    with pytest.raises(CodeNotRecognised):
        sales.resolve_code(db, "http://trace.test" + trace_path(batch, "not-a-serial"))
    db.expire_all()
    assert (
        db.scalars(select(ConsignedStock.quantity).where(ConsignedStock.counter_id == counter.id)).one() == 28
    )


def test_a_recalled_lot_is_refused_and_nothing_is_written(
    db: Session, shelf: tuple, as_user: Callable[[User | None], FlaskClient], english: None
) -> None:
    counter, batch = shelf
    recall_batch(db, batch.producer.members[0].user, batch, "检出农药残留超标")
    orders_before = row_count(db, "shop_order")
    response = _sell(as_user(counter.operator), counter.id, batch.lot_code, 1)
    assert response.status_code == 409
    assert "has been recalled" in response.get_data(as_text=True)
    assert row_count(db, "shop_order") == orders_before
    assert row_count(db, "channels_counter_sale") == 0


def test_a_lot_on_hold_is_refused_at_the_counter(
    db: Session, shelf: tuple, as_user: Callable[[User | None], FlaskClient], english: None
) -> None:
    counter, batch = shelf
    place_hold(
        db, batch, HoldReason.COLD_CHAIN, occurred_at=utcnow(), place="深圳冷库", summary="−9 °C，超出 −18 °C"
    )
    response = _sell(as_user(counter.operator), counter.id, batch.lot_code, 1)
    assert response.status_code == 409 and "is on hold" in response.get_data(as_text=True)
    assert row_count(db, "channels_counter_sale") == 0


def test_an_uncertified_product_is_refused_unless_sold_as_not_counted_and_then_reported_as_leakage(
    db: Session,
    operator: User,
    region: Callable[[str], Region],
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    make_user_admin: User,
    as_user: Callable[[User | None], FlaskClient],
    english: None,
) -> None:
    producer = make_producer(owner=make_user())
    product = make_product(producer, price_fen=1500, certified=False, unit=Unit.PIECE, net_weight_g=500)
    batch = make_batch(product, quantity=20)
    counter = give_counter(db, operator, region(SHENZHEN))
    stock_counter(db, counter, batch, 10)
    client = as_user(operator)
    refused = _sell(client, counter.id, batch.lot_code, 2)
    assert refused.status_code == 409
    assert "would not count" in refused.get_data(as_text=True)
    assert row_count(db, "channels_counter_sale") == 0
    assert _sell(client, counter.id, batch.lot_code, 2, sell_uncounted="y").status_code == 302
    db.expire_all()
    sale = db.scalars(select(CounterSale)).one()
    assert sale.is_counted is False
    entry = db.scalars(select(SalesEntry).where(SalesEntry.source_id == sale.order.lines[0].id)).one()
    assert entry.is_certified is False  # an ordinary sale, never counted
    today = shanghai_date()
    page = reports.leakage(db, today.replace(day=1), today + timedelta(days=31), 1)
    line = next(item for item in page.items if item.counter.id == counter.id)
    assert (line.sales_fen, line.uncounted_fen, line.uncounted_sales) == (3000, 3000, 1)
    html = as_user(make_user_admin).get("/channels/counters/leakage").get_data(as_text=True)
    assert counter.name in html
    order = sale.order
    refund = as_user(make_user_admin).post(
        f"/payments/orders/{order.id}/refund", data={"reason": "顾客退货", f"line_{order.lines[0].id}": "1"}
    )
    assert refund.status_code == 302, refund.get_data(as_text=True)[:300]
    page = reports.leakage(db, today.replace(day=1), today + timedelta(days=31), 1)
    line = next(item for item in page.items if item.counter.id == counter.id)
    assert (line.sales_fen, line.uncounted_fen, line.uncounted_sales) == (1500, 1500, 1)  # one of two back


@pytest.fixture()
def make_user_admin(make_user: Callable[..., User]) -> User:
    """A platform administrator."""
    return make_user(is_admin=True)


def test_short_stock_and_lots_not_consigned_here_are_refused(
    db: Session, shelf: tuple, make_batch: Callable[..., Batch]
) -> None:
    counter, batch = shelf
    with pytest.raises(ConsignedStockShort):
        sales.sell(
            db,
            counter.operator,
            counter,
            sales.SaleInput(batch.lot_code, 31, CounterPayment.CASH, sale_key()),
        )
    other = make_batch(batch.product, quantity=5)
    with pytest.raises(NotConsignedHere):
        sales.sell(
            db, counter.operator, counter, sales.SaleInput(other.lot_code, 1, CounterPayment.CASH, sale_key())
        )


def test_the_same_sale_sent_twice_is_made_once(db: Session, shelf: tuple) -> None:
    counter, batch = shelf
    sale = sales.SaleInput(batch.lot_code, 3, CounterPayment.CARD, sale_key())
    first = sales.sell(db, counter.operator, counter, sale)
    again = sales.sell(db, counter.operator, counter, sale)
    assert first.id == again.id
    assert (
        db.scalars(select(ConsignedStock.quantity).where(ConsignedStock.counter_id == counter.id)).one() == 27
    )


def test_a_fair_sells_only_between_its_dates(
    db: Session, operator: User, region: Callable[[str], Region], shelf: tuple
) -> None:
    _counter, batch = shelf
    today = shanghai_date()
    fair = give_counter(
        db,
        operator,
        region(SHENZHEN),
        kind=CounterKind.FAIR,
        starts_on=today + timedelta(days=1),
        ends_on=today + timedelta(days=3),
        name="深圳对口帮扶展销会",
    )
    assert fair.channel is Channel.FAIR
    stock_counter(db, fair, batch, 5)
    with pytest.raises(CounterClosed):
        sales.sell(db, operator, fair, sales.SaleInput(batch.lot_code, 1, CounterPayment.CASH, sale_key()))


def test_only_organisations_open_counters(
    db: Session, make_user: Callable[..., User], region: Callable[[str], Region]
) -> None:
    from channels.counters import services

    consumer = make_user()
    assert services.operator_names(db, consumer) == []
    data = services.CounterData("随便", "专柜", "地址", region(SHENZHEN), CounterKind.COUNTER)
    with pytest.raises(NotAnOperator):
        services.open_counter(db, consumer, data)


def test_the_closing_report_sums_by_product_and_payment_and_never_mixes_units(
    db: Session,
    shelf: tuple,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    counter, kg_batch = shelf
    jin_product = make_product(kg_batch.product.producer, price_fen=1000, certified=True, unit=Unit.JIN)
    jin_batch = make_batch(jin_product, quantity=50)
    box_product = make_product(
        kg_batch.product.producer, price_fen=5000, certified=True, unit=Unit.BOX, net_weight_g=2500
    )
    box_batch = make_batch(box_product, quantity=10)
    stock_counter(db, counter, jin_batch, 20)
    stock_counter(db, counter, box_batch, 4)
    op = counter.operator
    for code, quantity, payment in (
        (kg_batch.lot_code, 2, CounterPayment.CASH),  # 2 kg × ¥30
        (kg_batch.lot_code, 1, CounterPayment.QR),  # 1 kg × ¥30
        (jin_batch.lot_code, 3, CounterPayment.QR),  # 3 斤 × ¥10
        (box_batch.lot_code, 1, CounterPayment.CARD),  # 1 box × ¥50
    ):
        sales.sell(db, op, counter, sales.SaleInput(code, quantity, payment, sale_key()))
    report = reports.closing_report(db, counter, shanghai_date())
    assert report.sales_count == 4
    assert report.total_fen == report.counted_fen == 6000 + 3000 + 3000 + 5000
    assert report.uncounted_fen == 0
    assert report.by_payment == {
        CounterPayment.CASH: 6000,
        CounterPayment.QR: 6000,
        CounterPayment.CARD: 5000,
    }
    by_product = {line.name: (line.quantity, line.amount_fen) for line in report.products}
    assert by_product[kg_batch.product.name] == (3, 9000)
    assert report.sold.kg == Decimal("4.5")  # 3 kg + 3 斤, in kilograms
    assert report.sold.counts == {"box": 1}  # boxes are never added to the weight
    assert report.stock_left.kg == Decimal(27) + Decimal("8.5")
    assert report.stock_left.counts == {"box": 3}
    page = as_user(op).get(f"/channels/counters/{counter.id}/closing")
    assert page.status_code == 200
    assert as_user(op).get(f"/channels/counters/{counter.id}/closing?day=2026-13-01").status_code == 400


def test_the_order_channel_defaults_to_online_and_staff_stays_staff(db: Session) -> None:
    from stats.dimensions import Dimensions

    order = Order(channel=Channel.ONLINE, staff_institution_id=None)
    assert Dimensions(db).order_buyer(order).channel is Channel.ONLINE


def test_the_public_results_explain_what_each_channel_may_count(client: FlaskClient, english: None) -> None:
    html = client.get("/stats/").get_data(as_text=True)
    assert "What each channel may count" in html
    assert "Halls, counters and zones" in html and "Livestreams" in html
