"""The recall list reaches every buyer: each consumer order and institution delivery holding units of the
batch or of anything made from it (reserved and unpaid too), with the buyer's contact, quantity, lot and
product, as one sortable spreadsheet in CSV and XLSX (what FSMA 204 asks within 24 hours).

Traceability cannot import orders or procurement: it asks through ``collect_recall_orders`` and the orders and
procurement packages answer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import Region, User
from orders.models import Checkout, OrderStatus, PaymentMethod
from procurement.ordering.models import LineDecision, SupplierOrder
from procurement.supplying.services import (
    AllocationInput,
    LineDecisionInput,
    decide_lines,
    ship_supplier_order,
)
from tests.procurement.conftest import ProcurementWorld
from traceability.batches.services import BatchData
from traceability.models import Batch
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches
from traceability.recall.export import HEADER

KIND, LOT, QTY, STATUS, DAY, SHIPPED = "类型", "批次号", "数量", "环节或状态", "日期", "发货日期"


@pytest.fixture()
def batch(pw: ProcurementWorld, make_batch: Callable[..., Batch]) -> Batch:
    return make_batch(pw.tomatoes, quantity=600)


@pytest.fixture()
def delivery(db: Session, pw: ProcurementWorld, submit: Callable, batch: Batch) -> SupplierOrder:
    """120 kg of the batch shipped to the institution."""
    order: SupplierOrder = submit({pw.tomatoes: 120}).supplier_orders[0]
    line = order.lines[0]
    decide_lines(db, pw.shule_owner, order, [LineDecisionInput(line.id, LineDecision.CONFIRMED)])
    return ship_supplier_order(
        db, pw.shule_owner, order, [AllocationInput(line.id, batch.id, 120)], "顺丰", "SF1"
    )


@pytest.fixture()
def sauce(
    db: Session, pw: ProcurementWorld, batch: Batch, make_product: Callable[..., Product], region: Callable
) -> Batch:
    """A batch of tomato sauce made from 50 kg of the batch."""
    product = make_product(pw.shule, name="番茄酱", category=Category.PROCESSED, price_fen=1500)
    today = shanghai_date()
    data = BatchData(30, today, today + timedelta(days=300), batch.origin)
    [made] = process_batches(
        db, pw.shule_owner, [ProcessInput(batch, 50)], [ProcessOutput(product, data)],
        occurred_at=utcnow(), place="疏勒县", process="熬制装瓶",
    )  # fmt: skip
    return made


def ship(checkout: Checkout, when: datetime) -> None:
    for order in checkout.orders:
        order.status, order.paid_at, order.shipped_at = OrderStatus.SHIPPED, when, when


def table(response: object) -> list[dict[str, str]]:
    body = response.data.decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body)))
    assert tuple(rows[0]) == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def test_every_affected_order_and_delivery_is_listed_with_its_buyers_contact(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    make_checkout: Callable[..., Checkout],
    region: Callable[[str], Region],
    make_batch: Callable[..., Batch],
    pw: ProcurementWorld,
    batch: Batch,
    delivery: SupplierOrder,
    sauce: Batch,
    db: Session,
) -> None:
    alice = make_user(email="alice@example.test", name="爱丽丝")
    bob = make_user(email="bob@example.test", name="鲍勃")
    reserved = make_checkout(alice, [(batch, 3)], method=PaymentMethod.BANK_TRANSFER)  # allocated, unpaid
    shipped = make_checkout(bob, [(batch, 2)])
    ship(shipped, utcnow() - timedelta(days=1))
    shipped.orders[0].recipient = "=HYPERLINK(1)"  # a name that a spreadsheet would run
    cancelled = make_checkout(bob, [(batch, 4)])  # its units went back to the batch
    cancelled.orders[0].status = OrderStatus.CANCELLED
    cancelled.orders[0].lines[0].allocations[0].returned_quantity = 4
    forward = make_checkout(alice, [(sauce, 1)])  # made from the batch
    make_checkout(bob, [(make_batch(pw.tomatoes, quantity=10), 1)])  # another batch: not listed
    db.flush()
    reviewer = make_user(counties=[region("653122")])
    response = as_user(reviewer).get(f"/producer/batches/{batch.id}/recall.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    rows = table(response)
    orders = [r for r in rows if r[KIND] != "追溯环节"]
    by_number = {r["单号"]: r for r in orders}
    assert set(by_number) == {
        reserved.orders[0].number, shipped.orders[0].number, forward.orders[0].number, delivery.number
    }  # fmt: skip
    first = by_number[reserved.orders[0].number]
    assert (first[KIND], first["方向"], first[LOT], first["产品"], first[QTY]) == (
        "消费者订单", "本批次", batch.lot_code, "测试西红柿", "3"
    )  # fmt: skip
    assert (first["接收方"], first["联系人"], first["联系电话"], first["电子邮箱"]) == (
        "爱丽丝", "李四", "13912345678", "alice@example.test"
    )  # fmt: skip
    assert first["收货地址"] == "山东省临沂市兰山区银雀山路 1 号" and first[SHIPPED] == ""
    assert first[STATUS] != "" and first[DAY] == shanghai_date().isoformat() and first["单位"] != ""
    late = by_number[shipped.orders[0].number]
    assert late[SHIPPED] == (shanghai_date() - timedelta(days=1)).isoformat() and late[QTY] == "2"
    assert late["联系人"] == "'=HYPERLINK(1)"  # shown as text, never run
    made = by_number[forward.orders[0].number]
    assert (made["方向"], made[LOT], made["产品"]) == ("下游(制成品)", sauce.lot_code, "番茄酱")
    po = by_number[delivery.number]
    purchase = delivery.purchase_order
    assert (po[KIND], po[LOT], po[QTY], po["所属采购单"], po["接收方"]) == (
        "采购订单", batch.lot_code, "120", purchase.number, pw.institution.name
    )  # fmt: skip
    assert (po["联系人"], po["联系电话"], po["电子邮箱"]) == ("王食堂", "13912345678", pw.buyer.email)
    assert po[SHIPPED] == shanghai_date().isoformat() and po["发出方"] == pw.shule.name
    kinds = {"追溯环节": 0, "消费者订单": 1, "采购订单": 2}
    keys = [(kinds[r[KIND]], r[LOT], r[DAY]) for r in rows]
    assert keys == sorted(keys)  # a stable order: kind, lot, date (then number)
    assert table(as_user(reviewer).get(f"/producer/batches/{batch.id}/recall.csv")) == rows


def test_the_xlsx_holds_the_same_rows_sortable_with_dates_and_numbers(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    make_checkout: Callable[..., Checkout],
    pw: ProcurementWorld,
    batch: Batch,
    delivery: SupplierOrder,
    db: Session,
) -> None:
    checkout = make_checkout(make_user(), [(batch, 5)])
    checkout.orders[0].recipient = "=1+1"
    db.flush()
    client = as_user(pw.shule_owner)
    rows = table(client.get(f"/producer/batches/{batch.id}/recall.csv"))
    response = client.get(f"/producer/batches/{batch.id}/recall.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="recall-{batch.lot_code}.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:S{len(rows) + 1}"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == HEADER and len(values) == len(rows) + 1
    column = {name: index for index, name in enumerate(HEADER)}
    for cells, row in zip(values[1:], rows, strict=True):
        assert cells[column[LOT]] == row[LOT] and cells[column[QTY]] == int(row[QTY])
        assert isinstance(cells[column[DAY]], datetime)
        assert cells[column[DAY]].date().isoformat() == row[DAY]
    [typed] = [
        row[column["联系人"]] for row in sheet.iter_rows(min_row=2) if row[column["联系人"]].value == "=1+1"
    ]
    assert typed.data_type == "s"  # kept as text: a string cell, never a formula
