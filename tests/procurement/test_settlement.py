"""Settlement by transfer: the institution records the transfer (invoice first); the producer confirms."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidTransition
from core.notifications.models import Notification
from procurement.ordering.models import SupplierOrder, SupplierStatus
from procurement.receiving.errors import (
    InvoiceRequired,
    NotInstitutionMember,
    NotPayer,
    NotReceivedYet,
    TransferAlreadyRecorded,
    TransferNotRecorded,
    TransferReferenceInvalid,
)
from procurement.receiving.invoices import store_invoice
from procurement.receiving.services import (
    ReceiptLineInput,
    attach_invoice,
    confirm_payment,
    confirm_receipt,
    record_transfer,
)
from procurement.supplying.services import NotSupplierMember
from tests.procurement.conftest import ProcurementWorld
from tests.procurement.test_receiving import pdf_bytes, shipped_order


@pytest.fixture()
def received(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, tmp_path: Path
) -> SupplierOrder:
    """A delivery received in full (120 kg) with its invoice."""
    order = shipped_order(db, pw, submit, make_batch)
    invoice = store_invoice(io.BytesIO(pdf_bytes()), tmp_path)
    return confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, 120)], invoice)


def kinds_for(db: Session, user_id: int) -> list[str]:
    """The notification kinds ``user_id`` received, oldest first."""
    query = select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
    return list(db.scalars(query))


def test_finance_records_the_transfer_and_the_producer_confirms_it(
    db: Session, pw: ProcurementWorld, received: SupplierOrder
) -> None:
    record_transfer(db, pw.finance, received, " 3101 2026 0517 8899 ")
    assert received.transfer_reference == "3101202605178899" and received.transfer_recorded_at is not None
    assert received.status is SupplierStatus.RECEIVED
    [message] = db.scalars(select(Notification).where(Notification.kind == "procurement.transfer_recorded"))
    assert message.user_id == pw.shule_owner.id and "3101202605178899" in message.body
    assert message.link == f"/producer/procurement/{received.number}"

    confirm_payment(db, pw.shule_owner, received)
    assert received.status is SupplierStatus.SETTLED and received.settled_at is not None
    assert "procurement.settled" in kinds_for(db, pw.buyer.id)
    assert "procurement.settled" in kinds_for(db, pw.finance.id)
    assert "procurement.settled" in kinds_for(db, pw.approver.id)


def test_an_approver_may_record_the_transfer(
    db: Session, pw: ProcurementWorld, received: SupplierOrder
) -> None:
    record_transfer(db, pw.approver, received, "HX001")
    assert received.transfer_reference == "HX001"


def test_buyers_and_outsiders_do_not_record_payments(
    db: Session, pw: ProcurementWorld, received: SupplierOrder
) -> None:
    with pytest.raises(NotPayer):
        record_transfer(db, pw.buyer, received, "HX001")
    with pytest.raises(NotInstitutionMember):
        record_transfer(db, pw.shule_owner, received, "HX001")
    assert received.transfer_reference is None


@pytest.mark.parametrize("reference", ["", "   ", "X" * 65])
def test_the_reference_is_required_and_short(
    db: Session, pw: ProcurementWorld, received: SupplierOrder, reference: str
) -> None:
    with pytest.raises(TransferReferenceInvalid):
        record_transfer(db, pw.finance, received, reference)
    assert received.transfer_reference is None


def test_payment_is_recorded_against_an_invoice_only(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, tmp_path: Path
) -> None:
    order = shipped_order(db, pw, submit, make_batch)
    with pytest.raises(NotReceivedYet):
        record_transfer(db, pw.finance, order, "HX001")
    confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, 120)])
    with pytest.raises(InvoiceRequired) as caught:
        record_transfer(db, pw.finance, order, "HX001")
    assert caught.value.status == 409
    attach_invoice(db, pw.finance, order, store_invoice(io.BytesIO(pdf_bytes()), tmp_path))
    record_transfer(db, pw.finance, order, "HX001")
    assert order.transfer_reference == "HX001"


def test_the_transfer_is_recorded_once(db: Session, pw: ProcurementWorld, received: SupplierOrder) -> None:
    record_transfer(db, pw.finance, received, "HX001")
    with pytest.raises(TransferAlreadyRecorded):
        record_transfer(db, pw.approver, received, "HX002")
    assert received.transfer_reference == "HX001"


def test_the_producer_confirms_only_a_recorded_transfer_and_only_once(
    db: Session, pw: ProcurementWorld, received: SupplierOrder
) -> None:
    with pytest.raises(TransferNotRecorded):
        confirm_payment(db, pw.shule_owner, received)
    record_transfer(db, pw.finance, received, "HX001")
    for outsider in (pw.chengkou_owner, pw.finance):
        with pytest.raises(NotSupplierMember):
            confirm_payment(db, outsider, received)
    confirm_payment(db, pw.shule_owner, received)
    with pytest.raises(InvalidTransition):
        confirm_payment(db, pw.shule_owner, received)
    assert kinds_for(db, pw.buyer.id).count("procurement.settled") == 1
