"""The institution's delivery page: receipt with the invoice upload, invoice download, the bank transfer."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.ordering.models import SupplierOrder, SupplierStatus
from procurement.receiving.services import ReceiptLineInput, confirm_receipt
from procurement.signals import supplier_order_received
from tests.procurement.conftest import ProcurementWorld
from tests.procurement.test_receiving import pdf_bytes, png_bytes, shipped_order
from traceability.models import EventKind, TraceEvent

Client = Callable[[Any], FlaskClient]


@pytest.fixture()
def shipped(db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable) -> SupplierOrder:
    """120 kg of tomatoes shipped to the institution."""
    return shipped_order(db, pw, submit, make_batch)


@pytest.fixture()
def signals() -> Iterator[list[Any]]:
    """The orders ``supplier_order_received`` was sent for during the test."""
    sent: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append(sender)

    supplier_order_received.connect(receiver)
    yield sent
    supplier_order_received.disconnect(receiver)


def invoices_stored(app: Flask) -> set[str]:
    """Names of the files in the app's invoice folder."""
    folder = Path(app.config["UPLOAD_DIR"]) / "invoices"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def receipt_form(
    order: SupplierOrder, quantity: int, file: tuple[bytes, str] | None = None
) -> dict[str, Any]:
    """The receipt form for the order's single line, with an invoice file when given."""
    form: dict[str, Any] = {
        "lines-0-line_id": order.lines[0].id,
        "lines-0-quantity": str(quantity),
        "lines-0-note": "外包装完好",
    }
    if file is not None:
        form["invoice"] = (io.BytesIO(file[0]), file[1])
    return form


def test_members_of_the_institution_see_the_delivery(
    pw: ProcurementWorld, shipped: SupplierOrder, as_user: Client
) -> None:
    url = f"/procurement/deliveries/{shipped.number}"
    page = as_user(pw.buyer).get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert shipped.lines[0].allocations[0].batch.lot_code in text and 'action="' + url + '/receipt"' in text
    finance = as_user(pw.finance).get(url).get_data(as_text=True)
    assert "/receipt" not in finance  # finance staff do not confirm receipt
    assert as_user(pw.shule_owner).get(url).status_code == 403
    assert as_user(pw.buyer).get("/procurement/deliveries/S000000000000").status_code == 404
    assert as_user(None).get(url).status_code == 302


