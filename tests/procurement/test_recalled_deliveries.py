"""Goods of a recalled lot are neither received, nor counted, nor paid for on purchase orders; a delivery made
only of them can be cancelled, and both the institution and the producer are told."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.notifications.models import Notification
from procurement.ordering.cancellation import cancel_supplier_order
from procurement.ordering.models import SupplierStatus
from procurement.receiving.errors import DeliveryRecalled, NothingOwed, RecalledNotReceivable
from procurement.receiving.services import ReceiptLineInput, confirm_payment, confirm_receipt, record_transfer
from procurement.signals import supplier_order_received
from tests.procurement.conftest import ProcurementWorld
from tests.procurement.test_receiving import shipped_order
from traceability.recall.services import recall_batch

Client = Callable[[User | None], FlaskClient]


def test_units_of_a_recalled_lot_cannot_be_received_and_are_not_counted_or_paid(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, as_user: Client
) -> None:
    order = shipped_order(db, pw, submit, make_batch)  # 120 tomatoes: 100 of the first lot, 20 of the second
    line = order.lines[0]
    first, _second = (a.batch for a in line.allocations)
    recall_batch(db, pw.shule_owner, first, "农残超标")
    page = as_user(pw.buyer).get(f"/procurement/deliveries/{order.number}").get_data(as_text=True)
    assert first.lot_code in page and 'value="20"' in page  # the form offers what can be received
    counted: list[Any] = []

    def count(sender: Any, **_kwargs: Any) -> None:
        counted.append(sender)

    supplier_order_received.connect(count)
    try:
        with pytest.raises(RecalledNotReceivable):
            confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(line.id, 120)])
        confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(line.id, 20)])
    finally:
        supplier_order_received.disconnect(count)

    assert order.status is SupplierStatus.RECEIVED and line.received_quantity == 20
    assert order.received_fen == order.payable_fen == 20 * line.unit_price_fen
    assert counted == [order]
    order.invoice_key, order.invoice_mimetype = secrets.token_hex(16), "application/pdf"
    record_transfer(db, pw.finance, order, "HX20261124")
    told = db.scalars(
        select(Notification.body).where(Notification.kind == "procurement.transfer_recorded")
    ).all()
    assert told and all(f"¥{20 * line.unit_price_fen // 100:,}.00" in body for body in told)


def test_a_delivery_made_only_of_recalled_goods_is_not_received_but_cancelled(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable
) -> None:
    order = shipped_order(db, pw, submit, make_batch)
    for batch in {a.batch for a in order.lines[0].allocations}:
        if not batch.is_recalled:
            recall_batch(db, pw.shule_owner, batch, "产地污染")
    producer_told = db.scalars(
        select(Notification.link).where(
            Notification.user_id == pw.shule_owner.id, Notification.kind == "procurement.recall_notice"
        )
    ).all()
    assert producer_told and all(link == f"/producer/procurement/{order.number}" for link in producer_told)

    with pytest.raises(DeliveryRecalled):
        confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, 0)])
    cancel_supplier_order(db, pw.buyer, order, "整批召回")

    assert order.status is SupplierStatus.CANCELLED
    assert order.purchase_order.status.value == "cancelled"


def test_goods_recalled_after_receipt_are_not_paid_for(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable
) -> None:
    order = shipped_order(db, pw, submit, make_batch)
    line = order.lines[0]
    confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(line.id, 120)])
    for batch in {a.batch for a in line.allocations}:
        if not batch.is_recalled:
            recall_batch(db, pw.shule_owner, batch, "事后抽检不合格")
    order.invoice_key, order.invoice_mimetype = secrets.token_hex(16), "application/pdf"

    assert order.payable_fen == 0
    with pytest.raises(NothingOwed):
        record_transfer(db, pw.finance, order, "HX1")
    confirm_payment(db, pw.shule_owner, order)  # nothing is owed: the producer closes it

    assert order.status is SupplierStatus.SETTLED and order.transfer_reference is None
