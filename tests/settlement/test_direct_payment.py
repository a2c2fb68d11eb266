"""Institutions pay producers directly: into the producer's verified payee account only, with the delivery's
number as the reference; finance is told when payment is due, and told to wait when there is no account."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.models import Region, User
from core.notifications.models import Notification
from procurement.ordering.models import SupplierOrder
from procurement.receiving.invoices import store_invoice
from procurement.receiving.payment import PayeeNotVerified
from procurement.receiving.services import ReceiptLineInput, confirm_receipt, record_transfer
from settlement.payees.models import PayeeAccount, PayeeStatus
from settlement.payees.services import PayeeInput, submit_account, verify_account
from tests.procurement.conftest import ProcurementWorld
from tests.procurement.test_receiving import pdf_bytes, shipped_order

Client = Callable[[User | None], FlaskClient]


def drop_payee(db: Session, world: ProcurementWorld) -> None:
    """Take the Shule producer's verified account out of force (as if it never had one)."""
    db.execute(
        update(PayeeAccount)
        .where(PayeeAccount.producer_id == world.shule.id)
        .values(status=PayeeStatus.SUPERSEDED)
    )
    db.flush()


def receive(db: Session, pw: ProcurementWorld, order: SupplierOrder, tmp_path: Path) -> SupplierOrder:
    invoice = store_invoice(io.BytesIO(pdf_bytes()), tmp_path)
    return confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, 120)], invoice)


def messages(db: Session, kind: str) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def test_finance_is_told_at_receipt_with_the_account_and_the_reference(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, tmp_path: Path
) -> None:
    order = receive(db, pw, shipped_order(db, pw, submit, make_batch), tmp_path)
    [due] = messages(db, "procurement.payment_due")
    assert due.user_id == pw.finance.id  # the institution's finance staff
    account = db.scalars(select(PayeeAccount).where(PayeeAccount.producer_id == pw.shule.id)).one()
    assert order.number in due.body and account.masked_number in due.body
    assert account.account_number not in due.body  # notices travel by e-mail: last four digits only
    assert due.link == f"/procurement/deliveries/{order.number}"


def test_without_a_verified_account_payment_waits_and_everyone_is_told(
    db: Session,
    pw: ProcurementWorld,
    submit: Callable,
    make_batch: Callable,
    tmp_path: Path,
    region: Callable[[str], Region],
    make_user: Callable[..., User],
) -> None:
    drop_payee(db, pw)
    order = receive(db, pw, shipped_order(db, pw, submit, make_batch), tmp_path)
    assert not messages(db, "procurement.payment_due")
    waiting = messages(db, "procurement.payee_missing")
    assert {n.user_id for n in waiting} == {pw.finance.id, pw.shule_owner.id}
    producer_notice = next(n for n in waiting if n.user_id == pw.shule_owner.id)
    assert producer_notice.link == f"/settlement/producers/{pw.shule.id}/payee"
    with pytest.raises(PayeeNotVerified):
        record_transfer(db, pw.finance, order, "HX001")
    assert order.transfer_reference is None

    # the producer registers an account, the county verifies it: finance is told it can pay now
    account = submit_account(
        db,
        pw.shule_owner,
        pw.shule,
        PayeeInput(
            account_name=pw.shule.name,
            bank_name="中国农业银行",
            branch_name="疏勒县支行",
            account_number="6228480099990000123",
        ),
    )
    verify_account(db, make_user(counties=[region("653122")]), account)
    [due] = messages(db, "procurement.payment_due")
    assert due.user_id == pw.finance.id and "•••• 0123" in due.body
    record_transfer(db, pw.finance, order, "HX001")
    assert order.transfer_reference == "HX001"


def test_the_pages_show_the_account_whole_to_payers_and_masked_to_others(
    db: Session,
    pw: ProcurementWorld,
    submit: Callable,
    make_batch: Callable,
    tmp_path: Path,
    as_user: Client,
) -> None:
    order = receive(db, pw, shipped_order(db, pw, submit, make_batch), tmp_path)
    account = db.scalars(select(PayeeAccount).where(PayeeAccount.producer_id == pw.shule.id)).one()
    purchase = order.purchase_order.number
    for url in (f"/procurement/deliveries/{order.number}", f"/procurement/orders/{purchase}"):
        finance = as_user(pw.finance).get(url).get_data(as_text=True)
        assert account.account_number in finance and order.number in finance
        buyer = as_user(pw.buyer).get(url).get_data(as_text=True)
        assert account.masked_number in buyer and account.account_number not in buyer
    assert "delivery.transfer" not in finance  # nothing odd rendered
    page = as_user(pw.finance).get(f"/procurement/deliveries/{order.number}").get_data(as_text=True)
    assert f"/procurement/deliveries/{order.number}/transfer" in page  # the payer may record the transfer

    drop_payee(db, pw)
    page = as_user(pw.finance).get(f"/procurement/deliveries/{order.number}").get_data(as_text=True)
    assert "payee-missing" in page and f"/procurement/deliveries/{order.number}/transfer" not in page
    refused = as_user(pw.finance).post(
        f"/procurement/deliveries/{order.number}/transfer", data={"reference": "HX009"}
    )
    assert refused.status_code == 409
