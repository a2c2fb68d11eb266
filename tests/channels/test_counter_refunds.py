"""A counter sale refunded through the payments pages (the generic refund path) shows on the counter's
closing report of the day it was given back, and its units return to the counter's stock of that lot —
never those of a recalled lot."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product, Unit
from channels.counters import reports, sales
from channels.counters.models import ConsignedStock, CounterPayment, CounterRefund, CounterSale
from core.clock import shanghai_date
from core.models import Region, User
from procurement.institutions.models import Institution
from stats.models import EntryKind, SalesEntry
from tests.channels.support import give_counter, sale_key, stock_counter
from traceability.models import Batch
from traceability.recall.services import recall_batch

SHENZHEN = "500000"  # 重庆市 (the seeded tree holds no partner city)


@pytest.fixture()
def shelf(
    db: Session,
    region: Callable[[str], Region],
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> tuple[object, Batch]:
    """A counter holding 30 kg of a certified lot (of 100), consigned and received."""
    operator = make_user(name="专柜店长")
    make_institution(member=operator)
    producer = make_producer(owner=make_user(name="合作社"))
    product = make_product(producer, price_fen=3000, certified=True, unit=Unit.KG)
    batch = make_batch(product, quantity=100)
    counter = give_counter(db, operator, region(SHENZHEN))
    stock_counter(db, counter, batch, 30)
    return counter, batch


def _stock(db: Session, counter_id: int) -> tuple[int, int]:
    """(units on hand, units sold) of the counter's only lot."""
    db.expire_all()
    stock = db.scalars(select(ConsignedStock).where(ConsignedStock.counter_id == counter_id)).one()
    return stock.quantity, stock.sold_total


def test_a_refund_on_the_payments_pages_shows_on_the_closing_report_and_returns_the_stock(
    db: Session, shelf: tuple, make_admin: Callable[[], User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    counter, batch = shelf
    sold = sales.sell(
        db, counter.operator, counter, sales.SaleInput(batch.lot_code, 4, CounterPayment.CASH, sale_key())
    )
    other = sales.sell(
        db, counter.operator, counter, sales.SaleInput(batch.lot_code, 1, CounterPayment.QR, sale_key())
    )
    assert _stock(db, counter.id) == (25, 5)
    admin = as_user(make_admin())
    order = db.get(CounterSale, sold.id).order  # type: ignore[union-attr]
    line = order.lines[0]
    partial = admin.post(
        f"/payments/orders/{order.id}/refund", data={"reason": "顾客退回 1 公斤", f"line_{line.id}": "1"}
    )
    assert partial.status_code == 302, partial.get_data(as_text=True)[:500]
    assert _stock(db, counter.id) == (26, 4)
    everything = admin.post(
        f"/payments/orders/{order.id}/refund", data={"reason": "全部退回", "everything": "1"}
    )
    assert everything.status_code == 302
    assert _stock(db, counter.id) == (29, 1)

    refunds = db.scalars(select(CounterRefund).where(CounterRefund.counter_id == counter.id)).all()
    assert sorted((r.quantity, r.restocked, r.amount_fen) for r in refunds) == [(1, 1, 3000), (3, 3, 9000)]
    report = reports.closing_report(db, counter, shanghai_date())
    assert (report.total_fen, report.sales_count) == (15000, 2)  # the sales stay as made
    assert (report.refunds_count, report.refunded_fen, report.refunded_counted_fen) == (2, 12000, 12000)
    assert (report.net_fen, report.net_counted_fen) == (3000, 3000)
    assert [(r.quantity, r.restocked, r.amount_fen) for r in report.refunds] == [(4, 4, 12000)]
    assert report.returned.kg == Decimal(4)
    assert report.stock_left.kg == Decimal(29)
    taken_back = db.scalars(select(SalesEntry).where(SalesEntry.kind == EntryKind.REFUND)).all()
    assert sum(e.amount_fen for e in taken_back) == -12000  # the ledger agrees with the report
    page = as_user(counter.operator).get(f"/channels/counters/{counter.id}/closing").get_data(as_text=True)
    assert "¥120.00" in page and "¥30.00" in page
    assert other.order.status.value == "completed"


def test_a_refunded_sale_of_a_recalled_lot_never_goes_back_on_the_shelf(
    db: Session, shelf: tuple, make_admin: Callable[[], User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    counter, batch = shelf
    sold = sales.sell(
        db, counter.operator, counter, sales.SaleInput(batch.lot_code, 2, CounterPayment.CASH, sale_key())
    )
    admin_user = make_admin()
    recall_batch(db, admin_user, batch, "抽检不合格")
    before = _stock(db, counter.id)
    response = as_user(admin_user).post(
        f"/payments/orders/{sold.order_id}/refund", data={"reason": "召回退款", "everything": "1"}
    )
    assert response.status_code == 302
    assert _stock(db, counter.id) == before
    refund = db.scalars(select(CounterRefund).where(CounterRefund.sale_id == sold.id)).one()
    assert (refund.quantity, refund.restocked, refund.amount_fen) == (2, 0, 6000)
    report = reports.closing_report(db, counter, shanghai_date())
    assert report.refunded_fen == 6000 and report.returned.kg == Decimal(0)