def test_receipt_with_an_invoice_on_the_page(
    app: Flask,
    db: Session,
    pw: ProcurementWorld,
    shipped: SupplierOrder,
    as_user: Client,
    signals: list,
) -> None:
    before = invoices_stored(app)
    response = as_user(pw.buyer).post(
        f"/procurement/deliveries/{shipped.number}/receipt",
        data=receipt_form(shipped, 118, (pdf_bytes(), "../../发票.exe")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.expire_all()
    assert shipped.status is SupplierStatus.RECEIVED and shipped.lines[0].received_quantity == 118
    assert shipped.lines[0].inspection_note == "外包装完好"
    assert invoices_stored(app) - before == {f"{shipped.invoice_key}.pdf"}  # the client's name is not used
    assert len(signals) == 1
    events = db.scalars(select(TraceEvent).where(TraceEvent.kind == EventKind.RECEIVING)).all()
    assert sorted(e.details["quantity"] for e in events) == [18, 100]


def test_a_file_that_is_no_invoice_is_refused_and_nothing_is_received(
    app: Flask, db: Session, pw: ProcurementWorld, shipped: SupplierOrder, as_user: Client, signals: list
) -> None:
    before = invoices_stored(app)
    response = as_user(pw.buyer).post(
        f"/procurement/deliveries/{shipped.number}/receipt",
        data=receipt_form(shipped, 120, (b"<html><script>alert(1)</script></html>", "invoice.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "PDF" in response.get_data(as_text=True)
    db.expire_all()
    assert shipped.status is SupplierStatus.SHIPPED and shipped.invoice_key is None
    assert invoices_stored(app) == before and signals == []


def test_a_refused_receipt_leaves_no_invoice_file_behind(
    app: Flask, db: Session, pw: ProcurementWorld, shipped: SupplierOrder, as_user: Client
) -> None:
    before = invoices_stored(app)
    response = as_user(pw.buyer).post(
        f"/procurement/deliveries/{shipped.number}/receipt",
        data=receipt_form(shipped, 121, (pdf_bytes(), "invoice.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    db.expire_all()
    assert shipped.status is SupplierStatus.SHIPPED and invoices_stored(app) == before


def test_receiving_twice_on_the_page_is_a_conflict(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, as_user: Client, signals: list
) -> None:
    url = f"/procurement/deliveries/{shipped.number}/receipt"
    assert as_user(pw.buyer).post(url, data=receipt_form(shipped, 120)).status_code == 302
    assert as_user(pw.approver).post(url, data=receipt_form(shipped, 100)).status_code == 409
    db.expire_all()
    assert shipped.lines[0].received_quantity == 120 and len(signals) == 1


def test_finance_staff_cannot_confirm_receipt(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, as_user: Client
) -> None:
    url = f"/procurement/deliveries/{shipped.number}/receipt"
    assert as_user(pw.finance).post(url, data=receipt_form(shipped, 120)).status_code == 403
    assert as_user(pw.shule_owner).post(url, data=receipt_form(shipped, 120)).status_code == 403


def test_the_invoice_is_served_as_an_attachment_to_both_parties_only(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, as_user: Client, make_user: Callable
) -> None:
    url = f"/procurement/deliveries/{shipped.number}/invoice"
    assert as_user(pw.buyer).get(url).status_code == 404  # none uploaded yet
    data = pdf_bytes()
    as_user(pw.buyer).post(
        f"/procurement/deliveries/{shipped.number}/receipt",
        data=receipt_form(shipped, 120, (data, "发票.pdf")),
        content_type="multipart/form-data",
    )
    for member in (pw.buyer, pw.finance, pw.shule_owner):
        response = as_user(member).get(url)
        assert response.status_code == 200 and response.data == data
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == f"attachment; filename=invoice-{shipped.number}.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]
        response.close()
    for outsider in (pw.chengkou_owner, make_user()):
        assert as_user(outsider).get(url).status_code == 403
    assert as_user(None).get(url).status_code == 302


def test_the_invoice_can_be_uploaded_after_receipt(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, as_user: Client
) -> None:
    confirm_receipt(db, pw.buyer, shipped, [ReceiptLineInput(shipped.lines[0].id, 120)])
    url = f"/procurement/deliveries/{shipped.number}/invoice"
    refused = as_user(pw.finance).post(
        url, data={"invoice": (io.BytesIO(b"%PDF-1.4 broken"), "a.pdf")}, content_type="multipart/form-data"
    )
    assert refused.status_code == 400
    response = as_user(pw.finance).post(
        url, data={"invoice": (io.BytesIO(png_bytes()), "photo.png")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db.expire_all()
    assert shipped.invoice_mimetype == "image/webp"
    download = as_user(pw.shule_owner).get(url)
    assert download.mimetype == "image/webp" and download.data.startswith(b"RIFF")
    download.close()


def test_recording_the_bank_transfer(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder, as_user: Client
) -> None:
    as_user(pw.buyer).post(
        f"/procurement/deliveries/{shipped.number}/receipt",
        data=receipt_form(shipped, 120, (pdf_bytes(), "发票.pdf")),
        content_type="multipart/form-data",
    )
    url = f"/procurement/deliveries/{shipped.number}/transfer"
    assert as_user(pw.buyer).post(url, data={"reference": "HX20261124001"}).status_code == 403
    assert as_user(pw.finance).post(url, data={"reference": ""}).status_code == 400
    assert as_user(pw.finance).post(url, data={"reference": "HX20261124001"}).status_code == 302
    assert as_user(pw.approver).post(url, data={"reference": "HX2"}).status_code == 409
    db.expire_all()
    assert shipped.transfer_reference == "HX20261124001"
    page = as_user(pw.shule_owner).get(f"/producer/procurement/{shipped.number}").get_data(as_text=True)
    assert "HX20261124001" in page and "/payment" in page
